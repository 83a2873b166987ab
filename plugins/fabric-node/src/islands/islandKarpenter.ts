import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';
import { EC2NodeClass, NodePool, Taint } from '../compile/karpenter';
import {
  CAPACITY_TYPE_LABEL,
  CLUSTER_TAG,
  INSTANCE_TYPE_LABEL,
  ISLAND_LABEL,
  NEURON_RESOURCE,
  NVIDIA_GPU_RESOURCE,
  ZONE_ID_LABEL,
} from '../compile/labels';
import { IslandSpec } from './IslandSpec';
import { islandNetworkInterfaces } from './nicLayout';

/**
 * The ids the node class selects by. Plain ids once the island exists; `$ref`s to the
 * create steps' outputs inside a plan. Ids rather than tags: Karpenter resolves selectors
 * with its own account's view, and tags the network account puts on the shared subnet,
 * security group and placement group are the owner's; ids name the shared resources
 * the same way in every account.
 */
export interface IslandResourceIds<Id = string> {
  subnetId: Id;
  securityGroupId: Id;
  placementGroupId: Id;
}

/** An EC2NodeClass whose selector ids may still be `$ref`s. */
export type IslandNodeClass<Id = string> = Omit<EC2NodeClass, 'spec'> & {
  spec: Omit<EC2NodeClass['spec'], 'subnetSelectorTerms' | 'securityGroupSelectorTerms' | 'placementGroupSelector'> & {
    subnetSelectorTerms: Array<{ id: Id }>;
    securityGroupSelectorTerms: Array<{ id: Id }>;
    placementGroupSelector: { id: Id };
  };
};

export interface IslandKarpenterObjects<Id = string> {
  /** One per instance type: the NIC layout is per type. Apply these first. */
  nodeClasses: IslandNodeClass<Id>[];
  nodePools: NodePool[];
}

/** `fabric-island-<id>-<instance type>`: a valid object name and label value (≤ 63). */
export function islandObjectName(islandId: string, instanceType: string): string {
  return `fabric-island-${islandId}-${instanceType}`;
}

/**
 * The island's Karpenter objects for the hub cluster: per instance type an EC2NodeClass
 * that launches into the island's subnet, security group and cluster placement group
 * (by GroupId: a RAM-shared group works for participants only by id), with the type's
 * EFA-only NIC layout and the type's reservations; and a NodePool pinned to the AZ-ID
 * and the type, tainted for the island so only its gangs land there.
 */
export function islandKarpenterObjects<Id>(
  spec: IslandSpec,
  instanceTypes: InstanceTypeInfo[],
  ids: IslandResourceIds<Id>,
  options: { amiAlias?: string } = {},
): IslandKarpenterObjects<Id> {
  const infoOf = new Map(instanceTypes.map(t => [t.instanceType, t]));
  const nodeClasses: IslandNodeClass<Id>[] = [];
  const nodePools: NodePool[] = [];
  for (const instanceType of [...new Set(spec.instanceTypes)].sort()) {
    const info = infoOf.get(instanceType);
    if (!info) throw new Error(`Instance type ${instanceType} is not in the inventory`);
    const name = islandObjectName(spec.id, instanceType);
    const labels = { [ISLAND_LABEL]: spec.id };
    const reservations = (spec.capacityReservations ?? []).filter(r => r.instanceType === instanceType);

    nodeClasses.push({
      apiVersion: 'karpenter.k8s.aws/v1',
      kind: 'EC2NodeClass',
      metadata: { name, labels },
      spec: {
        role: spec.hub.nodeRoleName,
        amiSelectorTerms: [{ alias: options.amiAlias ?? 'al2023@latest' }],
        subnetSelectorTerms: [{ id: ids.subnetId }],
        securityGroupSelectorTerms: [{ id: ids.securityGroupId }],
        placementGroupSelector: { id: ids.placementGroupId },
        networkInterfaces: islandNetworkInterfaces(info),
        tags: { [ISLAND_LABEL]: spec.id, [CLUSTER_TAG]: spec.hub.clusterName },
        ...(reservations.length ? { capacityReservationSelectorTerms: [...new Set(reservations.map(r => r.id))].map(id => ({ id })) } : {}),
      },
    });

    const accelerator = info.acceleratorManufacturer.toUpperCase() === 'AWS' ? NEURON_RESOURCE : NVIDIA_GPU_RESOURCE;
    const taints: Taint[] = [
      { key: ISLAND_LABEL, value: spec.id, effect: 'NoSchedule' },
      ...(info.acceleratorCount > 0 ? [{ key: accelerator, value: 'true', effect: 'NoSchedule' as const }] : []),
    ];
    nodePools.push({
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name, labels },
      spec: {
        template: {
          metadata: { labels },
          spec: {
            nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name },
            requirements: [
              { key: ZONE_ID_LABEL, operator: 'In', values: [spec.azId] },
              { key: INSTANCE_TYPE_LABEL, operator: 'In', values: [instanceType] },
              // Reserved first when the island holds a reservation for the type; no spot:
              // a reclaimed member stops the whole gang.
              { key: CAPACITY_TYPE_LABEL, operator: 'In', values: reservations.length ? ['on-demand', 'reserved'] : ['on-demand'] },
            ],
            taints,
            // A forced expiry would kill a running gang.
            expireAfter: 'Never',
          },
        },
        // As for a compiled gang: only empty nodes go, and never by drift or consolidation.
        disruption: {
          consolidationPolicy: 'WhenEmpty',
          consolidateAfter: '10m',
          budgets: [{ nodes: '0', reasons: ['Drifted', 'Underutilized'] }],
        },
      },
    });
  }
  return { nodeClasses, nodePools };
}
