import { CellStatus, Inventory, Offering } from '@internal/backstage-plugin-fabric-common';
import { NodeSelectorRequirement, Taint } from '../../compile/karpenter';
import { Toleration } from '../../compile/compilePlacement';
import { buildDemoInventory } from '../../discovery';
import { InsufficientCapacityCache } from '../../placement/InsufficientCapacityCache';
import { DecideInput, NodeClassView } from '../decide';
import { FabricNodePool, PendingPod } from '../types';

export const GPU_TAINT: Taint = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };
export const GPU_TOLERATION: Toleration = { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' };

export const DEMO_NOW = new Date('2026-11-29T12:00:00Z');

export function demoInventory(): Inventory {
  return buildDemoInventory(DEMO_NOW);
}

/** The NodePool and FabricNodeClass the fabric compiles for one cell: one subnet per AZ-ID. */
export function cellPool(
  cell: CellStatus,
  options: { weight?: number; taints?: Taint[]; requirements?: NodeSelectorRequirement[]; limits?: FabricNodePool['limits']; island?: string; name?: string } = {},
): { nodePool: FabricNodePool; nodeClass: NodeClassView } {
  const name = options.name ?? `fabric-${cell.accountId}-${cell.region}`;
  const azIds = Object.values(cell.azMap).sort();
  const nameOf = Object.fromEntries(Object.entries(cell.azMap).map(([n, id]) => [id, n]));
  return {
    nodePool: {
      name,
      nodeClassName: name,
      weight: options.weight ?? 10,
      requirements: options.requirements ?? [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] },
      ],
      labels: {},
      taints: options.taints ?? [GPU_TAINT],
      startupTaints: [],
      limits: options.limits,
      deleting: false,
    },
    nodeClass: {
      name,
      spec: {
        accountId: cell.accountId,
        region: cell.region,
        azIds,
        subnetSelectorTerms: [{ tags: { 'fabric.cloudspectra.io/cell': `${cell.accountId}.${cell.region}` } }],
        securityGroupSelectorTerms: [{ tags: { 'fabric.cloudspectra.io/cell': `${cell.accountId}.${cell.region}` } }],
        island: options.island,
      },
      resolved: {
        subnets: azIds.map((azId, i) => ({ id: `subnet-${cell.accountId.slice(0, 3)}${cell.region.replace(/-/g, '')}${i}`, azId, azName: nameOf[azId] })),
        securityGroups: [{ id: `sg-${cell.accountId.slice(0, 3)}${cell.region.replace(/-/g, '')}` }],
        ready: true,
      },
    },
  };
}

/** A pool per fresh cell of the inventory. */
export function poolsForEstate(inventory: Inventory, options: Parameters<typeof cellPool>[1] = {}) {
  const cells = inventory.cells.filter(c => c.fresh && inventory.offerings.some(o => o.accountId === c.accountId && o.region === c.region));
  const pairs = cells.map(c => cellPool(c, options));
  return { nodePools: pairs.map(p => p.nodePool), nodeClasses: pairs.map(p => p.nodeClass) };
}

export function decideInput(inventory: Inventory, pods: PendingPod[], overrides: Partial<DecideInput> = {}): DecideInput {
  return {
    pods,
    ...poolsForEstate(inventory),
    inventory,
    insufficientCapacity: new InsufficientCapacityCache(),
    inFlight: [],
    nodePoolUsage: {},
    now: DEMO_NOW,
    ...overrides,
  };
}

let podCounter = 0;

export function gpuPod(
  name: string,
  options: {
    gpus?: number;
    cpu?: number;
    memoryGiB?: number;
    efa?: number;
    neuron?: number;
    terms?: NodeSelectorRequirement[][];
    tolerations?: Toleration[];
    gang?: { name: string; size: number };
  } = {},
): PendingPod {
  podCounter++;
  return {
    uid: `uid-${name}`,
    namespace: 'ml',
    name,
    requests: {
      cpuMillis: (options.cpu ?? 1) * 1000,
      memoryMiB: (options.memoryGiB ?? 4) * 1024,
      gpus: options.gpus ?? 1,
      neuron: options.neuron ?? 0,
      efa: options.efa ?? 0,
      pods: 1,
    },
    requirementTerms: options.terms ?? [],
    tolerations: options.tolerations ?? [GPU_TOLERATION],
    labels: {},
    gang: options.gang,
    createdAt: new Date(DEMO_NOW.getTime() + podCounter).toISOString(),
  };
}

/**
 * An estate of `cellCount` cells: copies of the demo's cells under new account IDs, with
 * their offerings, for benchmarks at a scale no demo reaches.
 */
export function syntheticEstate(cellCount: number): Inventory {
  const demo = demoInventory();
  const templates = demo.cells.filter(c => c.fresh && demo.offerings.some(o => o.accountId === c.accountId && o.region === c.region));
  const cells: CellStatus[] = [];
  const offerings: Offering[] = [];
  for (let k = 0; k < cellCount; k++) {
    const template = templates[k % templates.length];
    const accountId = `9${String(Math.floor(k / templates.length)).padStart(5, '0')}${template.accountId.slice(0, 6)}`;
    cells.push({ ...template, accountId });
    for (const o of demo.offerings) {
      if (o.accountId === template.accountId && o.region === template.region && o.capacityType !== 'reserved') {
        offerings.push({ ...o, accountId });
      }
    }
  }
  return { ...demo, cells, offerings };
}
