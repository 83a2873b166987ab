import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { collectCamelCasePages } from '../../aws/paginate';
import { RamApi, RamResourceShare } from '../../aws/ram';
import { cellOfStep, createdIf, deleteExecutor, undoStep } from '../../plan/awsExecutors';
import { isTaggedByStep } from '../../plan/tags';
import { StepExecutor } from '../../plan/types';
import { ISLAND_STEP_TYPES } from '../planIsland';

interface ResourceShareInput {
  name: string;
  resourceArns: string[];
  principals: string[];
  allowExternalPrincipals: boolean;
}
interface ResourceShareArnInput {
  resourceShareArn: string;
}

const liveShare = (share: RamResourceShare) => !['DELETING', 'DELETED', 'FAILED'].includes(share.status ?? '');

async function findShare(ram: RamApi, name: string): Promise<RamResourceShare | undefined> {
  const shares = await collectCamelCasePages(
    nextToken => ram.getResourceShares({ resourceOwner: 'SELF', name, nextToken }),
    page => page.resourceShares,
  );
  return shares.find(s => s.name === name && liveShare(s));
}

/** What the share still lacks; `undefined` when the RamApi cannot tell. */
async function missingFromShare(ram: RamApi, arn: string, input: ResourceShareInput) {
  const { getResourceShareAssociations } = ram;
  if (!getResourceShareAssociations || !ram.associateResourceShare) return undefined;
  const associated = async (associationType: 'PRINCIPAL' | 'RESOURCE') => {
    const associations = await collectCamelCasePages(
      nextToken => getResourceShareAssociations.call(ram, { associationType, resourceShareArns: [arn], nextToken }),
      page => page.resourceShareAssociations,
    );
    return new Set(
      associations
        .filter(a => a.associatedEntity && ['ASSOCIATED', 'ASSOCIATING'].includes(a.status ?? ''))
        .map(a => a.associatedEntity!),
    );
  };
  const principals = await associated('PRINCIPAL');
  const resources = await associated('RESOURCE');
  const missing = {
    principals: input.principals.filter(p => !principals.has(p)),
    resourceArns: input.resourceArns.filter(r => !resources.has(r)),
  };
  return missing.principals.length || missing.resourceArns.length ? missing : undefined;
}

/**
 * The RAM share of the island's subnet, security group and placement group with the
 * member accounts (docs/aws-facts.md §3.1). Found again by name; `clientToken` makes a
 * retried create return the same share. RAM calls go to the cell's `ram` and do not draw
 * from its EC2 token buckets: RAM throttles on its own.
 */
export function resourceShareExecutors(ramOf: (cell: CellRef) => RamApi): StepExecutor[] {
  const createResourceShare: StepExecutor<ResourceShareInput> = {
    type: ISLAND_STEP_TYPES.createResourceShare,
    async probe(ctx) {
      const ram = ramOf(cellOfStep(ctx.step));
      const share = await findShare(ram, ctx.input.name);
      if (!share?.resourceShareArn) return undefined;
      if (await missingFromShare(ram, share.resourceShareArn, ctx.input)) return undefined;
      const tags = share.tags?.map(t => ({ Key: t.key, Value: t.value }));
      return { resourceShareArn: share.resourceShareArn, name: ctx.input.name, ...createdIf(isTaggedByStep(tags, ctx.plan, ctx.step.key)) };
    },
    async run(ctx) {
      const ram = ramOf(cellOfStep(ctx.step));
      const existing = await findShare(ram, ctx.input.name);
      if (existing?.resourceShareArn) {
        // The share is there but lacks a member or a resource (the island grew).
        const missing = await missingFromShare(ram, existing.resourceShareArn, ctx.input);
        if (missing) {
          await ram.associateResourceShare!({
            resourceShareArn: existing.resourceShareArn,
            ...(missing.principals.length ? { principals: missing.principals } : {}),
            ...(missing.resourceArns.length ? { resourceArns: missing.resourceArns } : {}),
            clientToken: ctx.clientToken,
          });
        }
        // Extending a share is not making it: its destroy stays with the plan that created it.
        return { resourceShareArn: existing.resourceShareArn, name: ctx.input.name, extendedExisting: true };
      }
      const response = await ram.createResourceShare({
        name: ctx.input.name,
        resourceArns: ctx.input.resourceArns,
        principals: ctx.input.principals,
        allowExternalPrincipals: ctx.input.allowExternalPrincipals,
        tags: ctx.tags.map(t => ({ key: t.Key, value: t.Value })),
        clientToken: ctx.clientToken,
      });
      const arn = response.resourceShare?.resourceShareArn;
      if (!arn) throw new Error(`CreateResourceShare ${ctx.input.name} returned no resourceShareArn`);
      return { resourceShareArn: arn, name: ctx.input.name };
    },
    undo({ step, output }) {
      if (output.extendedExisting === true) return [];
      return [
        undoStep(step, {
          type: ISLAND_STEP_TYPES.deleteResourceShare,
          title: `Delete the RAM share ${output.name}: the members lose the subnet, security group and placement group`,
          input: { resourceShareArn: output.resourceShareArn as string },
        }),
      ];
    },
  };

  const deleteResourceShare = deleteExecutor<ResourceShareArnInput>({
    type: ISLAND_STEP_TYPES.deleteResourceShare,
    exists: async ctx => {
      const { resourceShareArn } = ctx.input;
      const response = await ramOf(cellOfStep(ctx.step)).getResourceShares({ resourceOwner: 'SELF', resourceShareArns: [resourceShareArn] });
      const share = response.resourceShares?.find(s => s.resourceShareArn === resourceShareArn);
      return Boolean(share && share.status !== 'DELETED' && share.status !== 'DELETING');
    },
    remove: ctx =>
      ramOf(cellOfStep(ctx.step)).deleteResourceShare({ resourceShareArn: ctx.input.resourceShareArn, clientToken: ctx.clientToken }),
  });

  return [createResourceShare, deleteResourceShare];
}
