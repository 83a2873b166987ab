import { createHash } from 'node:crypto';
import { CapacityType, CellRef, InstanceTypeInfo, Inventory, Offering } from '@internal/backstage-plugin-fabric-common';
import {
  CAPACITY_TYPE_LABEL,
  CELL_LABEL,
  INSTANCE_TYPE_LABEL,
  ISLAND_LABEL,
  ZONE_ID_LABEL,
  ZONE_NAME_LABEL,
  cellLabelValue,
} from '../../compile/labels';
import { InsufficientCapacityCache } from '../../placement/InsufficientCapacityCache';
import { QuotaBucketRef, QuotaBudget, quotaBucketOf } from '../../placement/quotaBudget';
import {
  Decision,
  FabricNodeClassResolved,
  FabricNodeClassSpec,
  FabricNodePool,
  LaunchOffering,
  NodeClaimDecision,
  PendingPod,
  Resources,
  UnschedulablePod,
} from '../types';
import {
  RESOURCE_KEYS,
  RESOURCE_NAMES,
  addResources,
  allocatableOf,
  capacityOf,
  emptyResources,
  fits,
  formatRequirement,
  formatTaint,
  matchesAnyTerm,
  matchesRequirements,
  untoleratedTaints,
} from './scheduling';

/** The NodePool label every Karpenter node carries. */
export const NODEPOOL_LABEL = 'karpenter.sh/nodepool';
export const INSTANCE_FAMILY_LABEL = 'karpenter.k8s.aws/instance-family';
export const INSTANCE_GPU_COUNT_LABEL = 'karpenter.k8s.aws/instance-gpu-count';
export const INSTANCE_GPU_NAME_LABEL = 'karpenter.k8s.aws/instance-gpu-name';

/** A FabricNodeClass as decide reads it: its name, spec and what it resolved to. */
export interface NodeClassView {
  name: string;
  spec: FabricNodeClassSpec;
  resolved: FabricNodeClassResolved;
}

/**
 * A claim decided or launching whose node has not registered yet: it already draws on
 * quota and NodePool limits, and its pods must not be decided again.
 */
export interface InFlightClaim {
  name: string;
  nodePool: string;
  cell: CellRef;
  /** The launched type, or the first offering's while the launch is still pending. */
  instanceType: string;
  capacityType: CapacityType;
  podUids: string[];
}

export interface DecideInput {
  pods: PendingPod[];
  nodePools: FabricNodePool[];
  nodeClasses: NodeClassView[];
  inventory: Inventory;
  insufficientCapacity: InsufficientCapacityCache;
  inFlight: InFlightClaim[];
  /** Capacity of the nodes each NodePool already has (registered ones), for its limits. */
  nodePoolUsage: Record<string, Partial<Resources>>;
  now: Date;
  /** Offerings listed per claim (CreateFleet takes many; the first few matter). Default 20. */
  maxOfferingsPerClaim?: number;
}

/** Karpenter never launches reserved capacity unasked; spot is tried before on-demand. */
const CAPACITY_RANK: Record<CapacityType, number> = { spot: 0, 'on-demand': 1, reserved: 2 };

/** One launchable offering as a NodePool sees it: a node of this type could start here. */
interface Option {
  index: number;
  pool: PoolView;
  offering: Offering;
  info: InstanceTypeInfo;
  allocatable: Resources;
  capacity: Resources;
  labels: Record<string, string>;
  subnetId: string;
  bucket: QuotaBucketRef | undefined;
  /** The bucket's vCPUs left, shared by every option drawing on it; absent = unbounded. */
  quota: QuotaSlot | undefined;
  insufficientUntil?: Date;
}

interface QuotaSlot {
  vcpusLeft: number;
}

interface PoolView {
  pool: FabricNodePool;
  nodeClass: NodeClassView;
  cell: CellRef;
  usage: Resources;
  options: Option[];
}

/** Pods that share scheduling constraints share their compatible offerings. */
interface Signature {
  key: string;
  terms: PendingPod['requirementTerms'];
  tolerations: PendingPod['tolerations'];
  /** compatible[option.index] = 1 when the pod's terms and tolerations allow it. */
  compatible: Uint8Array;
  /** Compatible options, heaviest NodePool first, then best first. */
  options: Option[];
  /** The same, per instance type. */
  byType: Map<string, TypeOptions>;
}

/**
 * A signature's options of one instance type. Quota and limits only shrink while a batch
 * is decided, so an option found unlaunchable stays so: `head` skips past those for good.
 */
interface TypeOptions {
  type: string;
  allocatable: Resources;
  options: Option[];
  head: number;
}

/** Pods of one signature and one request shape: they pack identically. */
interface PodGroup {
  signature: Signature;
  requests: Resources;
  pods: PendingPod[];
  next: number;
}

/**
 * Decides which nodes to launch for a batch of pending pods.
 *
 * Heuristic (first-fit-decreasing, Karpenter-like, with a price-per-pod choice of type):
 * 1. Gangs first, all or nothing: every member on nodes of one type in one AZ-ID of one
 *    NodePool (the island's when the gang may use an island), the cheapest such offering
 *    whose quota and limits hold the whole gang.
 * 2. Other pods are grouped by constraints and request shape and taken largest first.
 *    For the largest pod left, each instance type of the heaviest NodePools that could
 *    hold it is tried: the pod and then every other pod left that fits (largest first,
 *    narrowing the node's acceptable offerings to those all its pods allow) are packed
 *    onto one simulated node. The type with the lowest price per packed pod wins; its
 *    pods become one NodeClaim. So a lone 1-GPU pod gets a 1-GPU node, and sixteen get
 *    two 8-GPU nodes when that is cheaper per pod than sixteen small ones.
 * 3. Each claim lists every offering of its NodePool that holds all its pods, spot
 *    before on-demand, then by price: the launcher falls back through them in one fleet
 *    call. Quota and limits are drawn for the first offering's type.
 */
export function decide(input: DecideInput): Decision {
  const context = buildContext(input);
  const claims: NodeClaimDecision[] = [];
  const gangs: Decision['gangs'] = [];
  const unschedulable: UnschedulablePod[] = [];

  const pods = input.pods.filter(pod => !context.assignedPods.has(pod.uid));
  const gangMembers = new Map<string, PendingPod[]>();
  const loosePods: PendingPod[] = [];
  for (const pod of pods) {
    if (pod.gang) {
      const members = gangMembers.get(pod.gang.name) ?? [];
      members.push(pod);
      gangMembers.set(pod.gang.name, members);
    } else {
      loosePods.push(pod);
    }
  }

  for (const [gangName, members] of [...gangMembers.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const outcome = decideGang(context, gangName, members);
    if ('reason' in outcome) {
      for (const member of members) unschedulable.push({ uid: member.uid, reason: outcome.reason });
    } else {
      claims.push(...outcome.claims);
      gangs.push({ name: gangName, claims: outcome.claims.map(c => c.name) });
    }
  }

  const packed = packLoosePods(context, loosePods, input.maxOfferingsPerClaim ?? 20);
  claims.push(...packed.claims);
  unschedulable.push(...packed.unschedulable);
  return { claims, gangs, unschedulable };
}

interface Context {
  input: DecideInput;
  pools: PoolView[];
  options: Option[];
  types: Map<string, InstanceTypeInfo>;
  quotaSlots: Map<string, QuotaSlot>;
  gangCandidates: Map<string, Option[]>;
  signatures: Map<string, Signature>;
  assignedPods: Set<string>;
  notReadyPools: string[];
}

function buildContext(input: DecideInput): Context {
  const types = new Map(input.inventory.instanceTypes.map(info => [info.instanceType, info]));
  const classes = new Map(input.nodeClasses.map(c => [c.name, c]));
  const offeringsByCell = new Map<string, Offering[]>();
  for (const offering of input.inventory.offerings) {
    const key = `${offering.accountId}/${offering.region}`;
    const list = offeringsByCell.get(key) ?? [];
    list.push(offering);
    offeringsByCell.set(key, list);
  }

  const pools: PoolView[] = [];
  const options: Option[] = [];
  const notReadyPools: string[] = [];
  const sortedPools = [...input.nodePools].sort((a, b) => b.weight - a.weight || a.name.localeCompare(b.name));
  for (const pool of sortedPools) {
    if (pool.deleting) continue;
    const nodeClass = classes.get(pool.nodeClassName);
    if (!nodeClass || !nodeClass.resolved.ready) {
      notReadyPools.push(
        `${pool.name} (FabricNodeClass ${pool.nodeClassName} ${nodeClass ? `not ready: ${nodeClass.resolved.reason ?? 'unresolved'}` : 'missing'})`,
      );
      continue;
    }
    const cell = { accountId: nodeClass.spec.accountId, region: nodeClass.spec.region };
    const usage = { ...emptyResources(), ...input.nodePoolUsage[pool.name] };
    const view: PoolView = { pool, nodeClass, cell, usage, options: [] };
    const subnetByAz = new Map<string, string>();
    for (const subnet of [...nodeClass.resolved.subnets].sort((a, b) => a.id.localeCompare(b.id))) {
      if (!subnetByAz.has(subnet.azId)) subnetByAz.set(subnet.azId, subnet.id);
    }
    const allowedAzs = new Set(nodeClass.spec.azIds);
    for (const offering of offeringsByCell.get(`${cell.accountId}/${cell.region}`) ?? []) {
      // Reserved capacity needs a capacity-reservation target the launcher does not send yet.
      if (offering.capacityType === 'reserved') continue;
      if (allowedAzs.size > 0 && !allowedAzs.has(offering.azId)) continue;
      const subnetId = subnetByAz.get(offering.azId);
      const info = types.get(offering.instanceType);
      if (!subnetId || !info) continue;
      const labels = nodeLabels(pool, nodeClass, offering, info);
      if (!matchesRequirements(labels, pool.requirements)) continue;
      const ice = input.insufficientCapacity.lookup(
        { instanceType: offering.instanceType, azId: offering.azId, capacityType: offering.capacityType },
        input.now,
      );
      const option: Option = {
        index: options.length,
        pool: view,
        offering,
        info,
        allocatable: allocatableOf(info),
        capacity: capacityOf(info),
        labels,
        subnetId,
        bucket: quotaBucketOf(offering, info),
        quota: undefined,
        insufficientUntil: ice?.expiresAt,
      };
      options.push(option);
      view.options.push(option);
    }
    view.options.sort(compareOptions);
    pools.push(view);
  }

  // Shared vCPU quota: one slot per bucket, read once from the inventory and then drawn
  // down in place, so checking an option's headroom is a field read.
  const budget = QuotaBudget.fromInventory(input.inventory, types);
  const quotaSlots = new Map<string, QuotaSlot>();
  const slotOf = (bucket: QuotaBucketRef | undefined): QuotaSlot | undefined => {
    if (!bucket) return undefined;
    let slot = quotaSlots.get(bucket.key);
    if (!slot) {
      slot = { vcpusLeft: budget.vcpusLeft(bucket) };
      quotaSlots.set(bucket.key, slot);
    }
    return slot;
  };
  for (const option of options) option.quota = slotOf(option.bucket);
  const assignedPods = new Set<string>();
  const poolsByName = new Map(pools.map(p => [p.pool.name, p]));
  for (const claim of input.inFlight) {
    for (const uid of claim.podUids) assignedPods.add(uid);
    const info = types.get(claim.instanceType);
    if (!info) continue;
    const bucket = quotaBucketOf(
      { ...claim.cell, azId: '', azName: '', instanceType: claim.instanceType, capacityType: claim.capacityType, pricePerHour: 0, quotaHeadroomInstances: 0 },
      info,
    );
    const slot = slotOf(bucket);
    if (slot) slot.vcpusLeft = Math.max(0, slot.vcpusLeft - info.vcpus);
    const pool = poolsByName.get(claim.nodePool);
    if (pool) pool.usage = addResources(pool.usage, capacityOf(info));
  }

  return { input, pools, options, types, quotaSlots, gangCandidates: new Map(), signatures: new Map(), assignedPods, notReadyPools };
}

function nodeLabels(pool: FabricNodePool, nodeClass: NodeClassView, offering: Offering, info: InstanceTypeInfo): Record<string, string> {
  const labels: Record<string, string> = {
    ...pool.labels,
    [NODEPOOL_LABEL]: pool.name,
    [ZONE_ID_LABEL]: offering.azId,
    [ZONE_NAME_LABEL]: offering.azName,
    [CELL_LABEL]: cellLabelValue(offering),
    [CAPACITY_TYPE_LABEL]: offering.capacityType,
    [INSTANCE_TYPE_LABEL]: offering.instanceType,
    [INSTANCE_FAMILY_LABEL]: info.family,
    [INSTANCE_GPU_COUNT_LABEL]: String(info.acceleratorCount),
    [INSTANCE_GPU_NAME_LABEL]: info.acceleratorName.toLowerCase(),
    'karpenter.k8s.aws/instance-gpu-manufacturer': info.acceleratorManufacturer.toLowerCase(),
    'karpenter.k8s.aws/instance-gpu-memory': String(info.acceleratorMemoryMiB),
    'karpenter.k8s.aws/instance-cpu': String(info.vcpus),
    'karpenter.k8s.aws/instance-memory': String(info.memoryMiB),
    'karpenter.k8s.aws/instance-size': offering.instanceType.split('.')[1] ?? '',
    'topology.kubernetes.io/region': offering.region,
    // Graviton families end in "g" (g5g); every other accelerated family is x86.
    'kubernetes.io/arch': /^[a-z]+\d+[a-z]*g$/.test(info.family) ? 'arm64' : 'amd64',
    'kubernetes.io/os': 'linux',
  };
  if (nodeClass.spec.island) labels[ISLAND_LABEL] = nodeClass.spec.island;
  return labels;
}

function compareOptions(a: Option, b: Option): number {
  return (
    CAPACITY_RANK[a.offering.capacityType] - CAPACITY_RANK[b.offering.capacityType] ||
    a.offering.pricePerHour - b.offering.pricePerHour ||
    a.offering.instanceType.localeCompare(b.offering.instanceType) ||
    a.offering.azId.localeCompare(b.offering.azId)
  );
}

function signatureOf(context: Context, pod: PendingPod): Signature {
  const key = JSON.stringify([pod.requirementTerms, pod.tolerations]);
  let signature = context.signatures.get(key);
  if (!signature) {
    const compatible = new Uint8Array(context.options.length);
    const options: Option[] = [];
    for (const pool of context.pools) {
      if (untoleratedTaints(pod.tolerations, pool.pool.taints).length > 0) continue;
      for (const option of pool.options) {
        if (!matchesAnyTerm(option.labels, pod.requirementTerms)) continue;
        compatible[option.index] = 1;
        options.push(option);
      }
    }
    options.sort((a, b) => b.pool.pool.weight - a.pool.pool.weight || compareOptions(a, b));
    const byType = new Map<string, TypeOptions>();
    for (const option of options) {
      const type = option.offering.instanceType;
      let entry = byType.get(type);
      if (!entry) {
        entry = { type, allocatable: option.allocatable, options: [], head: 0 };
        byType.set(type, entry);
      }
      entry.options.push(option);
    }
    signature = { key, terms: pod.requirementTerms, tolerations: pod.tolerations, compatible, options, byType };
    context.signatures.set(key, signature);
  }
  return signature;
}

/** Whether one more node of this option fits its NodePool's limits. */
function withinLimits(option: Option, count = 1): boolean {
  const limits = option.pool.pool.limits;
  if (!limits) return true;
  for (const key of RESOURCE_KEYS) {
    const limit = limits[key];
    if (limit === undefined) continue;
    if (option.pool.usage[key] + option.capacity[key] * count > limit) return false;
  }
  return true;
}

/** Nodes of this option its NodePool's limits still allow. */
function nodesWithinLimits(option: Option): number {
  const limits = option.pool.pool.limits;
  let nodes = Number.POSITIVE_INFINITY;
  if (!limits) return nodes;
  for (const key of RESOURCE_KEYS) {
    const limit = limits[key];
    if (limit === undefined || option.capacity[key] === 0) continue;
    nodes = Math.min(nodes, Math.floor((limit - option.pool.usage[key]) / option.capacity[key]));
  }
  return Math.max(0, nodes);
}

function vcpusLeft(option: Option): number {
  return option.quota ? option.quota.vcpusLeft : Number.POSITIVE_INFINITY;
}

function hasQuotaFor(option: Option, count = 1): boolean {
  return vcpusLeft(option) >= option.info.vcpus * count;
}

/** Whether a node could start from this option now: not ICE'd, within quota and limits. */
function launchable(option: Option): boolean {
  return !option.insufficientUntil && hasQuotaFor(option) && withinLimits(option);
}

function commit(option: Option, count: number): void {
  if (option.quota) option.quota.vcpusLeft -= option.info.vcpus * count;
  for (const key of RESOURCE_KEYS) option.pool.usage[key] += option.capacity[key] * count;
}

function toLaunchOffering(option: Option): LaunchOffering {
  return {
    instanceType: option.offering.instanceType,
    azId: option.offering.azId,
    capacityType: option.offering.capacityType,
    subnetId: option.subnetId,
    pricePerHour: option.offering.pricePerHour,
  };
}

/** A stable name: the same pods decided again give the same NodeClaim name. */
function claimName(pool: string, podUids: string[]): string {
  const digest = createHash('sha256').update([...podUids].sort().join(',')).digest('hex').slice(0, 10);
  const prefix = pool.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 52).replace(/-+$/, '');
  return `${prefix}-${digest}`;
}

function sumRequests(pods: PendingPod[]): Resources {
  return pods.reduce((sum, pod) => addResources(sum, pod.requests), emptyResources());
}

function compareRequestsDescending(a: Resources, b: Resources): number {
  return (
    b.gpus + b.neuron - (a.gpus + a.neuron) ||
    b.efa - a.efa ||
    b.cpuMillis - a.cpuMillis ||
    b.memoryMiB - a.memoryMiB
  );
}

// ---------------------------------------------------------------------------------------
// Pods without a gang
// ---------------------------------------------------------------------------------------

interface SimulatedNode {
  type: TypeOptions;
  /** The best option every packed pod allows; the claim launches it first. */
  best: Option;
  weight: number;
  signatures: Signature[];
  pods: PendingPod[];
  /** How many pods were taken from each group. */
  taken: Map<PodGroup, number>;
  sum: Resources;
}

function packLoosePods(
  context: Context,
  pods: PendingPod[],
  maxOfferingsPerClaim: number,
): { claims: NodeClaimDecision[]; unschedulable: UnschedulablePod[] } {
  const groupsByKey = new Map<string, PodGroup>();
  for (const pod of pods) {
    const signature = signatureOf(context, pod);
    const key = `${signature.key}|${RESOURCE_KEYS.map(k => pod.requests[k]).join(',')}`;
    let group = groupsByKey.get(key);
    if (!group) {
      group = { signature, requests: pod.requests, pods: [], next: 0 };
      groupsByKey.set(key, group);
    }
    group.pods.push(pod);
  }
  const groups = [...groupsByKey.values()].sort(
    (a, b) => compareRequestsDescending(a.requests, b.requests) || a.signature.key.localeCompare(b.signature.key),
  );
  for (const group of groups) group.pods.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.uid.localeCompare(b.uid));

  const claims: NodeClaimDecision[] = [];
  const unschedulable: UnschedulablePod[] = [];
  const incompatible = new Set<string>();
  let first = 0;
  for (;;) {
    while (first < groups.length && groups[first].next >= groups[first].pods.length) first++;
    if (first >= groups.length) break;
    const seedGroup = groups[first];
    const seed = seedGroup.pods[seedGroup.next];

    // The launchable head of every type that holds the seed; NodePools are tried
    // heaviest first, as Karpenter does, so only types of the heaviest weight compete.
    const heads: Array<{ type: TypeOptions; option: Option }> = [];
    let topWeight = Number.NEGATIVE_INFINITY;
    for (const type of seedGroup.signature.byType.values()) {
      if (!fits(seed.requests, type.allocatable)) continue;
      while (type.head < type.options.length && !launchable(type.options[type.head])) type.head++;
      if (type.head >= type.options.length) continue;
      const option = type.options[type.head];
      heads.push({ type, option });
      topWeight = Math.max(topWeight, option.pool.pool.weight);
    }
    if (heads.length === 0) {
      // Every pod of this group fails the same way: report them all now.
      const reason = explainUnschedulable(context, seed);
      for (let i = seedGroup.next; i < seedGroup.pods.length; i++) {
        unschedulable.push({ uid: seedGroup.pods[i].uid, reason });
      }
      seedGroup.next = seedGroup.pods.length;
      continue;
    }

    let best: { node: SimulatedNode; pricePerPod: number } | undefined;
    for (const head of heads) {
      if (head.option.pool.pool.weight !== topWeight) continue;
      const node = simulateNode(groups, first, seedGroup, head.type, head.option, incompatible);
      const pricePerPod = node.best.offering.pricePerHour / node.pods.length;
      if (
        !best ||
        pricePerPod < best.pricePerPod - 1e-9 ||
        (Math.abs(pricePerPod - best.pricePerPod) <= 1e-9 && node.pods.length > best.node.pods.length)
      ) {
        best = { node, pricePerPod };
      }
    }
    const node = best!.node;
    for (const [group, count] of node.taken) group.next += count;
    claims.push(finishClaim(node, maxOfferingsPerClaim));
  }
  return { claims, unschedulable };
}

/**
 * The first launchable option of the type, in the node's NodePool weight, that every
 * signature allows. `incompatible` remembers combinations that had none: options only
 * ever stop being launchable during a batch, so "none" stays true.
 */
function firstAllowed(
  type: TypeOptions,
  weight: number,
  signatures: Signature[],
  incompatible: Set<string>,
): Option | undefined {
  const key = `${type.type}|${weight}|${signatures.map(s => s.key).join('\u0000')}`;
  if (incompatible.has(key)) return undefined;
  for (let i = type.head; i < type.options.length; i++) {
    const option = type.options[i];
    if (option.pool.pool.weight !== weight) continue;
    if (!signatures.every(s => s.compatible[option.index] === 1)) continue;
    if (launchable(option)) return option;
  }
  incompatible.add(key);
  return undefined;
}

/** Packs the seed and then every other pod left that fits onto one node of the type. */
function simulateNode(
  groups: PodGroup[],
  first: number,
  seedGroup: PodGroup,
  type: TypeOptions,
  seedOption: Option,
  incompatible: Set<string>,
): SimulatedNode {
  const node: SimulatedNode = {
    type,
    best: seedOption,
    weight: seedOption.pool.pool.weight,
    signatures: [seedGroup.signature],
    pods: [],
    taken: new Map(),
    sum: emptyResources(),
  };
  for (let g = first; g < groups.length; g++) {
    const group = groups[g];
    let index = group.next;
    if (index >= group.pods.length) continue;
    if (!fits(addResources(node.sum, group.requests), type.allocatable)) continue;
    let best = node.best;
    let signatures = node.signatures;
    if (!signatures.includes(group.signature)) {
      signatures = [...signatures, group.signature].sort((a, b) => a.key.localeCompare(b.key));
      // The seed's own list is the node's type list; other signatures narrow it.
      const allowed = best && group.signature.compatible[best.index] === 1 ? best : firstAllowed(type, node.weight, signatures, incompatible);
      if (!allowed) continue;
      best = allowed;
    }
    let sum = node.sum;
    while (index < group.pods.length) {
      const next = addResources(sum, group.requests);
      if (!fits(next, type.allocatable)) break;
      sum = next;
      node.pods.push(group.pods[index]);
      index++;
    }
    node.taken.set(group, index - group.next);
    node.sum = sum;
    node.best = best;
    node.signatures = signatures;
  }
  return node;
}

function finishClaim(node: SimulatedNode, maxOfferings: number): NodeClaimDecision {
  const chosen = node.best;
  const pool = chosen.pool;
  const signatures = node.signatures;
  // Fallbacks: any offering of the same NodePool that holds all the pods, allowed by all
  // their constraints, with capacity and quota of its own.
  const offerings = pool.options.filter(
    o =>
      o === chosen ||
      (fits(node.sum, o.allocatable) &&
        signatures.every(s => s.compatible[o.index] === 1) &&
        launchable(o)),
  );
  offerings.sort((a, b) => Number(b === chosen) - Number(a === chosen) || compareOptions(a, b));
  commit(chosen, 1);
  const podUids = node.pods.map(p => p.uid);
  return {
    name: claimName(pool.pool.name, podUids),
    nodePool: pool.pool.name,
    nodeClass: pool.nodeClass.name,
    cell: pool.cell,
    offerings: offerings.slice(0, maxOfferings).map(toLaunchOffering),
    podUids,
    requests: node.sum,
  };
}

// ---------------------------------------------------------------------------------------
// Gangs
// ---------------------------------------------------------------------------------------

function decideGang(
  context: Context,
  gangName: string,
  members: PendingPod[],
): { claims: NodeClaimDecision[] } | { reason: string } {
  const size = members[0].gang!.size;
  if (members.length < size) {
    return { reason: `gang ${gangName} has ${members.length} of its ${size} members pending; it launches only when all are` };
  }
  const signatures = [...new Set(members.map(m => signatureOf(context, m)))];
  const ordered = [...members].sort((a, b) => compareRequestsDescending(a.requests, b.requests) || a.uid.localeCompare(b.uid));

  const candidates = gangCandidates(context, signatures, ordered[0].requests);
  if (candidates.length === 0) {
    return { reason: `gang ${gangName}: ${explainUnschedulable(context, ordered[0])}` };
  }

  const packings = new Map<string, PendingPod[][]>();
  let best: { option: Option; nodes: PendingPod[][]; cost: number } | undefined;
  let closest: { option: Option; nodes: number; headroom: number; why: string } | undefined;
  // Spot options that could hold the whole gang, by NodePool weight then AZ-ID: where the
  // next round goes if the chosen spot offering is refused for capacity.
  const spotHolding = new Map<number, Set<string>>();
  for (const option of candidates) {
    const type = option.offering.instanceType;
    let nodes = packings.get(type);
    if (!nodes) {
      nodes = packOntoNodesOf(ordered, option.allocatable);
      packings.set(type, nodes);
    }
    const quotaNodes = Math.floor(vcpusLeft(option) / option.info.vcpus);
    const limitNodes = nodesWithinLimits(option);
    const headroom = option.insufficientUntil ? 0 : Math.min(quotaNodes, limitNodes);
    if (headroom >= nodes.length) {
      if (option.offering.capacityType === 'spot') {
        const azIds = spotHolding.get(option.pool.pool.weight) ?? new Set<string>();
        azIds.add(option.offering.azId);
        spotHolding.set(option.pool.pool.weight, azIds);
      }
      // Heavier NodePools first (as for every pod), then spot before on-demand, then price.
      const cost =
        -option.pool.pool.weight * 1e12 + CAPACITY_RANK[option.offering.capacityType] * 1e9 + nodes.length * option.offering.pricePerHour;
      if (!best || cost < best.cost - 1e-9 || (Math.abs(cost - best.cost) <= 1e-9 && nodes.length < best.nodes.length)) {
        best = { option, nodes, cost };
      }
    } else if (!closest || headroom / nodes.length > closest.headroom / closest.nodes) {
      let why = `NodePool ${option.pool.pool.name} limits for ${limitNodes}`;
      if (quotaNodes < limitNodes) why = `quota for ${quotaNodes}`;
      if (option.insufficientUntil) why = `insufficient capacity until ${option.insufficientUntil.toISOString()}`;
      closest = { option, nodes: nodes.length, headroom, why };
    }
  }

  if (!best) {
    const c = closest!;
    return {
      reason:
        `gang ${gangName} of ${size} needs ${c.nodes} × ${c.option.offering.instanceType} in one AZ-ID; ` +
        `best is ${c.option.offering.azId} (${cellLabelValue(c.option.offering)}, ${c.option.offering.capacityType}) with ${c.why}`,
    };
  }

  const chosen = best.option;
  // The same type and AZ-ID bought the other way, if it holds the whole gang too: the
  // launcher sends one capacity type per fleet call and tries this one next when the
  // first is refused for capacity. Not while spot is chosen and another AZ-ID of the same
  // NodePool weight could hold the gang on spot: a refusal is marked in the ICE cache and
  // the next round moves the gang to that AZ-ID's spot, where buying on-demand here first
  // would have kept the gang off spot whenever its first AZ-ID was short.
  const spotElsewhere =
    chosen.offering.capacityType === 'spot' &&
    [...(spotHolding.get(chosen.pool.pool.weight) ?? [])].some(azId => azId !== chosen.offering.azId);
  const alternates = chosen.pool.options.filter(
    o =>
      o !== chosen &&
      !(spotElsewhere && o.offering.capacityType !== 'spot') &&
      o.offering.instanceType === chosen.offering.instanceType &&
      o.offering.azId === chosen.offering.azId &&
      signatures.every(s => s.compatible[o.index] === 1) &&
      !o.insufficientUntil &&
      hasQuotaFor(o, best!.nodes.length) &&
      withinLimits(o, best!.nodes.length),
  );
  commit(chosen, best.nodes.length);
  const offerings = [chosen, ...alternates].map(toLaunchOffering);
  const claims = best.nodes.map(nodePods => {
    const podUids = nodePods.map(p => p.uid);
    return {
      name: claimName(chosen.pool.pool.name, podUids),
      nodePool: chosen.pool.pool.name,
      nodeClass: chosen.pool.nodeClass.name,
      cell: chosen.pool.cell,
      offerings,
      podUids,
      requests: sumRequests(nodePods),
      gang: gangName,
    };
  });
  return { claims };
}

/**
 * Options every member allows and that hold the largest member on its own; a gang that
 * may use an island uses it, since the island carries its placement group and EFA. Gangs
 * of one job share constraints, so the list is computed once per shape.
 */
function gangCandidates(context: Context, signatures: Signature[], largest: Resources): Option[] {
  const key = `${signatures.map(s => s.key).sort().join('\u0000')}|${RESOURCE_KEYS.map(k => largest[k]).join(',')}`;
  let candidates = context.gangCandidates.get(key);
  if (!candidates) {
    candidates = signatures[0].options.filter(
      o => signatures.every(s => s.compatible[o.index] === 1) && fits(largest, o.allocatable),
    );
    if (candidates.some(o => o.pool.nodeClass.spec.island)) {
      candidates = candidates.filter(o => o.pool.nodeClass.spec.island);
    }
    context.gangCandidates.set(key, candidates);
  }
  return candidates;
}

/** First-fit-decreasing of pods (already sorted) onto nodes of one allocatable size. */
function packOntoNodesOf(pods: PendingPod[], allocatable: Resources): PendingPod[][] {
  const nodes: Array<{ pods: PendingPod[]; sum: Resources }> = [];
  for (const pod of pods) {
    const node = nodes.find(n => fits(addResources(n.sum, pod.requests), allocatable));
    if (node) {
      node.pods.push(pod);
      node.sum = addResources(node.sum, pod.requests);
    } else {
      nodes.push({ pods: [pod], sum: pod.requests });
    }
  }
  return nodes.map(n => n.pods);
}

// ---------------------------------------------------------------------------------------
// Reasons
// ---------------------------------------------------------------------------------------

/**
 * Why no node can be launched for a pod: the first constraint that rules out every
 * offering, in the order a person would check them.
 */
function explainUnschedulable(context: Context, pod: PendingPod): string {
  if (context.pools.length === 0) {
    return context.notReadyPools.length
      ? `no NodePool is usable: ${context.notReadyPools.slice(0, 3).join('; ')}`
      : 'no fabric NodePool exists';
  }
  const tolerated = context.pools.filter(p => untoleratedTaints(pod.tolerations, p.pool.taints).length === 0);
  if (tolerated.length === 0) {
    const taints = [...new Set(context.pools.flatMap(p => untoleratedTaints(pod.tolerations, p.pool.taints).map(formatTaint)))];
    return `no NodePool's taints are tolerated (untolerated: ${taints.slice(0, 4).join(', ')})`;
  }
  const matching = tolerated.flatMap(p => p.options.filter(o => matchesAnyTerm(o.labels, pod.requirementTerms)));
  if (matching.length === 0) {
    const terms = pod.requirementTerms.map(t => t.map(formatRequirement).join(' and ')).join(' or ');
    return `no offering of a tolerated NodePool matches its node requirements (${terms})`;
  }
  const holding = matching.filter(o => fits(pod.requests, o.allocatable));
  if (holding.length === 0) {
    const short = RESOURCE_KEYS.flatMap(k => {
      const best = matching.reduce((a, b) => (b.allocatable[k] > a.allocatable[k] ? b : a));
      return pod.requests[k] > best.allocatable[k]
        ? [`${pod.requests[k]} ${RESOURCE_NAMES[k]} (the most any matching type offers is ${best.allocatable[k]}, ${best.offering.instanceType})`]
        : [];
    });
    return short.length
      ? `no instance type can hold it: it requests ${short.join(', ')}`
      : 'no single matching instance type offers all of its requests together';
  }
  const available = holding.filter(o => !o.insufficientUntil);
  if (available.length === 0) {
    const examples = holding
      .slice(0, 3)
      .map(o => `${o.offering.instanceType} ${o.offering.capacityType} in ${o.offering.azId} until ${o.insufficientUntil!.toISOString()}`);
    return `every matching offering is marked insufficient capacity (${examples.join('; ')}${holding.length > 3 ? '; …' : ''})`;
  }
  const withQuota = available.filter(o => hasQuotaFor(o));
  if (withQuota.length === 0) {
    const seen = new Set<string>();
    const examples: string[] = [];
    for (const o of available) {
      const key = o.bucket?.key ?? '';
      if (seen.has(key)) continue;
      seen.add(key);
      examples.push(
        `${o.bucket?.name} in ${o.offering.accountId}/${o.offering.region} has ${vcpusLeft(o)} vCPUs left, ${o.offering.instanceType} needs ${o.info.vcpus}`,
      );
    }
    return `no vCPU quota left for any matching offering (${examples.slice(0, 3).join('; ')}${examples.length > 3 ? '; …' : ''})`;
  }
  const limited = [...new Set(withQuota.filter(o => !withinLimits(o)).map(o => o.pool.pool.name))];
  if (limited.length > 0) {
    return `NodePool limits reached: ${limited.slice(0, 3).join(', ')} cannot add a node that holds it`;
  }
  return 'no offering can hold it now';
}
