import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  SecurityGroup,
  Subnet,
} from '@aws-sdk/client-ec2';
import { CellRef, cellId } from '@internal/backstage-plugin-fabric-common';
import { collectPages } from '../aws/paginate';
import { CompiledPlacement } from '../compile/compilePlacement';
import { SelectorTerm } from '../compile/karpenter';
import { CELL_LABEL, labelSafe, ZONE_ID_LABEL } from '../compile/labels';
import { AwsStepAccess, cellOfStep, createdIf, stepEc2, withFabricTags } from '../plan/awsExecutors';
import { AwsTag, isTaggedByStep } from '../plan/tags';
import { StepContext, StepExecutor } from '../plan/types';

/** Step types of a cell plan's network steps. */
export const CELL_STEP_TYPES = {
  ensureSubnet: 'cells:EnsureSubnet',
  ensureSecurityGroup: 'cells:EnsureSecurityGroup',
} as const;

/**
 * What a compiled cell needs in its account and region so its node class selectors match
 * real resources: one subnet per AZ-ID carrying `subnetTags`, and a security group
 * carrying `securityGroupTags` (the selector terms' tags, exactly).
 */
export interface CellNetworkNeed {
  cell: CellRef;
  azIds: string[];
  subnetTags: Record<string, string>;
  securityGroupTags: Record<string, string>;
}

/** Where a cell's subnets and security group live, as the person provisioning says. */
export interface CellNetworkInput {
  /** The VPC of the cell's account the nodes launch into (a RAM-shared one in member accounts). */
  vpcId: string;
  /**
   * CIDR per AZ-ID for subnets the plan creates. An AZ-ID without one adopts the VPC's
   * existing subnet in that AZ-ID (the one with the most free addresses) by tagging it.
   */
  subnetCidrs?: Record<string, string>;
}

/**
 * The networks a compiled placement's node classes select, one per cell, read from the
 * node classes themselves so the plan tags exactly what the selectors ask for.
 */
export function cellNetworkNeeds(compiled: CompiledPlacement): CellNetworkNeed[] {
  const poolAzIds = new Map(
    compiled.nodePools.map(pool => [
      pool.metadata.name,
      pool.spec.template.spec.requirements.find(r => r.key === ZONE_ID_LABEL)?.values ?? [],
    ]),
  );
  const needs: CellNetworkNeed[] = [];
  for (const nodeClass of compiled.fabricNodeClasses) {
    needs.push({
      cell: { accountId: nodeClass.spec.accountId, region: nodeClass.spec.region },
      azIds: [...nodeClass.spec.azIds],
      subnetTags: tagsOfTerms(nodeClass.spec.subnetSelectorTerms, nodeClass.metadata.name),
      securityGroupTags: tagsOfTerms(nodeClass.spec.securityGroupSelectorTerms, nodeClass.metadata.name),
    });
  }
  for (const nodeClass of compiled.ec2NodeClasses) {
    const cellValue = nodeClass.metadata.labels?.[CELL_LABEL];
    const [accountId, region] = cellValue ? [cellValue.slice(0, 12), cellValue.slice(13)] : [];
    if (!accountId || !region) throw new Error(`EC2NodeClass ${nodeClass.metadata.name} has no cell label`);
    needs.push({
      cell: { accountId, region },
      azIds: [...(poolAzIds.get(nodeClass.metadata.name) ?? [])],
      subnetTags: tagsOfTerms(nodeClass.spec.subnetSelectorTerms, nodeClass.metadata.name),
      securityGroupTags: tagsOfTerms(nodeClass.spec.securityGroupSelectorTerms, nodeClass.metadata.name),
    });
  }
  return needs.sort((a, b) => cellId(a.cell).localeCompare(cellId(b.cell)));
}

function tagsOfTerms(terms: SelectorTerm[], owner: string): Record<string, string> {
  const tagged = terms.filter(t => t.tags);
  if (tagged.length !== 1) throw new Error(`${owner} must select by exactly one tag term to be provisioned`);
  return { ...tagged[0].tags! };
}

/** The stable suffix of a network's resources: the same tags always name the same things. */
export function cellNetworkName(need: Pick<CellNetworkNeed, 'subnetTags'>): string {
  const parts = Object.keys(need.subnetTags)
    .sort()
    .map(key => need.subnetTags[key]);
  return labelSafe(`fabric-cell-${parts.join('-')}`.replace(/\./g, '-'));
}

// A type literal, not AwsTag: step inputs must be JSON values, which interfaces are not.
const toAwsTags = (tags: Record<string, string>): Array<{ Key: string; Value: string }> =>
  Object.keys(tags)
    .sort()
    .map(Key => ({ Key, Value: tags[Key] }));

const tagFilters = (tags: AwsTag[]) => tags.map(t => ({ Name: `tag:${t.Key}`, Values: [t.Value] }));

interface EnsureSubnetInput {
  VpcId: string;
  AvailabilityZoneId: string;
  CidrBlock?: string;
  /** The selector tags the subnet must carry. */
  SelectorTags: AwsTag[];
  /** Extra tags for a subnet this step creates (e.g. Name). */
  Tags?: AwsTag[];
}

interface EnsureSecurityGroupInput {
  VpcId: string;
  GroupName: string;
  Description: string;
  SelectorTags: AwsTag[];
  Tags?: AwsTag[];
}

const subnetOutput = (subnet: Subnet, adopted: boolean) => ({
  SubnetId: subnet.SubnetId!,
  AvailabilityZoneId: subnet.AvailabilityZoneId ?? '',
  VpcId: subnet.VpcId ?? '',
  CidrBlock: subnet.CidrBlock ?? '',
  adopted,
});

const groupOutput = (group: Pick<SecurityGroup, 'GroupId'>, input: EnsureSecurityGroupInput, adopted: boolean) => ({
  GroupId: group.GroupId!,
  GroupName: input.GroupName,
  VpcId: input.VpcId,
  adopted,
});

/**
 * Executors that create or adopt a cell's subnets and security group, tagged with the
 * node class selectors' tags. Adoption only adds tags (a participant's tags on a RAM-shared
 * subnet are its own, visible only in its account, which is where its selectors resolve),
 * so nothing adopted is ever deleted: these steps have no undo.
 * Idempotent: the probe looks for the selector tags first, so a re-run or a resumed apply
 * finds what an earlier run created or tagged, even if its checkpoint was lost.
 */
export function cellNetworkExecutors(access: AwsStepAccess): StepExecutor[] {
  const describeSubnets = (ctx: StepContext<unknown>, filters: Array<{ Name: string; Values: string[] }>) => {
    const ec2 = stepEc2(access, ctx);
    return collectPages(
      NextToken => ec2.describe(new DescribeSubnetsCommand({ Filters: filters, NextToken })),
      page => page.Subnets,
    );
  };

  const ensureSubnet: StepExecutor<EnsureSubnetInput> = {
    type: CELL_STEP_TYPES.ensureSubnet,
    async probe(ctx) {
      const { VpcId, AvailabilityZoneId, SelectorTags } = ctx.input;
      const subnets = await describeSubnets(ctx, [
        { Name: 'vpc-id', Values: [VpcId] },
        { Name: 'availability-zone-id', Values: [AvailabilityZoneId] },
        ...tagFilters(SelectorTags),
      ]);
      const [subnet] = subnets.filter(s => s.AvailabilityZoneId === AvailabilityZoneId).sort(bySubnetId);
      if (!subnet) return undefined;
      const ours = isTaggedByStep(subnet.Tags, ctx.plan, ctx.step.key);
      return { ...subnetOutput(subnet, !ours), ...createdIf(ours) };
    },
    async run(ctx) {
      const { VpcId, AvailabilityZoneId, CidrBlock, SelectorTags } = ctx.input;
      const where = `${VpcId} (${cellId(cellOfStep(ctx.step))})`;
      if (CidrBlock) {
        const [existing] = await describeSubnets(ctx, [
          { Name: 'vpc-id', Values: [VpcId] },
          { Name: 'cidr-block', Values: [CidrBlock] },
        ]);
        if (existing) {
          if (existing.AvailabilityZoneId !== AvailabilityZoneId) {
            throw new Error(
              `${where} already has ${CidrBlock} as ${existing.SubnetId} in ${existing.AvailabilityZoneId}, not ${AvailabilityZoneId}; choose another CIDR`,
            );
          }
          await tag(ctx, existing.SubnetId!, SelectorTags);
          return subnetOutput(existing, true);
        }
        const response = await stepEc2(access, ctx).mutate(
          new CreateSubnetCommand({
            VpcId,
            CidrBlock,
            // The AZ-ID, never a name: names differ per account.
            AvailabilityZoneId,
            TagSpecifications: [{ ResourceType: 'subnet', Tags: [...withFabricTags(ctx), ...SelectorTags] }],
          }),
        );
        if (!response.Subnet?.SubnetId) throw new Error('CreateSubnet returned no subnet id');
        return subnetOutput(response.Subnet, false);
      }
      const candidates = (
        await describeSubnets(ctx, [
          { Name: 'vpc-id', Values: [VpcId] },
          { Name: 'availability-zone-id', Values: [AvailabilityZoneId] },
        ])
      ).filter(s => s.AvailabilityZoneId === AvailabilityZoneId);
      if (candidates.length === 0) {
        throw new Error(`${where} has no subnet in ${AvailabilityZoneId} to adopt; give a CIDR for ${AvailabilityZoneId} to create one`);
      }
      // The roomiest subnet: nodes of GPU types take many addresses (one per ENA interface).
      const [chosen] = candidates.sort(
        (a, b) => (b.AvailableIpAddressCount ?? 0) - (a.AvailableIpAddressCount ?? 0) || bySubnetId(a, b),
      );
      await tag(ctx, chosen.SubnetId!, SelectorTags);
      return subnetOutput(chosen, true);
    },
  };

  const ensureSecurityGroup: StepExecutor<EnsureSecurityGroupInput> = {
    type: CELL_STEP_TYPES.ensureSecurityGroup,
    async probe(ctx) {
      const { VpcId, SelectorTags } = ctx.input;
      const response = await stepEc2(access, ctx).describe(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [VpcId] }, ...tagFilters(SelectorTags)] }),
      );
      const [group] = (response.SecurityGroups ?? []).filter(g => g.VpcId === VpcId).sort((a, b) => a.GroupId!.localeCompare(b.GroupId!));
      if (!group) return undefined;
      const ours = isTaggedByStep(group.Tags, ctx.plan, ctx.step.key);
      return { ...groupOutput(group, ctx.input, !ours), ...createdIf(ours) };
    },
    async run(ctx) {
      const { VpcId, GroupName, Description, SelectorTags } = ctx.input;
      const found = await stepEc2(access, ctx).describe(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [VpcId] },
            { Name: 'group-name', Values: [GroupName] },
          ],
        }),
      );
      const existing = found.SecurityGroups?.find(g => g.GroupName === GroupName && g.VpcId === VpcId);
      if (existing) {
        await tag(ctx, existing.GroupId!, SelectorTags);
        return groupOutput(existing, ctx.input, true);
      }
      const response = await stepEc2(access, ctx).mutate(
        new CreateSecurityGroupCommand({
          VpcId,
          GroupName,
          Description,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: [...withFabricTags(ctx), ...SelectorTags] }],
        }),
      );
      if (!response.GroupId) throw new Error('CreateSecurityGroup returned no group id');
      return groupOutput(response, ctx.input, false);
    },
  };

  async function tag(ctx: StepContext<unknown>, resourceId: string, tags: AwsTag[]) {
    await stepEc2(access, ctx).mutate(new CreateTagsCommand({ Resources: [resourceId], Tags: tags }));
  }

  return [ensureSubnet, ensureSecurityGroup];
}

function bySubnetId(a: Subnet, b: Subnet): number {
  return (a.SubnetId ?? '').localeCompare(b.SubnetId ?? '');
}

/** Step inputs of one cell's network, for {@link planCellProvisioning}. */
export function cellNetworkSteps(need: CellNetworkNeed, network: CellNetworkInput) {
  const name = cellNetworkName(need);
  const cellText = cellId(need.cell);
  const base = `cell:${need.cell.accountId}.${need.cell.region}:${name}`;
  const subnetSelectorTags = toAwsTags(need.subnetTags);
  const groupSelectorTags = toAwsTags(need.securityGroupTags);
  const subnets = [...need.azIds].sort().map(azId => {
    const cidr = network.subnetCidrs?.[azId];
    return {
      key: `${base}:subnet:${azId}`,
      title: cidr
        ? `Create or adopt the subnet ${cidr} in ${azId} of ${network.vpcId} (${cellText}), tagged for the node class selectors`
        : `Adopt the subnet of ${network.vpcId} in ${azId} (${cellText}) by tagging it for the node class selectors`,
      kind: 'aws' as const,
      type: CELL_STEP_TYPES.ensureSubnet,
      cell: need.cell,
      input: {
        VpcId: network.vpcId,
        AvailabilityZoneId: azId,
        ...(cidr ? { CidrBlock: cidr } : {}),
        SelectorTags: subnetSelectorTags,
        Tags: [{ Key: 'Name', Value: `${name}-${azId}` }],
      },
    };
  });
  const securityGroup = {
    key: `${base}:security-group`,
    title: `Create or adopt the security group ${name} in ${network.vpcId} (${cellText}), tagged for the node class selectors`,
    kind: 'aws' as const,
    type: CELL_STEP_TYPES.ensureSecurityGroup,
    cell: need.cell,
    input: {
      VpcId: network.vpcId,
      GroupName: name,
      Description: `Nodes of fabric cell ${cellText}`,
      SelectorTags: groupSelectorTags,
      Tags: [{ Key: 'Name', Value: name }],
    },
  };
  return { subnets, securityGroup };
}
