import {
  CapacityResponse,
  FabricIntent,
  CapacityRow,
  CapacityType,
  Inventory,
} from '@internal/backstage-plugin-fabric-common';
import { byLocale, byNumber, orderByRanks, rankValues } from './linearOrder';

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
  const ordered = orderRows(rows);
  return {
    source: inventory.source,
    takenAt: inventory.takenAt,
    staleCells: inventory.cells.filter(c => !c.fresh),
    rows: ordered,
    byRegionAndGpu: sumByRegionAndGpu(ordered),
    byAzId: sumByAzId(ordered),
  };
}

/**
 * Region, GPU, price per GPU-hour, AZ-ID, account, type, capacity type; rows that tie on
 * all of them keep the inventory's order. Linear in the rows (see linearOrder.ts): a
 * comparison sort here made the query grow faster than the estate.
 */
function orderRows(rows: CapacityRow[]): CapacityRow[] {
  return orderByRanks(rows, [
    rankValues(rows, r => r.region, byLocale),
    rankValues(rows, r => r.gpu, byLocale),
    rankValues(rows, r => r.pricePerHour / r.gpuCount, byNumber),
    rankValues(rows, r => r.azId, byLocale),
    rankValues(rows, r => r.accountId, byLocale),
    rankValues(rows, r => r.instanceType, byLocale),
    rankValues(rows, r => r.capacityType, byLocale),
  ]);
}

type RegionGpuSum = CapacityResponse['byRegionAndGpu'][number];
type AzIdSum = CapacityResponse['byAzId'][number];

/** One entry per region × GPU, in the order the rows first show them. */
function sumByRegionAndGpu(rows: CapacityRow[]): RegionGpuSum[] {
  const sums: RegionGpuSum[] = [];
  const byRegion = new Map<string, Map<string, RegionGpuSum>>();
  for (const row of rows) {
    const byGpu = byRegion.get(row.region) ?? new Map<string, RegionGpuSum>();
    byRegion.set(row.region, byGpu);
    let sum = byGpu.get(row.gpu);
    if (!sum) {
      sum = { region: row.region, gpu: row.gpu, gpus: 0 };
      byGpu.set(row.gpu, sum);
      sums.push(sum);
    }
    sum.gpus += row.quotaHeadroomInstances * row.gpuCount;
    const perGpu = row.pricePerHour / row.gpuCount;
    if (row.quotaHeadroomInstances > 0) {
      if (row.capacityType === 'spot') {
        sum.cheapestSpotPerGpuHour = Math.min(sum.cheapestSpotPerGpuHour ?? Infinity, perGpu);
      } else if (row.capacityType === 'on-demand') {
        sum.cheapestOnDemandPerGpuHour = Math.min(sum.cheapestOnDemandPerGpuHour ?? Infinity, perGpu);
      }
    }
  }
  return sums;
}

/**
 * One entry per region × AZ-ID, listing each account's name for the zone once (the
 * first row of that account wins). The accounts seen are kept in a set: scanning the
 * list for every row cost rows × accounts, the step that grew fastest with the estate.
 */
function sumByAzId(rows: CapacityRow[]): AzIdSum[] {
  const sums: Array<{ sum: AzIdSum; accounts: Set<string> }> = [];
  const byRegion = new Map<string, Map<string, { sum: AzIdSum; accounts: Set<string> }>>();
  for (const row of rows) {
    const byAzId = byRegion.get(row.region) ?? new Map<string, { sum: AzIdSum; accounts: Set<string> }>();
    byRegion.set(row.region, byAzId);
    let zone = byAzId.get(row.azId);
    if (!zone) {
      zone = { sum: { region: row.region, azId: row.azId, gpus: 0, azNames: [] }, accounts: new Set() };
      byAzId.set(row.azId, zone);
      sums.push(zone);
    }
    zone.sum.gpus += row.quotaHeadroomInstances * row.gpuCount;
    if (!zone.accounts.has(row.accountId)) {
      zone.accounts.add(row.accountId);
      zone.sum.azNames.push({ accountId: row.accountId, accountName: row.accountName, azName: row.azName });
    }
  }
  for (const { sum } of sums) sum.azNames.sort((a, b) => a.accountId.localeCompare(b.accountId));
  return sums
    .map(({ sum }) => sum)
    .sort((a, b) => a.region.localeCompare(b.region) || a.azId.localeCompare(b.azId));
}
