/*
 * Small, hand-built slices of the demo estate for the frontend tests.
 *
 * They follow plugins/fabric-node/src/discovery/demo/demoEstate.ts: four accounts
 * (ml-platform-hub 111111111111, ml-research 222222222222, ml-inference 333333333333,
 * network 444444444444) in us-east-1, us-west-2 and eu-west-1, each account with its
 * own AZ-name → AZ-ID rotation (in the hub account use1-az4 is us-east-1c, in
 * ml-research it is us-east-1b), deliberate quota walls (ml-research has no spot P5
 * quota, ml-inference no on-demand P quota) and one stale cell (ml-inference
 * eu-west-1, AccessDenied on the role assumption).
 */
import {
  CapacityResponse,
  CapacityRow,
  CellStatus,
  EstateResponse,
  FabricHealth,
  PlacementRecord,
} from '@internal/backstage-plugin-fabric-common';
import { CapacityFilter } from '../api/FabricApi';

export const TAKEN_AT = new Date().toISOString();

const accounts = {
  hub: { accountId: '111111111111', accountName: 'ml-platform-hub' },
  research: { accountId: '222222222222', accountName: 'ml-research' },
  inference: { accountId: '333333333333', accountName: 'ml-inference' },
  network: { accountId: '444444444444', accountName: 'network' },
};

type Account = keyof typeof accounts;

const instanceTypes: Record<
  string,
  Pick<CapacityRow, 'gpu' | 'gpuCount' | 'gpuMemoryMiB' | 'efaSupported'>
> = {
  'p5.48xlarge': {
    gpu: 'H100',
    gpuCount: 8,
    gpuMemoryMiB: 81920,
    efaSupported: true,
  },
  'g6.xlarge': {
    gpu: 'L4',
    gpuCount: 1,
    gpuMemoryMiB: 22888,
    efaSupported: false,
  },
  'g5.xlarge': {
    gpu: 'A10G',
    gpuCount: 1,
    gpuMemoryMiB: 24576,
    efaSupported: false,
  },
};

/** One capacity row as `GET /api/fabric/capacity` returns it. */
export function capacityRow(
  account: Account,
  region: string,
  azId: string,
  azName: string,
  instanceType: string,
  capacityType: CapacityRow['capacityType'],
  pricePerHour: number,
  quotaHeadroomInstances: number,
  extra: Partial<CapacityRow> = {},
): CapacityRow {
  return {
    ...accounts[account],
    region,
    azId,
    azName,
    instanceType,
    capacityType,
    pricePerHour,
    quotaHeadroomInstances,
    ...instanceTypes[instanceType],
    ...extra,
  };
}

/** The stale cell of the demo estate. */
export const staleCell: CellStatus = {
  ...accounts.inference,
  region: 'eu-west-1',
  fresh: false,
  discoveredAt: new Date(Date.now() - 6 * 3600_000).toISOString(),
  error:
    'AccessDenied: User: arn:aws:sts::111111111111:assumed-role/fabric-hub/discovery is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/fabric-member',
  azMap: {
    'eu-west-1a': 'euw1-az1',
    'eu-west-1b': 'euw1-az2',
    'eu-west-1c': 'euw1-az3',
  },
};

/**
 * `capacity({ gpu: 'H100', efaOnly: true })`: what a tightly-coupled H100 workload
 * (the `llm-pretraining` component) asks for. Two rows have no quota headroom:
 * ml-research spot (no spot P5 quota) and ml-inference on-demand (no on-demand P quota).
 */
export const h100EfaCapacity: CapacityResponse = {
  byAzId: [],
  source: 'demo',
  takenAt: TAKEN_AT,
  staleCells: [staleCell],
  rows: [
    capacityRow('research', 'us-east-1', 'use1-az4', 'us-east-1b', 'p5.48xlarge', 'spot', 16.87, 0, { placementScore: 6 }),
    capacityRow('hub', 'us-east-1', 'use1-az4', 'us-east-1c', 'p5.48xlarge', 'spot', 20.53, 4, { placementScore: 4 }),
    capacityRow('hub', 'us-east-1', 'use1-az4', 'us-east-1c', 'p5.48xlarge', 'reserved', 31.464, 4, { reservationId: 'cr-0demo5b1ock00001', reservedInstances: 4 }),
    capacityRow('hub', 'us-east-1', 'use1-az4', 'us-east-1c', 'p5.48xlarge', 'on-demand', 55.04, 8),
    capacityRow('research', 'us-east-1', 'use1-az4', 'us-east-1b', 'p5.48xlarge', 'on-demand', 55.04, 4),
    capacityRow('inference', 'us-west-2', 'usw2-az2', 'us-west-2c', 'p5.48xlarge', 'spot', 18.92, 2, { placementScore: 3 }),
    capacityRow('inference', 'us-west-2', 'usw2-az2', 'us-west-2c', 'p5.48xlarge', 'on-demand', 55.04, 0),
  ],
  byRegionAndGpu: [
    {
      region: 'us-east-1',
      gpu: 'H100',
      gpus: 160,
      cheapestSpotPerGpuHour: 20.53 / 8,
      cheapestOnDemandPerGpuHour: 55.04 / 8,
    },
    {
      region: 'us-west-2',
      gpu: 'H100',
      gpus: 16,
      cheapestSpotPerGpuHour: 18.92 / 8,
    },
  ],
};

/** `capacity()` without a filter, cut down to four region × GPU groups. */
export const estateCapacity: CapacityResponse = {
  byAzId: [],
  source: 'demo',
  takenAt: TAKEN_AT,
  staleCells: [staleCell],
  rows: [
    capacityRow('hub', 'eu-west-1', 'euw1-az2', 'eu-west-1a', 'g5.xlarge', 'spot', 0.42, 384, { placementScore: 8 }),
    capacityRow('hub', 'us-east-1', 'use1-az4', 'us-east-1c', 'p5.48xlarge', 'spot', 20.53, 4, { placementScore: 4 }),
    capacityRow('hub', 'us-east-1', 'use1-az4', 'us-east-1c', 'p5.48xlarge', 'on-demand', 55.04, 8),
    capacityRow('research', 'us-east-1', 'use1-az4', 'us-east-1b', 'p5.48xlarge', 'spot', 16.87, 0, { placementScore: 6 }),
    capacityRow('hub', 'us-east-1', 'use1-az2', 'us-east-1a', 'g6.xlarge', 'spot', 0.31, 384, { placementScore: 9 }),
    capacityRow('hub', 'us-east-1', 'use1-az2', 'us-east-1a', 'g6.xlarge', 'on-demand', 0.8, 384),
    capacityRow('hub', 'us-west-2', 'usw2-az2', 'us-west-2a', 'p5.48xlarge', 'on-demand', 55.04, 8),
  ],
  byRegionAndGpu: [
    {
      region: 'eu-west-1',
      gpu: 'A10G',
      gpus: 384,
      cheapestSpotPerGpuHour: 0.42,
    },
    {
      region: 'us-east-1',
      gpu: 'H100',
      gpus: 96,
      cheapestSpotPerGpuHour: 20.53 / 8,
      cheapestOnDemandPerGpuHour: 55.04 / 8,
    },
    {
      region: 'us-east-1',
      gpu: 'L4',
      gpus: 768,
      cheapestSpotPerGpuHour: 0.31,
      cheapestOnDemandPerGpuHour: 0.8,
    },
    {
      region: 'us-west-2',
      gpu: 'H100',
      gpus: 64,
      cheapestOnDemandPerGpuHour: 55.04 / 8,
    },
  ],
};

export const demoHealth: FabricHealth = {
  status: 'ok',
  version: '0.1.0',
  mode: 'plan-only',
  estateSource: 'demo',
  accounts: 4,
  cells: 12,
  discovery: 'done',
};

function freshCell(
  account: Account,
  region: string,
  azMap: Record<string, string>,
): CellStatus {
  return {
    ...accounts[account],
    region,
    fresh: true,
    discoveredAt: TAKEN_AT,
    azMap,
  };
}

export const demoEstate: EstateResponse = {
  source: 'demo',
  mode: 'plan-only',
  takenAt: TAKEN_AT,
  accounts: [
    { id: '111111111111', name: 'ml-platform-hub', role: 'hub', regions: ['us-east-1', 'us-west-2', 'eu-west-1'], staleCells: 0 },
    { id: '222222222222', name: 'ml-research', role: 'member', regions: ['us-east-1', 'us-west-2', 'eu-west-1'], staleCells: 0 },
    { id: '333333333333', name: 'ml-inference', role: 'member', regions: ['us-east-1', 'us-west-2', 'eu-west-1'], staleCells: 1 },
    { id: '444444444444', name: 'network', role: 'network', regions: ['us-east-1', 'us-west-2', 'eu-west-1'], staleCells: 0 },
  ],
  cells: [
    freshCell('hub', 'us-east-1', {
      'us-east-1a': 'use1-az2',
      'us-east-1b': 'use1-az3',
      'us-east-1c': 'use1-az4',
      'us-east-1d': 'use1-az5',
      'us-east-1e': 'use1-az6',
      'us-east-1f': 'use1-az1',
    }),
    freshCell('research', 'us-east-1', {
      'us-east-1a': 'use1-az3',
      'us-east-1b': 'use1-az4',
      'us-east-1c': 'use1-az5',
      'us-east-1d': 'use1-az6',
      'us-east-1e': 'use1-az1',
      'us-east-1f': 'use1-az2',
    }),
    staleCell,
  ],
};

/** The per-zone view a capacity response carries, built from its rows as the backend does. */
function zonesOf(rows: CapacityResponse['rows']): CapacityResponse['byAzId'] {
  const zones = new Map<string, CapacityResponse['byAzId'][number]>();
  for (const row of rows) {
    const zone = zones.get(row.azId) ?? { region: row.region, azId: row.azId, gpus: 0, azNames: [] };
    zone.gpus += row.quotaHeadroomInstances * row.gpuCount;
    if (!zone.azNames.some(n => n.accountId === row.accountId)) {
      zone.azNames.push({ accountId: row.accountId, accountName: row.accountName, azName: row.azName });
    }
    zones.set(row.azId, zone);
  }
  return [...zones.values()];
}

h100EfaCapacity.byAzId = zonesOf(h100EfaCapacity.rows);
estateCapacity.byAzId = zonesOf(estateCapacity.rows);

/**
 * What `capacity(filter)` answers for {@link estateCapacity} when asked for one region
 * and/or GPU, as the estate page's drill-down asks: the matching rows and their sums.
 */
export function estateCapacityFor(filter: CapacityFilter = {}): CapacityResponse {
  const { region, gpu } = filter;
  if (!region && !gpu) return estateCapacity;
  const matches = (row: { region: string; gpu: string }) =>
    (!region || row.region === region) && (!gpu || row.gpu.toLowerCase() === gpu.toLowerCase());
  const rows = estateCapacity.rows.filter(matches);
  return {
    ...estateCapacity,
    rows,
    byRegionAndGpu: estateCapacity.byRegionAndGpu.filter(matches),
    byAzId: zonesOf(rows),
  };
}

/** A stored placement: a 16-GPU gang on the hub's p5 capacity block in use1-az4. */
export const placedTrainingRun: PlacementRecord = {
  id: '5b1c0e2a-3f7d-4c1e-9a55-0d6f2f0c9e11',
  entityRef: 'component:default/llm-pretraining',
  createdBy: 'user:default/guest',
  createdAt: TAKEN_AT,
  inventorySnapshot: '3',
  inventorySource: 'demo',
  placement: {
    id: '5b1c0e2a-3f7d-4c1e-9a55-0d6f2f0c9e11',
    request: {
      entityRef: 'component:default/llm-pretraining',
      intent: 'tightly-coupled',
      gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
      spotPolicy: 'reserved-first',
      allowSpotForTightlyCoupled: false,
    },
    intent: 'tightly-coupled',
    status: 'placed',
    inventoryTakenAt: TAKEN_AT,
    chosen: [
      {
        accountId: '111111111111',
        region: 'us-east-1',
        azId: 'use1-az4',
        azName: 'us-east-1c',
        instanceType: 'p5.48xlarge',
        capacityType: 'reserved',
        pricePerHour: 31.464,
        reservationId: 'cr-0demo5b1ock00001',
        nodes: 2,
        gpus: 16,
        score: 90,
        scoreBreakdown: { pricePerGpuHour: 3.933, networkPerGpuHour: 0, price: 50, availability: 20, quota: 15, interruptionRisk: 0, total: 85 },
      },
    ],
    rejected: [
      {
        accountId: '222222222222',
        region: 'us-east-1',
        azId: 'use1-az4',
        instanceType: 'p5.48xlarge',
        capacityType: 'spot',
        reason: 'spot is not allowed for a tightly-coupled gang',
      },
    ],
    reasons: ['Reserved capacity first: the gang fits in one capacity block.'],
    cost: { computePerHour: 62.928, networkPerMonth: 0, spotShare: 0 },
    totals: { nodes: 2, gpus: 16 },
  },
  artifacts: {
    podScheduling: {},
    objects: [{ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', name: 'fabric-5b1c0e2a-111111111111-us-east-1' }],
    yaml: 'apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata:\n  name: fabric-5b1c0e2a-111111111111-us-east-1\n',
  },
};
