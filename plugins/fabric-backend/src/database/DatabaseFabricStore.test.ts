import { mockServices } from '@backstage/backend-test-utils';
import { Inventory, PlacementRecord } from '@internal/backstage-plugin-fabric-common';
import { buildDemoInventory } from '@internal/backstage-plugin-fabric-node';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabaseFabricStore } from './DatabaseFabricStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())('DatabaseFabricStore on %p', databaseId => {
  async function createStore() {
    const knex = await databases.init(databaseId);
    const store = await DatabaseFabricStore.create({
      database: mockServices.database({ knex, migrations: { skip: false } }),
    });
    return { knex, store };
  }

  it('returns nothing before the first discovery', async () => {
    const { store } = await createStore();
    await expect(store.latestInventory()).resolves.toBeUndefined();
  });

  it('round-trips an inventory and serves the newest snapshot', async () => {
    const { store } = await createStore();
    const first = buildDemoInventory(new Date('2026-11-29T10:00:00Z'));
    const second = buildDemoInventory(new Date('2026-11-29T10:15:00Z'));
    const firstId = await store.saveInventory(first);
    const secondId = await store.saveInventory(second);
    expect(Number(secondId)).toBeGreaterThan(Number(firstId));

    const latest = (await store.latestInventory()) as Inventory;
    expect(latest.id).toBe(secondId);
    expect(latest.takenAt).toBe('2026-11-29T10:15:00.000Z');
    expect(latest.offerings).toEqual(second.offerings);
    expect(latest.cells).toEqual(second.cells);
  });

  it('serves a snapshot by id until it is pruned', async () => {
    const { store } = await createStore();
    const first = buildDemoInventory(new Date('2026-11-29T10:00:00Z'));
    const firstId = await store.saveInventory(first, { keep: 2 });
    await store.saveInventory(buildDemoInventory(new Date('2026-11-29T10:15:00Z')), { keep: 2 });

    const read = (await store.getInventory(firstId)) as Inventory;
    expect(read.id).toBe(firstId);
    expect(read.takenAt).toBe('2026-11-29T10:00:00.000Z');
    expect(read.instanceTypes).toEqual(first.instanceTypes);
    await expect(store.getInventory('not-a-number')).resolves.toBeUndefined();

    await store.saveInventory(buildDemoInventory(new Date('2026-11-29T10:30:00Z')), { keep: 2 });
    await expect(store.getInventory(firstId)).resolves.toBeUndefined();
  });

  it('stores placements and lists them per entity, newest first', async () => {
    const { store } = await createStore();
    const record = (id: string, entityRef: string, createdAt: string): PlacementRecord => ({
      id,
      entityRef,
      createdBy: 'user:default/guest',
      createdAt,
      inventorySource: 'demo',
      inventorySnapshot: '1',
      placement: {
        id,
        request: { entityRef, intent: 'throughput', gpu: { family: 'g6', totalGpus: 4 }, spotPolicy: 'spot-first', allowSpotForTightlyCoupled: false },
        intent: 'throughput',
        status: 'placed',
        inventoryTakenAt: createdAt,
        chosen: [],
        rejected: [],
        reasons: ['because'],
        cost: { computePerHour: 1.5, networkPerMonth: 0, spotShare: 1 },
        totals: { nodes: 4, gpus: 4 },
      },
    });
    const a = record('00000000-0000-4000-8000-00000000000a', 'component:default/a', '2026-11-29T10:00:00.000Z');
    const b = record('00000000-0000-4000-8000-00000000000b', 'component:default/a', '2026-11-29T11:00:00.000Z');
    const c = record('00000000-0000-4000-8000-00000000000c', 'component:default/c', '2026-11-29T12:00:00.000Z');
    for (const r of [a, b, c]) await store.savePlacement(r);

    await expect(store.getPlacement(b.id)).resolves.toEqual(b);
    await expect(store.getPlacement('00000000-0000-4000-8000-0000000000ff')).resolves.toBeUndefined();
    expect((await store.listPlacements({ entityRef: 'component:default/a' })).map(r => r.id)).toEqual([b.id, a.id]);
    expect((await store.listPlacements({ limit: 1 })).map(r => r.id)).toEqual([c.id]);
    await expect(store.savePlacement(a)).rejects.toThrow();
  });

  it('keeps only the newest N snapshots', async () => {
    const { store } = await createStore();
    for (let minute = 0; minute < 5; minute++) {
      await store.saveInventory(buildDemoInventory(new Date(Date.UTC(2026, 10, 29, 10, minute))), { keep: 3 });
    }
    const listed = await store.listInventories();
    expect(listed.map(s => s.takenAt)).toEqual([
      '2026-11-29T10:04:00.000Z',
      '2026-11-29T10:03:00.000Z',
      '2026-11-29T10:02:00.000Z',
    ]);
    expect(listed.every(s => s.source === 'demo' && s.offeringCount > 0)).toBe(true);
  });
});
