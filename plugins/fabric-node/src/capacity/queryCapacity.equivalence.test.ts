import { CapacityResponse, CapacityRow, Inventory } from '@internal/backstage-plugin-fabric-common';
import { buildDemoInventory } from '../discovery';
import { queryCapacity } from './queryCapacity';

/**
 * The query as first written: a comparison sort and a scan of each zone's account list
 * for every row. Kept here as the reference the faster ordering and sums must match.
 */
function referenceSummary(rows: CapacityRow[]): Omit<CapacityResponse, 'source' | 'takenAt' | 'staleCells'> {
  const sorted = [...rows].sort(
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
  for (const row of sorted) {
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
  for (const row of sorted) {
    const key = `${row.region}|${row.azId}`;
    const zone = zones.get(key) ?? { region: row.region, azId: row.azId, gpus: 0, azNames: [] };
    zone.gpus += row.quotaHeadroomInstances * row.gpuCount;
    if (!zone.azNames.some(n => n.accountId === row.accountId)) {
      zone.azNames.push({ accountId: row.accountId, accountName: row.accountName, azName: row.azName });
    }
    zones.set(key, zone);
  }
  for (const zone of zones.values()) zone.azNames.sort((a, b) => a.accountId.localeCompare(b.accountId));
  return {
    rows: sorted,
    byRegionAndGpu: [...groups.values()],
    byAzId: [...zones.values()].sort((a, b) => a.region.localeCompare(b.region) || a.azId.localeCompare(b.azId)),
  };
}

/**
 * The demo estate copied into 12 accounts, shuffled, with every copy's prices nudged
 * onto a coarse grid so that many rows tie on price and the later keys decide.
 */
function generatedEstate(): Inventory {
  const demo = buildDemoInventory(new Date('2026-11-29T12:00:00Z'));
  let state = 7;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const cells = [];
  const offerings = [];
  for (let copy = 0; copy < 3; copy++) {
    const id = (accountId: string) => `${accountId.slice(0, 9)}${String(copy).padStart(3, '0')}`;
    cells.push(...demo.cells.map(c => ({ ...c, accountId: id(c.accountId) })));
    offerings.push(
      ...demo.offerings.map(o => ({
        ...o,
        accountId: id(o.accountId),
        pricePerHour: Math.round(o.pricePerHour * (0.9 + random() * 0.2)),
        quotaHeadroomInstances: random() < 0.3 ? 0 : o.quotaHeadroomInstances,
      })),
    );
  }
  for (let i = offerings.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [offerings[i], offerings[j]] = [offerings[j], offerings[i]];
  }
  return { ...demo, cells, offerings };
}

describe('queryCapacity on a generated estate', () => {
  const estate = generatedEstate();

  it.each([
    ['all capacity', {}],
    ['tightly-coupled H100', { gpu: 'H100', efaOnly: true }],
    ['spot in one region', { capacityType: 'spot' as const, region: 'us-west-2' }],
  ])('orders rows and sums them exactly as the comparison-sort reference does (%s)', (_, query) => {
    const result = queryCapacity(estate, query);
    const identity = (r: CapacityRow) => `${r.accountId}|${r.azId}|${r.instanceType}|${r.capacityType}`;
    // Each offering is unique on these, so no two rows tie on every sort key and the
    // reference's order does not depend on the order it is handed the rows in.
    expect(new Set(result.rows.map(identity)).size).toBe(result.rows.length);
    const { rows, byRegionAndGpu, byAzId } = referenceSummary([...result.rows].reverse());
    expect(result.rows.map(identity)).toEqual(rows.map(identity));
    expect(result.rows).toEqual(rows);
    expect(result.byRegionAndGpu).toEqual(byRegionAndGpu);
    expect(result.byAzId).toEqual(byAzId);
  });
});
