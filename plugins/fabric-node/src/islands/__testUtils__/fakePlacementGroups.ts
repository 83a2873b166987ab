import { randomBytes } from 'node:crypto';
import { EC2Client, EC2ServiceException, PlacementGroup, Tag } from '@aws-sdk/client-ec2';
import { CellRef, cellId } from '@internal/backstage-plugin-fabric-common';

const INTERCEPTED = ['CreatePlacementGroupCommand', 'DescribePlacementGroupsCommand', 'DeletePlacementGroupCommand'];

function awsError(name: string, message: string): EC2ServiceException {
  return new EC2ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/**
 * moto 5.2.1 does not implement placement groups (HTTP 500, shared/reference/moto.md), so
 * the island's network-account EC2 client gets this middleware: it answers exactly
 * CreatePlacementGroup, DescribePlacementGroups and DeletePlacementGroup the way AWS does
 * (GroupId `pg-…`, GroupArn by name, tags from TagSpecifications, the `group-name` filter,
 * `InvalidPlacementGroup.Duplicate` / `.Unknown` errors) and passes every other command
 * through to moto untouched. It sits at the `initialize` step, before serialization, so
 * the real SDK still builds and types every call.
 */
export class FakePlacementGroups {
  /** By `<account>/<region>/<name>`. */
  readonly groups = new Map<string, PlacementGroup>();
  readonly calls: string[] = [];

  install(client: EC2Client, cell: CellRef): void {
    client.middlewareStack.add(
      (next, context) => async args => {
        const command = (context as { commandName?: string }).commandName ?? '';
        if (!INTERCEPTED.includes(command)) return next(args);
        this.calls.push(command);
        const output = this.answer(command, args.input as Record<string, any>, cell);
        return { output: { ...output, $metadata: { httpStatusCode: 200 } } as any, response: {} };
      },
      { step: 'initialize', name: 'fabricFakePlacementGroups', override: true },
    );
  }

  private answer(command: string, input: Record<string, any>, cell: CellRef): Record<string, unknown> {
    const key = (name: string) => `${cellId(cell)}/${name}`;
    const inCell = [...this.groups.entries()].filter(([k]) => k.startsWith(`${cellId(cell)}/`)).map(([, g]) => g);
    switch (command) {
      case 'CreatePlacementGroupCommand': {
        const name = input.GroupName as string;
        if (this.groups.has(key(name))) {
          throw awsError('InvalidPlacementGroup.Duplicate', `The Placement Group '${name}' already exists.`);
        }
        const tags: Tag[] = (input.TagSpecifications ?? [])
          .filter((s: { ResourceType?: string }) => s.ResourceType === 'placement-group')
          .flatMap((s: { Tags?: Tag[] }) => s.Tags ?? []);
        const group: PlacementGroup = {
          GroupName: name,
          GroupId: `pg-${randomBytes(9).toString('hex').slice(0, 17)}`,
          GroupArn: `arn:aws:ec2:${cell.region}:${cell.accountId}:placement-group/${name}`,
          Strategy: input.Strategy,
          State: 'available',
          Tags: tags,
        };
        this.groups.set(key(name), group);
        return { PlacementGroup: structuredClone(group) };
      }
      case 'DescribePlacementGroupsCommand': {
        let found = inCell;
        if (input.GroupNames?.length) {
          for (const name of input.GroupNames as string[]) {
            if (!this.groups.has(key(name))) {
              throw awsError('InvalidPlacementGroup.Unknown', `The Placement Group '${name}' is unknown.`);
            }
          }
          found = found.filter(g => input.GroupNames.includes(g.GroupName));
        }
        if (input.GroupIds?.length) found = found.filter(g => input.GroupIds.includes(g.GroupId));
        for (const filter of (input.Filters ?? []) as Array<{ Name: string; Values: string[] }>) {
          const field: Record<string, (g: PlacementGroup) => string | undefined> = {
            'group-name': g => g.GroupName,
            'group-arn': g => g.GroupArn,
            strategy: g => g.Strategy,
            state: g => g.State,
          };
          const read = field[filter.Name];
          if (!read) throw awsError('InvalidParameterValue', `The filter '${filter.Name}' is invalid`);
          found = found.filter(g => filter.Values.includes(read(g) ?? ''));
        }
        return { PlacementGroups: structuredClone(found) };
      }
      case 'DeletePlacementGroupCommand': {
        const name = input.GroupName as string;
        if (!this.groups.delete(key(name))) {
          throw awsError('InvalidPlacementGroup.Unknown', `The Placement Group '${name}' is unknown.`);
        }
        return {};
      }
      default:
        throw new Error(`not intercepted: ${command}`);
    }
  }
}
