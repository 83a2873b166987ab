import {
  CapacityResponse,
  FabricIntent,
  CapacityRow,
  CapacityType,
  Inventory,
} from '@internal/backstage-plugin-fabric-common';

/** Filters of `GET /capacity`; every field narrows the result. */
export interface CapacityQuery {
  gpu?: string;
  family?: string;
  instanceType?: string;
  minGpus?: number;
  region?: string;
  azId?: string;
  accountId?: string;
  capacityType?: CapacityType;
  /** Only types that can join an EFA island (tightly-coupled work). */
  efaOnly?: boolean;
  /**
   * The workload's intent. `tightly-coupled` keeps EFA-capable types only, because
   * such work must run inside an EFA island; the other intents can use any type.
   */
  intent?: FabricIntent;
}

/**
 * Joins offerings with their instance type and account, applies the filters and sums
 * what the quotas allow per region × GPU. Rows with no quota headroom are kept: a
 * quota wall is exactly what a person needs to see.
 */
export function queryCapacity(inventory: Inventory, query: CapacityQuery = {}): CapacityResponse {
  const types = new Map(inventory.instanceTypes.map(t => [t.instanceType, t]));
  const accountNames = new Map(inventory.cells.map(c => [c.accountId, c.accountName]));
  const gpu = query.gpu?.toLowerCase();

  const rows: CapacityRow[] = [];
  for (const offering of inventory.offerings) {
    const info = types.get(offering.instanceType);
    if (!info) continue;
    if (gpu && info.acceleratorName.toLowerCase() !== gpu) continue;
    if (query.family && info.family !== query.family) continue;
    if (query.instanceType && offering.instanceType !== query.instanceType) continue;
    if (query.minGpus && info.acceleratorCount < query.minGpus) continue;
    if (query.region && offering.region !== query.region) continue;
    if (query.azId && offering.azId !== query.azId) continue;
    if (query.accountId && offering.accountId !== query.accountId) continue;
    if (query.capacityType && offering.capacityType !== query.capacityType) continue;
    if ((query.efaOnly || query.intent === 'tightly-coupled') && !info.efaSupported) continue;
    rows.push({
      ...offering,
      accountName: accountNames.get(offering.accountId) ?? offering.accountId,
      gpu: info.acceleratorName,
      gpuCount: info.acceleratorCount,
      gpuMemoryMiB: info.acceleratorMemoryMiB,
      efaSupported: info.efaSupported,
    });
  }
  rows.sort(
    (a, b) =>
      a.region.localeCompare(b.region) ||
      a.gpu.localeCompare(b.gpu) ||
      a.pricePerHour / a.gpuCount - b.pricePerHour / b.gpuCount ||
      a.azId.localeCompare(b.azId) ||
      a.accountId.localeCompare(b.accountId) ||
      a.instanceType.localeCompare(b.instanceType) ||
      a.capacityType.localeCompare(b.capacityType),
  );

  const groups = new Map<string, CapacityResponse['byRegionAndGpu'][number]>();
  for (const row of rows) {
    const key = `${row.region}|${row.gpu}`;
    const group = groups.get(key) ?? { region: row.region, gpu: row.gpu, gpus: 0 };
    group.gpus += row.quotaHeadroomInstances * row.gpuCount;
    const perGpu = row.pricePerHour / row.gpuCount;
    if (row.quotaHeadroomInstances > 0) {
      if (row.capacityType === 'spot') {
        group.cheapestSpotPerGpuHour = Math.min(group.cheapestSpotPerGpuHour ?? Infinity, perGpu);
      } else if (row.capacityType === 'on-demand') {
        group.cheapestOnDemandPerGpuHour = Math.min(group.cheapestOnDemandPerGpuHour ?? Infinity, perGpu);
      }
    }
    groups.set(key, group);
  }

  const zones = new Map<string, CapacityResponse['byAzId'][number]>();
  for (const row of rows) {
    const key = `${row.region}|${row.azId}`;
    const zone = zones.get(key) ?? { region: row.region, azId: row.azId, gpus: 0, azNames: [] };
    zone.gpus += row.quotaHeadroomInstances * row.gpuCount;
    if (!zone.azNames.some(n => n.accountId === row.accountId)) {
      zone.azNames.push({ accountId: row.accountId, accountName: row.accountName, azName: row.azName });
    }
    zones.set(key, zone);
  }
  for (const zone of zones.values()) {
    zone.azNames.sort((a, b) => a.accountId.localeCompare(b.accountId));
  }

  return {
    source: inventory.source,
    takenAt: inventory.takenAt,
    staleCells: inventory.cells.filter(c => !c.fresh),
    rows,
    byRegionAndGpu: [...groups.values()],
    byAzId: [...zones.values()].sort(
      (a, b) => a.region.localeCompare(b.region) || a.azId.localeCompare(b.azId),
    ),
  };
}
