import { Inventory, parsePlacementRequest, PlacementRequest } from '@internal/backstage-plugin-fabric-common';
import { buildDemoInventory } from '../discovery';
import { syntheticEstate } from '../provisioner/__testUtils__/estateFixture';
import { InsufficientCapacityCache } from './InsufficientCapacityCache';
import { planPlacement } from './planPlacement';
import { InsufficientCapacityCache as ReferenceCache } from './__testUtils__/referenceEngine/InsufficientCapacityCache';
import { planPlacement as referencePlanPlacement } from './__testUtils__/referenceEngine/planPlacement';

// The engine indexes each inventory once and reuses the index for every request. The
// placements it gives must be exactly the ones the engine gave before (kept unchanged in
// __testUtils__/referenceEngine), for every intent, policy and filter a request can carry.

const NOW = new Date('2026-11-29T12:00:00Z');

/** Deterministic draws, so every run checks the same requests. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomRequests(inventory: Inventory, count: number, seed: number): PlacementRequest[] {
  const random = seededRandom(seed);
  const pick = <T,>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const maybe = <T,>(chance: number, value: () => T): T | undefined => (random() < chance ? value() : undefined);
  const regions = [...new Set(inventory.cells.map(c => c.region))].sort();
  const accounts = [...new Set(inventory.cells.map(c => c.accountId))].sort();
  const gpuTypes = inventory.instanceTypes.filter(t => t.acceleratorCount > 0);
  const azIds = [...new Set(inventory.offerings.map(o => o.azId))].sort();
  const some = (values: string[]) => values.filter(() => random() < 0.4).slice(0, 3);

  const out: PlacementRequest[] = [];
  while (out.length < count) {
    const intent = pick(['throughput', 'tightly-coupled', 'balanced'] as const);
    const type = pick(gpuTypes);
    const needKind = pick(['instanceTypes', 'family', 'memory'] as const);
    const gpusPerNode = maybe(0.3, () => pick([1, 4, 8]));
    const multiple = gpusPerNode ?? 1;
    const gpu = {
      ...(needKind === 'instanceTypes' ? { instanceTypes: [type.instanceType, ...(random() < 0.3 ? ['p9.bogus'] : [])] } : {}),
      ...(needKind === 'family' ? { family: type.family } : {}),
      ...(needKind === 'memory' ? { minGpuMemoryGiB: pick([16, 24, 40, 80]) } : {}),
      ...(gpusPerNode ? { gpusPerNode } : {}),
      totalGpus: multiple * pick([1, 2, 4, 8, 16, 32, 64]),
    };
    const allowedRegions = maybe(0.25, () => some(regions));
    const body = {
      entityRef: `component:default/equivalence-${out.length}`,
      intent,
      gpu,
      spotPolicy: maybe(0.6, () => pick(['spot-first', 'spot-only', 'on-demand-only', 'reserved-first'] as const)),
      allowSpotForTightlyCoupled: random() < 0.3,
      maxHourlyPrice: maybe(0.25, () => pick([5, 20, 60, 150, 400])),
      allowedRegions: allowedRegions?.length ? allowedRegions : undefined,
      deniedRegions: maybe(0.15, () => [pick(regions)]),
      allowedAccounts: maybe(0.15, () => [pick(accounts), pick(accounts)]),
      deniedAccounts: maybe(0.15, () => [pick(accounts)]),
      preferredRegion: intent === 'balanced' ? maybe(0.4, () => pick(regions)) : undefined,
      minAzIds: maybe(0.3, () => pick([1, 2, 3])),
      dataMovement: maybe(0.3, () => [
        { gbPerDay: pick([10, 500, 5000]), region: pick(regions), ...(random() < 0.5 ? { azId: pick(azIds) } : {}) },
      ]),
    };
    const parsed = parsePlacementRequest(JSON.parse(JSON.stringify(body)));
    // Invalid combinations (a denied preferred region, …) are answered 400 before any
    // placement; draw again.
    if (parsed.ok) out.push(parsed.request);
  }
  return out;
}

/** The same InsufficientInstanceCapacity answers, marked in both engines' caches. */
function iceCaches(inventory: Inventory, seed: number) {
  const random = seededRandom(seed);
  const current = new InsufficientCapacityCache();
  const reference = new ReferenceCache();
  for (const o of inventory.offerings) {
    if (random() < 0.04) {
      const key = { instanceType: o.instanceType, azId: o.azId, capacityType: o.capacityType };
      current.markInsufficient(key, { now: NOW });
      reference.markInsufficient(key, { now: NOW });
    }
  }
  return { current, reference };
}

function compareOn(inventory: Inventory, requests: PlacementRequest[], seed: number) {
  const caches = iceCaches(inventory, seed);
  const statuses = new Map<string, number>();
  requests.forEach((request, i) => {
    // Every third request is decided with the ICE cache and over a Transit Gateway.
    const withCache = i % 3 === 0;
    const networkPath = i % 3 === 1 ? ('transit-gateway' as const) : undefined;
    const expected = referencePlanPlacement(request, inventory, {
      now: NOW,
      networkPath,
      iceCache: withCache ? caches.reference : undefined,
    });
    const actual = planPlacement(request, inventory, {
      now: NOW,
      networkPath,
      iceCache: withCache ? caches.current : undefined,
    });
    expect({ requestNumber: i, placement: actual }).toEqual({ requestNumber: i, placement: expected });
    statuses.set(actual.status, (statuses.get(actual.status) ?? 0) + 1);
  });
  return statuses;
}

describe('planPlacement gives the same placements as before the inventory index', () => {
  it('on the demo estate (stale cells, reservations, quota walls)', () => {
    const inventory = buildDemoInventory(NOW);
    const statuses = compareOn(inventory, randomRequests(inventory, 300, 7), 11);
    // The draws reach every answer, so the comparison covers each planner and each refusal.
    expect(statuses.get('placed')).toBeGreaterThan(30);
    expect(statuses.get('cannot-place-now')).toBeGreaterThan(30);
    expect(statuses.get('refused')).toBeGreaterThan(0);
  });

  it('on a synthetic 24-cell estate', () => {
    const inventory = syntheticEstate(24);
    const statuses = compareOn(inventory, randomRequests(inventory, 150, 23), 29);
    expect(statuses.get('placed')).toBeGreaterThan(30);
    expect(statuses.get('cannot-place-now')).toBeGreaterThan(10);
  });

  it('reads a new inventory snapshot, not the index of an earlier one', () => {
    const first = buildDemoInventory(NOW);
    const g5 = first.offerings.find(o => o.instanceType.startsWith('g5.') && o.capacityType === 'spot')!;
    const parsed = parsePlacementRequest({
      entityRef: 'component:default/equivalence-snapshot',
      intent: 'throughput',
      gpu: { family: 'g5', totalGpus: 4 },
      allowedAccounts: [g5.accountId],
    });
    if (!parsed.ok) throw new Error('invalid request');
    const before = planPlacement(parsed.request, first, { now: NOW });
    expect(before.status).toBe('placed');
    // The next scan finds that account's quota used up: the same request cannot be placed.
    const second: Inventory = {
      ...first,
      offerings: first.offerings.map(o => (o.accountId === g5.accountId ? { ...o, quotaHeadroomInstances: 0 } : o)),
    };
    const after = planPlacement(parsed.request, second, { now: NOW });
    expect(after.status).toBe('cannot-place-now');
    expect(after).toEqual(referencePlanPlacement(parsed.request, second, { now: NOW }));
  });
});
