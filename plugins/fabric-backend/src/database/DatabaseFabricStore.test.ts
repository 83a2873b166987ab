import { mockServices } from '@backstage/backend-test-utils';
import { Inventory } from '@internal/backstage-plugin-fabric-common';
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
