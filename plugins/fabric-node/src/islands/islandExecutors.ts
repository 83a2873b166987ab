import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreatePlacementGroupCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  DeleteLaunchTemplateCommand,
  DeletePlacementGroupCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribePlacementGroupsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  IpPermission,
  LaunchTemplate,
  PlacementGroup,
  RequestLaunchTemplateData,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  SecurityGroupRule,
  Subnet,
} from '@aws-sdk/client-ec2';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { AccountCredentialsRef, AwsClientFactory } from '../aws/AwsClientFactory';
import { awsErrorCode, ignoreNotFound, isNotFound } from '../aws/errors';
import { collectPages } from '../aws/paginate';
import { isTaggedByStep } from '../plan/tags';
import { PlanStep, StepContext, StepExecutor } from '../plan/types';
import { ISLAND_STEP_TYPES } from './planIsland';
import { kubernetesExecutors, IslandKubernetesApplier } from './kubernetesExecutors';
import { RamApi, RamResourceShare, RamTag } from './RamApi';

export interface IslandExecutorOptions {
  clients: Pick<AwsClientFactory, 'ec2'>;
  /** The enrolled account behind an account id (its role to assume). */
  accountOf(accountId: string): AccountCredentialsRef;
  /** RAM of one cell (the network account's, in the island's region). */
  ram(cell: CellRef): RamApi;
  /** The hub cluster; the `kubernetes:*` steps fail with a clear reason without it. */
  kubernetes?: IslandKubernetesApplier;
}

type Tag = { Key: string; Value: string };

interface SubnetInput {
  VpcId: string;
  CidrBlock: string;
  AvailabilityZoneId: string;
  Tags?: Tag[];
}
interface SubnetIdInput {
  SubnetId: string;
}
interface SecurityGroupInput {
  VpcId: string;
  GroupName: string;
  Description: string;
  Tags?: Tag[];
}
interface GroupIdInput {
  GroupId: string;
}
interface PlacementGroupInput {
  GroupName: string;
  Strategy: 'cluster';
  Tags?: Tag[];
}
interface DeletePlacementGroupInput {
  GroupName: string;
  GroupId: string;
}
interface ResourceShareInput {
  name: string;
  resourceArns: string[];
  principals: string[];
  allowExternalPrincipals: boolean;
}
interface ResourceShareArnInput {
  resourceShareArn: string;
}
interface LaunchTemplateInput {
  LaunchTemplateName: string;
  Tags?: Tag[];
  LaunchTemplateData: RequestLaunchTemplateData;
}
interface LaunchTemplateIdInput {
  LaunchTemplateId: string;
  LaunchTemplateName: string;
}

/** `aws`, `aws-cn` or `aws-us-gov`: an ARN's partition follows the region. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** An EC2 resource ARN, for APIs (older SDK shapes, some endpoints) that return only the id. */
export function ec2Arn(cell: CellRef, resource: 'subnet' | 'security-group' | 'placement-group', name: string): string {
  return `arn:${partitionOf(cell.region)}:ec2:${cell.region}:${cell.accountId}:${resource}/${name}`;
}

/** The step's fabric tags plus its own, without letting an input tag override a fabric one. */
function tagsFor(ctx: StepContext<{ Tags?: Tag[] }>): Tag[] {
  const fabricKeys = new Set(ctx.tags.map(t => t.Key));
  return [...ctx.tags, ...(ctx.input.Tags ?? []).filter(t => !fabricKeys.has(t.Key))];
}

const createdIf = (ours: boolean) => (ours ? { created: true } : {});

/** The self-reference rules of a group: all protocols, to or from the group itself. */
function selfRules(rules: SecurityGroupRule[], groupId: string) {
  const self = (egress: boolean) =>
    rules.find(
      r =>
        r.GroupId === groupId &&
        r.IsEgress === egress &&
        r.IpProtocol === '-1' &&
        r.ReferencedGroupInfo?.GroupId === groupId,
    );
  return { ingress: self(false), egress: self(true) };
}

const selfPermission = (groupId: string): IpPermission[] => [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId }] }];

/**
 * Executors for an island's steps. AWS calls go to the step's cell (its account through
 * `accountOf`, its region); RAM calls go to the cell's `ram`; Kubernetes steps to the hub
 * cluster. Idempotency: look-up-before-create by name (subnet by VPC and CIDR), the
 * `fabric.cloudspectra.io/step` tag to tell the plan's own resources from found ones, and
 * `ClientToken` where the API takes one (CreateLaunchTemplate, RAM CreateResourceShare).
 */
export function islandExecutors(options: IslandExecutorOptions): StepExecutor[] {
  const cellOf = (step: PlanStep): CellRef => {
    if (!step.cell) throw new Error(`Step '${step.key}' has no cell to call AWS in`);
    return step.cell;
  };
  const ec2Of = (step: PlanStep): EC2Client => {
    const cell = cellOf(step);
    return options.clients.ec2(cell, options.accountOf(cell.accountId));
  };

  const subnetOutput = (subnet: Subnet, cell: CellRef) => ({
    SubnetId: subnet.SubnetId!,
    SubnetArn: subnet.SubnetArn ?? ec2Arn(cell, 'subnet', subnet.SubnetId!),
    AvailabilityZoneId: subnet.AvailabilityZoneId ?? '',
    VpcId: subnet.VpcId ?? '',
    CidrBlock: subnet.CidrBlock ?? '',
  });

  const createSubnet: StepExecutor<SubnetInput> = {
    type: ISLAND_STEP_TYPES.createSubnet,
    async probe(ctx) {
      const { VpcId, CidrBlock, AvailabilityZoneId } = ctx.input;
      const subnets = await ctx.describe(() =>
        collectPages(
          NextToken =>
            ec2Of(ctx.step).send(
              new DescribeSubnetsCommand({
                Filters: [
                  { Name: 'vpc-id', Values: [VpcId] },
                  { Name: 'cidr-block', Values: [CidrBlock] },
                ],
                NextToken,
              }),
            ),
          page => page.Subnets,
        ),
      );
      const subnet = subnets.find(s => s.VpcId === VpcId && s.CidrBlock === CidrBlock);
      if (!subnet) return undefined;
      if (subnet.AvailabilityZoneId !== AvailabilityZoneId) {
        throw new Error(
          `${VpcId} already has ${CidrBlock} as ${subnet.SubnetId} in ${subnet.AvailabilityZoneId}, not ${AvailabilityZoneId}; ` +
            'an island subnet must sit in the island\'s AZ-ID: choose another CIDR',
        );
      }
      return { ...subnetOutput(subnet, cellOf(ctx.step)), ...createdIf(isTaggedByStep(subnet.Tags, ctx.plan, ctx.step.key)) };
    },
    async run(ctx) {
      const response = await ctx.mutate(() =>
        ec2Of(ctx.step).send(
          new CreateSubnetCommand({
            VpcId: ctx.input.VpcId,
            CidrBlock: ctx.input.CidrBlock,
            // The AZ-ID, never a name: names differ per account (aws-facts §1).
            AvailabilityZoneId: ctx.input.AvailabilityZoneId,
            TagSpecifications: [{ ResourceType: 'subnet', Tags: tagsFor(ctx) }],
          }),
        ),
      );
      if (!response.Subnet?.SubnetId) throw new Error('CreateSubnet returned no subnet id');
      return subnetOutput(response.Subnet, cellOf(ctx.step));
    },
    undo({ step, output }) {
      return [
        {
          key: `destroy:${step.key}`,
          title: `Delete the island's subnet ${output.SubnetId} (${output.CidrBlock} in ${output.AvailabilityZoneId})`,
          kind: 'aws',
          type: ISLAND_STEP_TYPES.deleteSubnet,
          cell: step.cell,
          input: { SubnetId: output.SubnetId as string },
        },
      ];
    },
  };

  const deleteSubnet = deleteExecutor<SubnetIdInput>({
    type: ISLAND_STEP_TYPES.deleteSubnet,
    exists: async ctx => {
      const response = await ctx.describe(() =>
        ec2Of(ctx.step).send(new DescribeSubnetsCommand({ SubnetIds: [ctx.input.SubnetId] })),
      );
      return Boolean(response.Subnets?.some(s => s.SubnetId === ctx.input.SubnetId));
    },
    remove: ctx => ctx.mutate(() => ec2Of(ctx.step).send(new DeleteSubnetCommand({ SubnetId: ctx.input.SubnetId }))),
  });

  const groupOutput = (group: { GroupId?: string; SecurityGroupArn?: string }, input: SecurityGroupInput, cell: CellRef) => ({
    GroupId: group.GroupId!,
    GroupArn: group.SecurityGroupArn ?? ec2Arn(cell, 'security-group', group.GroupId!),
    GroupName: input.GroupName,
    VpcId: input.VpcId,
  });

  const createSecurityGroup: StepExecutor<SecurityGroupInput> = {
    type: ISLAND_STEP_TYPES.createSecurityGroup,
    async probe(ctx) {
      const response = await ctx.describe(() =>
        ec2Of(ctx.step).send(
          new DescribeSecurityGroupsCommand({
            Filters: [
              { Name: 'vpc-id', Values: [ctx.input.VpcId] },
              { Name: 'group-name', Values: [ctx.input.GroupName] },
            ],
          }),
        ),
      );
      const group = response.SecurityGroups?.find(g => g.GroupName === ctx.input.GroupName && g.VpcId === ctx.input.VpcId);
      if (!group) return undefined;
      return {
        ...groupOutput(group, ctx.input, cellOf(ctx.step)),
        ...createdIf(isTaggedByStep(group.Tags, ctx.plan, ctx.step.key)),
      };
    },
    async run(ctx) {
      const response = await ctx.mutate(() =>
        ec2Of(ctx.step).send(
          new CreateSecurityGroupCommand({
            VpcId: ctx.input.VpcId,
            GroupName: ctx.input.GroupName,
            Description: ctx.input.Description,
            TagSpecifications: [{ ResourceType: 'security-group', Tags: tagsFor(ctx) }],
          }),
        ),
      );
      if (!response.GroupId) throw new Error('CreateSecurityGroup returned no group id');
      return groupOutput(response, ctx.input, cellOf(ctx.step));
    },
    undo({ step, output }) {
      return [
        {
          key: `destroy:${step.key}`,
          title: `Delete the island's security group ${output.GroupName} (${output.GroupId})`,
          kind: 'aws',
          type: ISLAND_STEP_TYPES.deleteSecurityGroup,
          cell: step.cell,
          input: { GroupId: output.GroupId as string },
        },
      ];
    },
  };

  const deleteSecurityGroup = deleteExecutor<GroupIdInput>({
    type: ISLAND_STEP_TYPES.deleteSecurityGroup,
    exists: async ctx => {
      const response = await ctx.describe(() =>
        ec2Of(ctx.step).send(new DescribeSecurityGroupsCommand({ GroupIds: [ctx.input.GroupId] })),
      );
      return Boolean(response.SecurityGroups?.some(g => g.GroupId === ctx.input.GroupId));
    },
    remove: ctx =>
      ctx.mutate(() => ec2Of(ctx.step).send(new DeleteSecurityGroupCommand({ GroupId: ctx.input.GroupId }))),
  });

  const rulesOf = async (ctx: StepContext<GroupIdInput>): Promise<SecurityGroupRule[]> =>
    ctx.describe(() =>
      collectPages(
        NextToken =>
          ec2Of(ctx.step).send(
            new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [ctx.input.GroupId] }], NextToken }),
          ),
        page => page.SecurityGroupRules,
      ),
    );

  const authorizeSelfReference: StepExecutor<GroupIdInput> = {
    type: ISLAND_STEP_TYPES.authorizeSelfReference,
    async probe(ctx) {
      const { ingress, egress } = selfRules(await rulesOf(ctx), ctx.input.GroupId);
      if (!ingress || !egress) return undefined;
      const ours = [ingress, egress].every(r => isTaggedByStep(r.Tags, ctx.plan, ctx.step.key));
      return {
        GroupId: ctx.input.GroupId,
        IngressRuleId: ingress.SecurityGroupRuleId ?? '',
        EgressRuleId: egress.SecurityGroupRuleId ?? '',
        ...createdIf(ours),
      };
    },
    async run(ctx) {
      const { GroupId } = ctx.input;
      const existing = selfRules(await rulesOf(ctx), GroupId);
      const params = {
        GroupId,
        IpPermissions: selfPermission(GroupId),
        TagSpecifications: [{ ResourceType: 'security-group-rule' as const, Tags: ctx.tags }],
      };
      // A concurrent apply may add the same rule: a duplicate is the outcome we want.
      const tolerateDuplicate = (error: unknown) => {
        if (awsErrorCode(error) !== 'InvalidPermission.Duplicate') throw error;
      };
      if (!existing.ingress) {
        await ctx
          .mutate(() => ec2Of(ctx.step).send(new AuthorizeSecurityGroupIngressCommand(params)))
          .catch(tolerateDuplicate);
      }
      if (!existing.egress) {
        await ctx
          .mutate(() => ec2Of(ctx.step).send(new AuthorizeSecurityGroupEgressCommand(params)))
          .catch(tolerateDuplicate);
      }
      const { ingress, egress } = selfRules(await rulesOf(ctx), GroupId);
      if (!ingress || !egress) throw new Error(`The self-reference rules of ${GroupId} did not appear after authorizing them`);
      return { GroupId, IngressRuleId: ingress.SecurityGroupRuleId ?? '', EgressRuleId: egress.SecurityGroupRuleId ?? '' };
    },
    undo({ step, output }) {
      // Deleting the island's own group removes its rules too; revoking first also covers
      // a found group the destroy keeps.
      return [
        {
          key: `destroy:${step.key}`,
          title: `Revoke the all-traffic self-reference rules of ${output.GroupId}`,
          kind: 'aws',
          type: ISLAND_STEP_TYPES.revokeSelfReference,
          cell: step.cell,
          input: { GroupId: output.GroupId as string },
        },
      ];
    },
  };

  const revokeSelfReference: StepExecutor<GroupIdInput> = {
    type: ISLAND_STEP_TYPES.revokeSelfReference,
    async probe(ctx) {
      let rules: SecurityGroupRule[];
      try {
        rules = await rulesOf(ctx);
      } catch (error) {
        if (isNotFound(error)) return { GroupId: ctx.input.GroupId, revoked: true };
        throw error;
      }
      const { ingress, egress } = selfRules(rules, ctx.input.GroupId);
      return ingress || egress ? undefined : { GroupId: ctx.input.GroupId, revoked: true };
    },
    async run(ctx) {
      const { GroupId } = ctx.input;
      const { ingress, egress } = selfRules(await rulesOf(ctx), GroupId);
      const params = { GroupId, IpPermissions: selfPermission(GroupId) };
      const tolerateMissing = (error: unknown) => {
        if (awsErrorCode(error) !== 'InvalidPermission.NotFound' && !isNotFound(error)) throw error;
      };
      if (ingress) {
        await ctx.mutate(() => ec2Of(ctx.step).send(new RevokeSecurityGroupIngressCommand(params))).catch(tolerateMissing);
      }
      if (egress) {
        await ctx.mutate(() => ec2Of(ctx.step).send(new RevokeSecurityGroupEgressCommand(params))).catch(tolerateMissing);
      }
      return { GroupId, revoked: true };
    },
  };

  const findPlacementGroup = async (ctx: StepContext<{ GroupName: string }>): Promise<PlacementGroup | undefined> => {
    // A filter, not GroupNames: an unknown name in GroupNames is an error, not an empty answer.
    const response = await ctx.describe(() =>
      ec2Of(ctx.step).send(
        new DescribePlacementGroupsCommand({ Filters: [{ Name: 'group-name', Values: [ctx.input.GroupName] }] }),
      ),
    );
    return response.PlacementGroups?.find(
      g => g.GroupName === ctx.input.GroupName && g.State !== 'deleted' && g.State !== 'deleting',
    );
  };
  const placementGroupOutput = (group: PlacementGroup, cell: CellRef) => ({
    GroupId: group.GroupId!,
    GroupName: group.GroupName!,
    GroupArn: group.GroupArn ?? ec2Arn(cell, 'placement-group', group.GroupName!),
    Strategy: group.Strategy ?? 'cluster',
  });

  const createPlacementGroup: StepExecutor<PlacementGroupInput> = {
    type: ISLAND_STEP_TYPES.createPlacementGroup,
    async probe(ctx) {
      const group = await findPlacementGroup(ctx);
      if (!group) return undefined;
      if (group.Strategy !== ctx.input.Strategy) {
        throw new Error(
          `Placement group ${group.GroupName} (${group.GroupId}) exists with strategy ${group.Strategy}; an EFA island needs a cluster placement group`,
        );
      }
      if (!group.GroupId) throw new Error(`Placement group ${group.GroupName} has no GroupId; participants can only use it by id`);
      return {
        ...placementGroupOutput(group, cellOf(ctx.step)),
        ...createdIf(isTaggedByStep(group.Tags, ctx.plan, ctx.step.key)),
      };
    },
    async run(ctx) {
      const response = await ctx.mutate(() =>
        ec2Of(ctx.step).send(
          new CreatePlacementGroupCommand({
            GroupName: ctx.input.GroupName,
            Strategy: ctx.input.Strategy,
            TagSpecifications: [{ ResourceType: 'placement-group', Tags: tagsFor(ctx) }],
          }),
        ),
      );
      const group = response.PlacementGroup?.GroupId ? response.PlacementGroup : await findPlacementGroup(ctx);
      if (!group?.GroupId) throw new Error(`CreatePlacementGroup ${ctx.input.GroupName} returned no GroupId`);
      return placementGroupOutput({ ...group, GroupName: group.GroupName ?? ctx.input.GroupName }, cellOf(ctx.step));
    },
    undo({ step, output }) {
      return [
        {
          key: `destroy:${step.key}`,
          title: `Delete the island's placement group ${output.GroupName} (${output.GroupId})`,
          kind: 'aws',
          type: ISLAND_STEP_TYPES.deletePlacementGroup,
          cell: step.cell,
          input: { GroupName: output.GroupName as string, GroupId: output.GroupId as string },
        },
      ];
    },
  };

  const deletePlacementGroup: StepExecutor<DeletePlacementGroupInput> = {
    type: ISLAND_STEP_TYPES.deletePlacementGroup,
    async probe(ctx) {
      const group = await findPlacementGroup(ctx);
      // Gone, or a group of the same name that is not the one this island made.
      return group?.GroupId === ctx.input.GroupId ? undefined : { ...ctx.input, deleted: true };
    },
    async run(ctx) {
      await ignoreNotFound(() =>
        ctx.mutate(() => ec2Of(ctx.step).send(new DeletePlacementGroupCommand({ GroupName: ctx.input.GroupName }))),
      );
      return { ...ctx.input, deleted: true };
    },
  };

  // RAM calls do not draw from the cell's EC2 token buckets: RAM throttles on its own.
  const ramOf = (step: PlanStep) => options.ram(cellOf(step));
  const liveShare = (share: RamResourceShare) => !['DELETING', 'DELETED', 'FAILED'].includes(share.status ?? '');
  const findShare = async (ram: RamApi, name: string) => {
    const shares: RamResourceShare[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ram.getResourceShares({ resourceOwner: 'SELF', name, nextToken });
      shares.push(...(page.resourceShares ?? []));
      nextToken = page.nextToken || undefined;
    } while (nextToken);
    return shares.find(s => s.name === name && liveShare(s));
  };
  /** What the share still lacks; `undefined` when the RamApi cannot tell. */
  const missingFromShare = async (ram: RamApi, arn: string, input: ResourceShareInput) => {
    if (!ram.getResourceShareAssociations || !ram.associateResourceShare) return undefined;
    const associated = async (associationType: 'PRINCIPAL' | 'RESOURCE') => {
      const entities = new Set<string>();
      let nextToken: string | undefined;
      do {
        const page = await ram.getResourceShareAssociations!({ associationType, resourceShareArns: [arn], nextToken });
        for (const a of page.resourceShareAssociations ?? []) {
          if (a.associatedEntity && ['ASSOCIATED', 'ASSOCIATING'].includes(a.status ?? '')) entities.add(a.associatedEntity);
        }
        nextToken = page.nextToken || undefined;
      } while (nextToken);
      return entities;
    };
    const principals = await associated('PRINCIPAL');
    const resources = await associated('RESOURCE');
    return {
      principals: input.principals.filter(p => !principals.has(p)),
      resourceArns: input.resourceArns.filter(r => !resources.has(r)),
    };
  };
  const ramTags = (ctx: Pick<StepContext, 'tags'>): RamTag[] => ctx.tags.map(t => ({ key: t.Key, value: t.Value }));

  const createResourceShare: StepExecutor<ResourceShareInput> = {
    type: ISLAND_STEP_TYPES.createResourceShare,
    async probe(ctx) {
      const ram = ramOf(ctx.step);
      const share = await findShare(ram, ctx.input.name);
      if (!share?.resourceShareArn) return undefined;
      const missing = await missingFromShare(ram, share.resourceShareArn, ctx.input);
      if (missing && (missing.principals.length || missing.resourceArns.length)) return undefined;
      const ours = isTaggedByStep(
        share.tags?.map(t => ({ Key: t.key, Value: t.value })),
        ctx.plan,
        ctx.step.key,
      );
      return { resourceShareArn: share.resourceShareArn, name: ctx.input.name, ...createdIf(ours) };
    },
    async run(ctx) {
      const ram = ramOf(ctx.step);
      const existing = await findShare(ram, ctx.input.name);
      if (existing?.resourceShareArn) {
        // The share is there but lacks a member or a resource (the island grew).
        const missing = await missingFromShare(ram, existing.resourceShareArn, ctx.input);
        if (missing && (missing.principals.length || missing.resourceArns.length)) {
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
        tags: ramTags(ctx),
        clientToken: ctx.clientToken,
      });
      const arn = response.resourceShare?.resourceShareArn;
      if (!arn) throw new Error(`CreateResourceShare ${ctx.input.name} returned no resourceShareArn`);
      return { resourceShareArn: arn, name: ctx.input.name };
    },
    undo({ step, output }) {
      if (output.extendedExisting === true) return [];
      return [
        {
          key: `destroy:${step.key}`,
          title: `Delete the RAM share ${output.name}: the members lose the subnet, security group and placement group`,
          kind: 'aws',
          type: ISLAND_STEP_TYPES.deleteResourceShare,
          cell: step.cell,
          input: { resourceShareArn: output.resourceShareArn as string },
        },
      ];
    },
  };

  const deleteResourceShare: StepExecutor<ResourceShareArnInput> = {
    type: ISLAND_STEP_TYPES.deleteResourceShare,
    async probe(ctx) {
      const { resourceShareArn } = ctx.input;
      try {
        const response = await ramOf(ctx.step).getResourceShares({ resourceOwner: 'SELF', resourceShareArns: [resourceShareArn] });
        const share = response.resourceShares?.find(s => s.resourceShareArn === resourceShareArn);
        if (share && share.status !== 'DELETED' && share.status !== 'DELETING') return undefined;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      return { resourceShareArn, deleted: true };
    },
    async run(ctx) {
      await ignoreNotFound(() =>
        ramOf(ctx.step).deleteResourceShare({ resourceShareArn: ctx.input.resourceShareArn, clientToken: ctx.clientToken }),
      );
      return { resourceShareArn: ctx.input.resourceShareArn, deleted: true };
    },
  };

  const findLaunchTemplate = async (ctx: StepContext<{ LaunchTemplateName: string }>): Promise<LaunchTemplate | undefined> => {
    // A filter, not LaunchTemplateNames: an unknown name there is an error, not an empty answer.
    const response = await ctx.describe(() =>
      ec2Of(ctx.step).send(
        new DescribeLaunchTemplatesCommand({
          Filters: [{ Name: 'launch-template-name', Values: [ctx.input.LaunchTemplateName] }],
        }),
      ),
    );
    return response.LaunchTemplates?.find(t => t.LaunchTemplateName === ctx.input.LaunchTemplateName);
  };
  const templateOutput = (template: LaunchTemplate) => ({
    LaunchTemplateId: template.LaunchTemplateId!,
    LaunchTemplateName: template.LaunchTemplateName!,
    DefaultVersionNumber: template.DefaultVersionNumber ?? 1,
  });

  const createLaunchTemplate: StepExecutor<LaunchTemplateInput> = {
    type: ISLAND_STEP_TYPES.createLaunchTemplate,
    async probe(ctx) {
      const template = await findLaunchTemplate(ctx);
      if (!template?.LaunchTemplateId) return undefined;
      const versions = await ctx.describe(() =>
        ec2Of(ctx.step).send(
          new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template.LaunchTemplateId, Versions: ['$Default'] }),
        ),
      );
      const drift = launchTemplateDrift(ctx.input.LaunchTemplateData, versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData);
      if (drift.length) {
        throw new Error(
          `Launch template ${template.LaunchTemplateName} (${template.LaunchTemplateId}) exists but differs from the island: ` +
            `${drift.join('; ')}. Destroy the island's earlier plan or delete the template, then apply again`,
        );
      }
      return { ...templateOutput(template), ...createdIf(isTaggedByStep(template.Tags, ctx.plan, ctx.step.key)) };
    },
    async run(ctx) {
      const response = await ctx.mutate(() =>
        ec2Of(ctx.step).send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: ctx.input.LaunchTemplateName,
            LaunchTemplateData: ctx.input.LaunchTemplateData,
            ClientToken: ctx.clientToken,
            TagSpecifications: [{ ResourceType: 'launch-template', Tags: tagsFor(ctx) }],
          }),
        ),
      );
      if (!response.LaunchTemplate?.LaunchTemplateId) throw new Error('CreateLaunchTemplate returned no template id');
      return templateOutput(response.LaunchTemplate);
    },
    undo({ step, output }) {
      return [
        {
          key: `destroy:${step.key}`,
          title: `Delete launch template ${output.LaunchTemplateName} (${output.LaunchTemplateId}) in ${step.cell?.accountId}/${step.cell?.region}`,
          kind: 'aws',
          type: ISLAND_STEP_TYPES.deleteLaunchTemplate,
          cell: step.cell,
          input: { LaunchTemplateId: output.LaunchTemplateId as string, LaunchTemplateName: output.LaunchTemplateName as string },
        },
      ];
    },
  };

  const deleteLaunchTemplate = deleteExecutor<LaunchTemplateIdInput>({
    type: ISLAND_STEP_TYPES.deleteLaunchTemplate,
    exists: async ctx => {
      const response = await ctx.describe(() =>
        ec2Of(ctx.step).send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [ctx.input.LaunchTemplateId] })),
      );
      return Boolean(response.LaunchTemplates?.some(t => t.LaunchTemplateId === ctx.input.LaunchTemplateId));
    },
    remove: ctx =>
      ctx.mutate(() =>
        ec2Of(ctx.step).send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: ctx.input.LaunchTemplateId })),
      ),
  });

  return [
    createSubnet,
    deleteSubnet,
    createSecurityGroup,
    deleteSecurityGroup,
    authorizeSelfReference,
    revokeSelfReference,
    createPlacementGroup,
    deletePlacementGroup,
    createResourceShare,
    deleteResourceShare,
    createLaunchTemplate,
    deleteLaunchTemplate,
    ...kubernetesExecutors(options.kubernetes),
  ];
}

/**
 * A delete step. It is done once the look-up no longer finds the resource (or AWS says
 * NotFound), and a NotFound on delete counts as done too, so a destroy can be re-run.
 */
function deleteExecutor<Input extends object>(options: {
  type: string;
  exists(ctx: StepContext<Input>): Promise<boolean>;
  remove(ctx: StepContext<Input>): Promise<unknown>;
}): StepExecutor<Input> {
  return {
    type: options.type,
    async probe(ctx) {
      try {
        if (await options.exists(ctx)) return undefined;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      return { ...ctx.input, deleted: true };
    },
    async run(ctx) {
      await ignoreNotFound(() => options.remove(ctx));
      return { ...ctx.input, deleted: true };
    },
  };
}

/**
 * How a launch template's stored data differs from what the island wants, in the fields
 * that decide where and how an instance lands: type, placement group, NICs, reservation.
 */
export function launchTemplateDrift(
  wanted: RequestLaunchTemplateData,
  actual: { [K in keyof RequestLaunchTemplateData]?: unknown } | undefined,
): string[] {
  if (!actual) return ['it has no default version'];
  const drift: string[] = [];
  const differ = (field: string, want: unknown, have: unknown) => {
    if (JSON.stringify(want ?? null) !== JSON.stringify(have ?? null)) {
      drift.push(`${field} is ${JSON.stringify(have ?? null)}, the island wants ${JSON.stringify(want ?? null)}`);
    }
  };
  const differList = <T>(field: string, want: T[], have: T[]) => {
    if (want.length !== have.length) {
      drift.push(`${field} has ${have.length} entries, the island wants ${want.length}`);
      return;
    }
    const at = want.findIndex((w, i) => JSON.stringify(w) !== JSON.stringify(have[i]));
    if (at >= 0) differ(`${field}[${at}]`, want[at], have[at]);
  };
  const a = actual as RequestLaunchTemplateData;
  differ('InstanceType', wanted.InstanceType, a.InstanceType);
  differ('Placement.GroupId', wanted.Placement?.GroupId, a.Placement?.GroupId);
  const nics = (list: RequestLaunchTemplateData['NetworkInterfaces']) =>
    (list ?? [])
      .map(n => ({
        card: n.NetworkCardIndex ?? 0,
        device: n.DeviceIndex ?? 0,
        type: n.InterfaceType ?? 'interface',
        subnet: n.SubnetId ?? null,
        groups: [...(n.Groups ?? [])].sort(),
      }))
      .sort((x, y) => x.card - y.card || x.device - y.device);
  differList('NetworkInterfaces', nics(wanted.NetworkInterfaces), nics(a.NetworkInterfaces));
  differ(
    'CapacityReservationId',
    wanted.CapacityReservationSpecification?.CapacityReservationTarget?.CapacityReservationId,
    a.CapacityReservationSpecification?.CapacityReservationTarget?.CapacityReservationId,
  );
  differ('InstanceMarketOptions.MarketType', wanted.InstanceMarketOptions?.MarketType, a.InstanceMarketOptions?.MarketType);
  return drift;
}
