import { randomUUID } from 'node:crypto';
import { CellRef, cellId, Inventory } from '@internal/backstage-plugin-fabric-common';
import { CLUSTER_TAG, ISLAND_LABEL } from '../compile/labels';
import { outputRef } from '../plan/refs';
import { JsonValue, Plan, PlanStep, StepOutputRef } from '../plan/types';
import { islandKarpenterObjects } from './islandKarpenter';
import { IslandRefusedError, IslandSpec, validateIsland } from './IslandSpec';
import { launchTemplateNetworkInterfaces } from './nicLayout';

/** Step types of an island; the executors in `islandExecutors.ts` perform them. */
export const ISLAND_STEP_TYPES = {
  createSubnet: 'ec2:CreateSubnet',
  deleteSubnet: 'ec2:DeleteSubnet',
  createSecurityGroup: 'ec2:CreateSecurityGroup',
  deleteSecurityGroup: 'ec2:DeleteSecurityGroup',
  authorizeSelfReference: 'ec2:AuthorizeSecurityGroupSelfReference',
  revokeSelfReference: 'ec2:RevokeSecurityGroupSelfReference',
  createPlacementGroup: 'ec2:CreatePlacementGroup',
  deletePlacementGroup: 'ec2:DeletePlacementGroup',
  createResourceShare: 'ram:CreateResourceShare',
  deleteResourceShare: 'ram:DeleteResourceShare',
  createLaunchTemplate: 'ec2:CreateLaunchTemplate',
  deleteLaunchTemplate: 'ec2:DeleteLaunchTemplate',
  serverSideApply: 'kubernetes:ServerSideApply',
  kubernetesDelete: 'kubernetes:Delete',
} as const;

/** `fabric-island-<id>`: the name of the island's security group, placement group and RAM share. */
export function islandResourceName(islandId: string): string {
  return `fabric-island-${islandId}`;
}

/** The launch template of one instance type in a member account. */
export function islandLaunchTemplateName(islandId: string, instanceType: string): string {
  return `fabric-island-${islandId}-${instanceType}`;
}

/** Step keys of an island plan, so callers can read outputs (e.g. the placement group id). */
export function islandStepKeys(islandId: string) {
  const prefix = `island:${islandId}`;
  return {
    subnet: `${prefix}:subnet`,
    securityGroup: `${prefix}:security-group`,
    efaRules: `${prefix}:efa-rules`,
    placementGroup: `${prefix}:placement-group`,
    resourceShare: `${prefix}:ram-share`,
    launchTemplate: (accountId: string, instanceType: string) => `${prefix}:launch-template:${accountId}:${instanceType}`,
    karpenter: `${prefix}:karpenter`,
  };
}

export interface PlanIslandContext {
  /** Instance types (NIC layouts) and cells (AZ-ID maps) the island is checked against. */
  inventory: Pick<Inventory, 'cells' | 'instanceTypes'>;
  /** `fabric.cloudspectra.io/owner` on everything the plan creates. */
  owner: string;
  /** Defaults to a fresh UUID, so a destroyed plan's checkpoints never shadow a new one. */
  planId?: string;
  /** EKS-optimized AMI alias of the island's node classes. Default `al2023@latest`. */
  amiAlias?: string;
  /** Plan the hub cluster's NodePool + EC2NodeClass apply (default true). */
  karpenter?: boolean;
}

/**
 * Plans an EFA training island (docs/aws-facts.md §2, §3): in the network account, a subnet of
 * the shared VPC in the one AZ-ID, a security group that lets all traffic to and from
 * itself, a cluster placement group, and one RAM share of the three with the member
 * accounts; in each member account, one launch template per instance type with the EFA
 * NIC layout, the placement group by GroupId and the type's reservation; and in the hub
 * cluster, a NodePool + EC2NodeClass per type. The island is validated first and refused
 * with the reasons ({@link IslandRefusedError}).
 */
export function planIsland(input: unknown, context: PlanIslandContext): Plan {
  const validation = validateIsland(input, context.inventory);
  if (!validation.ok) throw new IslandRefusedError(validation.reasons, validation.rule);
  const spec = validation.spec;
  const keys = islandStepKeys(spec.id);
  const name = islandResourceName(spec.id);
  const network: CellRef = { accountId: spec.networkAccountId, region: spec.region };
  const islandTags = [{ Key: ISLAND_LABEL, Value: spec.id }];
  const subnetId = outputRef(keys.subnet, 'SubnetId');
  const groupId = outputRef(keys.securityGroup, 'GroupId');
  const placementGroupId = outputRef(keys.placementGroup, 'GroupId');

  const steps: PlanStep[] = [
    {
      key: keys.subnet,
      title: `Create the island's subnet ${spec.subnetCidr} in ${spec.azId} of ${spec.vpcId} (${cellId(network)})`,
      kind: 'aws',
      type: ISLAND_STEP_TYPES.createSubnet,
      cell: network,
      input: {
        VpcId: spec.vpcId,
        CidrBlock: spec.subnetCidr,
        AvailabilityZoneId: spec.azId,
        Tags: [{ Key: 'Name', Value: name }, ...islandTags],
      },
    },
    {
      key: keys.securityGroup,
      title: `Create the island's security group ${name} in ${spec.vpcId}`,
      kind: 'aws',
      type: ISLAND_STEP_TYPES.createSecurityGroup,
      cell: network,
      input: {
        VpcId: spec.vpcId,
        GroupName: name,
        Description: `EFA island ${spec.id}: all traffic to and from itself`,
        Tags: islandTags,
      },
    },
    {
      key: keys.efaRules,
      title: `Allow all traffic from and to ${name} itself (the EFA rule), inbound and outbound`,
      kind: 'aws',
      type: ISLAND_STEP_TYPES.authorizeSelfReference,
      cell: network,
      dependsOn: [keys.securityGroup],
      input: { GroupId: groupId },
    },
    {
      key: keys.placementGroup,
      title: `Create the cluster placement group ${name}`,
      kind: 'aws',
      type: ISLAND_STEP_TYPES.createPlacementGroup,
      cell: network,
      input: { GroupName: name, Strategy: 'cluster', Tags: islandTags },
    },
  ];

  const participants = [...new Set(spec.memberAccountIds)].filter(id => id !== spec.networkAccountId).sort();
  const shareDependencies: string[] = [];
  if (participants.length) {
    steps.push({
      key: keys.resourceShare,
      title: `Share the subnet, security group and placement group with ${participants.join(', ')} through RAM`,
      kind: 'aws',
      type: ISLAND_STEP_TYPES.createResourceShare,
      cell: network,
      dependsOn: [keys.subnet, keys.securityGroup, keys.placementGroup],
      input: {
        name,
        resourceArns: [
          outputRef(keys.subnet, 'SubnetArn'),
          outputRef(keys.securityGroup, 'GroupArn'),
          outputRef(keys.placementGroup, 'GroupArn'),
        ],
        principals: participants,
        // Shared subnets and security groups stay inside the Organization (docs/aws-facts.md §3.1).
        allowExternalPrincipals: false,
      },
    });
    shareDependencies.push(keys.resourceShare);
  }

  const infoOf = new Map(context.inventory.instanceTypes.map(t => [t.instanceType, t]));
  for (const accountId of [...new Set(spec.memberAccountIds)].sort()) {
    for (const instanceType of [...new Set(spec.instanceTypes)].sort()) {
      const reservation = reservationFor(spec, accountId, instanceType);
      const templateName = islandLaunchTemplateName(spec.id, instanceType);
      const data: Record<string, JsonValue> = {
        InstanceType: instanceType,
        NetworkInterfaces: launchTemplateNetworkInterfaces<StepOutputRef>(
          infoOf.get(instanceType)!,
          subnetId,
          groupId,
        ) as unknown as JsonValue,
        // Participants of a shared group must name it by GroupId (docs/aws-facts.md §3.2).
        Placement: { GroupId: placementGroupId },
        TagSpecifications: ['instance', 'network-interface'].map(ResourceType => ({
          ResourceType,
          Tags: [...islandTags, { Key: CLUSTER_TAG, Value: spec.hub.clusterName }],
        })),
      };
      if (reservation) {
        data.CapacityReservationSpecification = { CapacityReservationTarget: { CapacityReservationId: reservation.id } };
        if (reservation.capacityBlock) data.InstanceMarketOptions = { MarketType: 'capacity-block' };
      }
      const cell = { accountId, region: spec.region };
      steps.push({
        key: keys.launchTemplate(accountId, instanceType),
        title: `Create launch template ${templateName} in ${cellId(cell)}: EFA NIC layout, placement group by id${
          reservation ? `, ${reservation.capacityBlock ? 'Capacity Block' : 'capacity reservation'} ${reservation.id}` : ''
        }`,
        kind: 'aws',
        type: ISLAND_STEP_TYPES.createLaunchTemplate,
        cell,
        dependsOn: [keys.subnet, keys.securityGroup, keys.efaRules, keys.placementGroup, ...shareDependencies],
        input: { LaunchTemplateName: templateName, Tags: islandTags, LaunchTemplateData: data },
      });
    }
  }

  if (context.karpenter ?? true) {
    const objects = islandKarpenterObjects<StepOutputRef>(
      spec,
      context.inventory.instanceTypes,
      { subnetId, securityGroupId: groupId, placementGroupId },
      { amiAlias: context.amiAlias },
    );
    steps.push({
      key: keys.karpenter,
      title: `Apply the island's EC2NodeClass and NodePool per instance type to the hub cluster ${spec.hub.clusterName}`,
      kind: 'kubernetes',
      type: ISLAND_STEP_TYPES.serverSideApply,
      dependsOn: [keys.subnet, keys.securityGroup, keys.efaRules, keys.placementGroup, ...shareDependencies],
      // Node classes first: a NodePool refers to its class by name.
      input: { cluster: spec.hub.clusterName, objects: [...objects.nodeClasses, ...objects.nodePools] } as unknown as JsonValue,
    });
  }

  return {
    id: context.planId ?? randomUUID(),
    owner: context.owner,
    title:
      `EFA island ${spec.id}: ${spec.subnetCidr} in ${spec.azId} of ${spec.vpcId}, ` +
      `${spec.instanceTypes.join(', ')} for ${spec.memberAccountIds.length} account${spec.memberAccountIds.length === 1 ? '' : 's'}`,
    steps,
  };
}

function reservationFor(spec: IslandSpec, accountId: string, instanceType: string) {
  const matching = (spec.capacityReservations ?? []).filter(r => r.instanceType === instanceType);
  // An account's own reservation wins over one every member shares.
  return matching.find(r => r.accountId === accountId) ?? matching.find(r => r.accountId === undefined);
}
