import { ChosenOffering, InstanceTypeInfo, Inventory, Placement } from '@internal/backstage-plugin-fabric-common';
import { compareStrings } from '../placement/candidates';
import { islandLaunchTemplateName } from '../islands/planIsland';
import {
  FABRIC_NODE_CLASS_GROUP,
  FABRIC_NODE_CLASS_KIND,
  FABRIC_NODE_CLASS_VERSION,
  FABRIC_STARTUP_TAINT,
  FabricNodeClassSpec,
} from '../provisioner/types';
import {
  DisruptionBudget,
  EC2NodeClass,
  efaNetworkInterfaces,
  FabricNodeClass,
  NodeClassRef,
  NodePool,
  NodeSelectorRequirement,
  Taint,
} from './karpenter';
import {
  CAPACITY_TYPE_LABEL,
  CELL_LABEL,
  cellLabelValue,
  CLUSTER_TAG,
  ENTITY_TAG,
  FABRIC_NODEPOOL_LABEL,
  GANG_SCHEDULING_GATE,
  INSTANCE_TYPE_LABEL,
  INTENT_LABEL,
  ISLAND_LABEL,
  labelSafe,
  NEURON_RESOURCE,
  NVIDIA_GPU_RESOURCE,
  PLACEMENT_LABEL,
  placementShortName,
  ZONE_ID_LABEL,
} from './labels';

export interface CompileOptions {
  /** EKS cluster the NodePools serve; tagged onto instances for cost and audit. */
  clusterName: string;
  /** IAM role the nodes use (EC2NodeClass.spec.role, FabricNodeClass.spec.role). */
  nodeRoleName: string;
  /**
   * The account the hub cluster (and so the hub's own Karpenter) runs in: the estate's
   * account with role `hub`. Its cells compile to EC2NodeClass pools for that Karpenter;
   * every other account's cells to FabricNodeClass pools the fabric provisioner launches.
   * When it is unknown every cell is a fabric cell: Karpenter launches only in its own
   * account, so an EC2NodeClass for a cell it cannot reach would leave NodeClaims failing,
   * while the fabric provisioner reaches every enrolled account, the hub's included.
   */
  hubAccountId?: string;
  /** Instance profile of member-account nodes (FabricNodeClass.spec.instanceProfile), if not derived from the role. */
  memberInstanceProfile?: string;
  /** EKS-optimized AMI alias, `family@version`. Default `al2023@latest`. */
  amiAlias?: string;
  /** Namespace the workload's pods live in. Default `default`. */
  namespace?: string;
  /**
   * The EFA island a gang runs in. Default: id = the AZ-ID, placement group selected by
   * the name `fabric-island-<azId>`. Member accounts must pass `placementGroupId`: a
   * RAM-shared cluster placement group is usable by participants only by its GroupId.
   */
  island?: {
    id: string;
    placementGroupId?: string;
    placementGroupName?: string;
    /**
     * The member accounts' EFA launch template (FabricNodeClass.spec.launchTemplate).
     * Default: the island plan's `fabric-island-<id>-<instance type>`.
     */
    launchTemplate?: { id?: string; name?: string; version?: string };
  };
}

export interface Toleration {
  key: string;
  operator: 'Exists' | 'Equal';
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  labelSelector: { matchLabels: Record<string, string> };
  nodeAffinityPolicy?: 'Honor' | 'Ignore';
  nodeTaintsPolicy?: 'Honor' | 'Ignore';
}

/** What goes into the workload's pod spec (and metadata.labels). */
export interface PodScheduling {
  nodeSelector?: Record<string, string>;
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: Array<{ matchExpressions: NodeSelectorRequirement[] }>;
      };
    };
  };
  tolerations: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  schedulingGates?: Array<{ name: string }>;
  labels: Record<string, string>;
}

export interface CompiledPlacement {
  /** Short name shared by every artifact of this placement. */
  name: string;
  namespace: string;
  podScheduling: PodScheduling;
  nodePools: NodePool[];
  /** Node classes of the hub account's cells, for the hub's own Karpenter. */
  ec2NodeClasses: EC2NodeClass[];
  /** Node classes of member-account cells, for the fabric provisioner. */
  fabricNodeClasses: FabricNodeClass[];
}

/** Every compiled Kubernetes object in apply order: node classes before the NodePools naming them. */
export function compiledObjects(compiled: CompiledPlacement): Array<EC2NodeClass | FabricNodeClass | NodePool> {
  return [...compiled.ec2NodeClasses, ...compiled.fabricNodeClasses, ...compiled.nodePools];
}

/**
 * Turns a placed placement into Kubernetes artifacts: the constraints the workload's pods
 * carry, and one Karpenter NodePool + EC2NodeClass pair per chosen cell. Pure: the same
 * placement and options always compile to the same objects.
 */
export function compilePlacement(placement: Placement, inventory: Inventory, options: CompileOptions): CompiledPlacement {
  if (placement.status !== 'placed' || placement.chosen.length === 0) {
    throw new Error(`Only a placed placement compiles; this one is ${placement.status}`);
  }
  const types = new Map(inventory.instanceTypes.map(t => [t.instanceType, t]));
  const infoOf = (instanceType: string): InstanceTypeInfo => {
    const info = types.get(instanceType);
    if (!info) throw new Error(`Instance type ${instanceType} is not in the inventory the placement was compiled with`);
    return info;
  };
  const name = placementShortName(placement);
  const gang = placement.intent === 'tightly-coupled';
  const azIds = unique(placement.chosen.map(c => c.azId));
  if (gang && azIds.length !== 1) {
    throw new Error(`A tightly-coupled placement must use exactly one AZ-ID, not ${azIds.join(', ')}`);
  }
  const island = gang
    ? {
        id: labelSafe(options.island?.id ?? azIds[0]),
        placementGroup: options.island?.placementGroupId
          ? { id: options.island.placementGroupId }
          : { name: options.island?.placementGroupName ?? `fabric-island-${azIds[0]}` },
      }
    : undefined;
  const accelerators = unique(placement.chosen.map(c => acceleratorResource(infoOf(c.instanceType))));

  const taints: Taint[] = accelerators.map(resource => ({ key: resource, value: 'true', effect: 'NoSchedule' }));
  if (island) taints.push({ key: ISLAND_LABEL, value: island.id, effect: 'NoSchedule' });

  const baseLabels: Record<string, string> = {
    [PLACEMENT_LABEL]: name,
    [INTENT_LABEL]: placement.intent,
    ...(island ? { [ISLAND_LABEL]: island.id } : {}),
  };

  const cells = groupBy(placement.chosen, c => `${c.accountId}|${c.region}`);
  const nodePools: NodePool[] = [];
  const ec2NodeClasses: EC2NodeClass[] = [];
  const fabricNodeClasses: FabricNodeClass[] = [];
  for (const members of cells) {
    const cell = { accountId: members[0].accountId, region: members[0].region };
    const cellValue = cellLabelValue(cell);
    const objectName = `fabric-${name}-${cell.accountId}-${cell.region}`;
    const objectLabels = { ...baseLabels, [CELL_LABEL]: cellValue };
    const selectorTags = { [CELL_LABEL]: cellValue, ...(island ? { [ISLAND_LABEL]: island.id } : {}) };
    const reservations = unique(members.flatMap(c => (c.reservationId ? [c.reservationId] : [])));
    const instanceTypes = unique(members.map(c => c.instanceType));

    const tags = {
      [CELL_LABEL]: cellValue,
      [PLACEMENT_LABEL]: name,
      [CLUSTER_TAG]: options.clusterName,
      [ENTITY_TAG]: placement.request.entityRef,
    };
    const fabricCell = cell.accountId !== options.hubAccountId;
    let nodeClassRef: NodeClassRef;
    if (fabricCell) {
      nodeClassRef = { group: FABRIC_NODE_CLASS_GROUP, kind: FABRIC_NODE_CLASS_KIND, name: objectName };
      const spec: FabricNodeClassSpec = {
        accountId: cell.accountId,
        region: cell.region,
        azIds: unique(members.map(c => c.azId)),
        subnetSelectorTerms: [{ tags: selectorTags }],
        securityGroupSelectorTerms: [{ tags: selectorTags }],
        ...(island
          ? {
              // The island plan's launch template carries the EFA layout and the placement
              // group by GroupId, so it alone launches a gang member correctly.
              launchTemplate: options.island?.launchTemplate ?? {
                name: islandLaunchTemplateName(island.id, instanceTypes[0]),
              },
              // The class names its island only with the group it launches into: a member
              // account cannot resolve a placement group by name, and the CRD insists.
              ...(options.island?.placementGroupId
                ? { island: island.id, placementGroupId: options.island.placementGroupId }
                : {}),
            }
          : {}),
        role: options.nodeRoleName,
        ...(options.memberInstanceProfile ? { instanceProfile: options.memberInstanceProfile } : {}),
        tags,
      };
      fabricNodeClasses.push({
        apiVersion: `${FABRIC_NODE_CLASS_GROUP}/${FABRIC_NODE_CLASS_VERSION}` as FabricNodeClass['apiVersion'],
        kind: FABRIC_NODE_CLASS_KIND,
        metadata: { name: objectName, labels: objectLabels },
        spec,
      });
    } else {
      nodeClassRef = { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: objectName };
      ec2NodeClasses.push({
        apiVersion: 'karpenter.k8s.aws/v1',
        kind: 'EC2NodeClass',
        metadata: { name: objectName, labels: objectLabels },
        spec: {
          role: options.nodeRoleName,
          amiSelectorTerms: [{ alias: options.amiAlias ?? 'al2023@latest' }],
          subnetSelectorTerms: [{ tags: selectorTags }],
          securityGroupSelectorTerms: [{ tags: selectorTags }],
          tags,
          ...(island
            ? {
                placementGroupSelector: island.placementGroup,
                // A gang is one instance type (the solver guarantees it), so one layout fits.
                networkInterfaces: efaNetworkInterfaces(infoOf(instanceTypes[0])),
              }
            : {}),
          ...(reservations.length ? { capacityReservationSelectorTerms: reservations.map(id => ({ id })) } : {}),
        },
      });
    }

    const limits: Record<string, string> = {
      cpu: String(sum(members.map(c => c.nodes * infoOf(c.instanceType).vcpus))),
    };
    for (const resource of accelerators) {
      const count = sum(
        members.filter(c => acceleratorResource(infoOf(c.instanceType)) === resource).map(c => c.nodes * infoOf(c.instanceType).acceleratorCount),
      );
      if (count > 0) limits[resource] = String(count);
    }

    nodePools.push({
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: objectName, labels: objectLabels },
      spec: {
        template: {
          // The fabric provisioner also labels its nodes with their pool, the way Karpenter
          // sets `karpenter.sh/nodepool` (a domain NodePool templates may not set).
          metadata: { labels: fabricCell ? { ...objectLabels, [FABRIC_NODEPOOL_LABEL]: objectName } : objectLabels },
          spec: {
            nodeClassRef,
            requirements: [
              { key: ZONE_ID_LABEL, operator: 'In', values: unique(members.map(c => c.azId)) },
              { key: CAPACITY_TYPE_LABEL, operator: 'In', values: unique(members.map(c => c.capacityType)) },
              { key: INSTANCE_TYPE_LABEL, operator: 'In', values: instanceTypes },
            ],
            taints: taints.filter(t => t.key === ISLAND_LABEL || members.some(c => acceleratorResource(infoOf(c.instanceType)) === t.key)),
            // Nothing schedules on a fabric node before the provisioner has labelled it.
            ...(fabricCell ? { startupTaints: [{ key: FABRIC_STARTUP_TAINT, effect: 'NoSchedule' as const }] } : {}),
            // A forced expiry would kill a running gang; islands are rotated between runs.
            ...(gang ? { expireAfter: 'Never' } : {}),
          },
        },
        // The placement's own nodes and no more: the solver already kept them inside the
        // shared vCPU quota, so this also stops other pods from growing the pool past it.
        limits,
        weight: weightOf(members),
        disruption: disruptionFor(gang),
      },
    });
  }

  return {
    name,
    namespace: options.namespace ?? 'default',
    podScheduling: podScheduling(placement, name, taints, island?.id),
    nodePools,
    ec2NodeClasses,
    fabricNodeClasses,
  };
}

function podScheduling(placement: Placement, name: string, taints: Taint[], islandId: string | undefined): PodScheduling {
  // One term per (cell, type, capacity type), best score first: terms are ORed, so a pod
  // fits only where the plan put capacity, never on a cross product of its parts.
  const terms = groupBy(placement.chosen, c => `${c.accountId}|${c.region}|${c.instanceType}|${c.capacityType}`)
    .map(members => ({ members, best: Math.max(...members.map(m => m.score)) }))
    .sort((a, b) => b.best - a.best || compareStrings(termKey(a.members[0]), termKey(b.members[0])))
    .map(({ members }) => ({
      matchExpressions: [
        { key: ZONE_ID_LABEL, operator: 'In' as const, values: unique(members.map(c => c.azId)) },
        { key: CAPACITY_TYPE_LABEL, operator: 'In' as const, values: [members[0].capacityType] },
        { key: INSTANCE_TYPE_LABEL, operator: 'In' as const, values: [members[0].instanceType] },
        { key: CELL_LABEL, operator: 'In' as const, values: [cellLabelValue(members[0])] },
      ],
    }));

  const labels: Record<string, string> = { [PLACEMENT_LABEL]: name, [INTENT_LABEL]: placement.intent };
  const tolerations: Toleration[] = taints.map(t =>
    t.key === ISLAND_LABEL
      ? { key: t.key, operator: 'Equal', value: t.value, effect: t.effect }
      : { key: t.key, operator: 'Exists', effect: t.effect },
  );
  const scheduling: PodScheduling = {
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } },
    tolerations,
    labels,
  };

  if (placement.intent === 'tightly-coupled') {
    labels[ISLAND_LABEL] = islandId!;
    scheduling.nodeSelector = { [ZONE_ID_LABEL]: placement.chosen[0].azId, [ISLAND_LABEL]: islandId! };
    // Members wait behind the gate until the provider has the whole gang's nodes, then
    // it removes the gate from all of them: nobody starts on a half-built gang.
    scheduling.schedulingGates = [{ name: GANG_SCHEDULING_GATE }];
  } else {
    // ScheduleAnyway, not DoNotSchedule: the plan deliberately puts more nodes where
    // price and quota are better, and any AZ-ID can hit ICE; a hard maxSkew 1 would
    // leave pods Pending on free GPUs. As a soft rule the scheduler still prefers the
    // least-loaded AZ-ID. Honor both policies so only the plan's nodes count as domains.
    scheduling.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: ZONE_ID_LABEL,
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { [PLACEMENT_LABEL]: name } },
        nodeAffinityPolicy: 'Honor',
        nodeTaintsPolicy: 'Honor',
      },
    ];
  }
  return scheduling;
}

/**
 * - Gang: only empty nodes are consolidated (WhenEmpty), after 10 minutes so a restarted
 *   run finds its nodes; drift (a new AMI behind `@latest`, a changed node class) and
 *   underutilization get a budget of 0 nodes, since replacing one member stops the whole
 *   gang. Empty nodes carry no member, so they may go: idle p5s are too dear to keep.
 * - Others: the default consolidation, 10% of nodes at a time; these workloads tolerate
 *   losing a node (they run on spot).
 */
function disruptionFor(gang: boolean): NodePool['spec']['disruption'] {
  if (gang) {
    const budgets: DisruptionBudget[] = [{ nodes: '0', reasons: ['Drifted', 'Underutilized'] }];
    return { consolidationPolicy: 'WhenEmpty', consolidateAfter: '10m', budgets };
  }
  return { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '5m', budgets: [{ nodes: '10%' }] };
}

/** The cell's best score as a NodePool weight (1..100): Karpenter tries heavier pools first. */
function weightOf(members: ChosenOffering[]): number {
  return Math.min(100, Math.max(1, Math.round(Math.max(...members.map(c => c.score)))));
}

function acceleratorResource(info: InstanceTypeInfo): string {
  return info.acceleratorManufacturer.toUpperCase() === 'AWS' ? NEURON_RESOURCE : NVIDIA_GPU_RESOURCE;
}

function termKey(c: ChosenOffering): string {
  return `${c.accountId}|${c.region}|${c.instanceType}|${c.capacityType}`;
}

function groupBy<T>(items: T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, v]) => v);
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort(compareStrings);
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
