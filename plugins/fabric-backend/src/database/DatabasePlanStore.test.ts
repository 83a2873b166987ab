import { mockServices } from '@backstage/backend-test-utils';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabasePlanStore, PlanRecord } from './DatabasePlanStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const record = (id: string): PlanRecord => ({
  id,
  kind: 'mesh',
  subject: 'mesh',
  status: 'planned',
  createdBy: 'user:default/platform-admin',
  createdAt: '2026-11-29T10:00:00.000Z',
  updatedAt: '2026-11-29T10:00:00.000Z',
  plan: {
    id,
    owner: 'user:default/platform-admin',
    title: 'Peer 2 VPCs',
    steps: [
      { key: 'peer/a/b', title: 'Request peering a → b', kind: 'aws', type: 'ec2:CreateVpcPeeringConnection', input: { a: 1 } },
    ],
  },
  details: { peerings: 1 },
});

describe.each(databases.eachSupportedId())('DatabasePlanStore on %p', databaseId => {
  async function createStore() {
    const knex = await databases.init(databaseId);
    return DatabasePlanStore.create({ database: mockServices.database({ knex, migrations: { skip: false } }) });
  }

  it('round-trips a plan with its details', async () => {
    const store = await createStore();
    const plan = record('11111111-1111-4111-8111-111111111111');
    await store.savePlan(plan);
    await expect(store.getPlan(plan.id)).resolves.toEqual(plan);
    expect((await store.listPlans({ kind: 'mesh' })).map(p => p.id)).toEqual([plan.id]);
    await expect(store.listPlans({ kind: 'island' })).resolves.toEqual([]);
  });

  it('keeps one checkpoint per step, updated in place as the step progresses', async () => {
    const store = await createStore();
    const plan = record('22222222-2222-4222-8222-222222222222');
    await store.savePlan(plan);
    await store.put(plan.id, 'peer/a/b', { status: 'running', output: { runStarted: true }, startedAt: '2026-11-29T10:01:00.000Z' });
    await store.put(plan.id, 'peer/a/b', {
      status: 'done',
      output: { VpcPeeringConnectionId: 'pcx-1', created: true },
      startedAt: '2026-11-29T10:01:00.000Z',
      finishedAt: '2026-11-29T10:01:02.000Z',
    });
    expect(await store.list(plan.id)).toEqual({
      'peer/a/b': {
        status: 'done',
        output: { VpcPeeringConnectionId: 'pcx-1', created: true },
        startedAt: '2026-11-29T10:01:00.000Z',
        finishedAt: '2026-11-29T10:01:02.000Z',
      },
    });
    await expect(store.get(plan.id, 'missing')).resolves.toBeUndefined();
  });

  it('lets only one apply claim a plan at a time, until its lease expires', async () => {
    const store = await createStore();
    const plan = record('33333333-3333-4333-8333-333333333333');
    await store.savePlan(plan);
    const t0 = new Date('2026-12-01T10:00:00.000Z');
    const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
    await expect(store.claimForApply(plan.id, { owner: 'a', now: t0, ttlMs: 30_000 })).resolves.toBe(true);
    await expect(store.claimForApply(plan.id, { owner: 'b', now: at(10), ttlMs: 30_000 })).resolves.toBe(false);
    // The holder renews; the lease runs 30 s from the renewal.
    await expect(store.renewLease(plan.id, { owner: 'a', now: at(20), ttlMs: 30_000 })).resolves.toBe(true);
    await expect(store.claimForApply(plan.id, { owner: 'b', now: at(40), ttlMs: 30_000 })).resolves.toBe(false);
    // The holder stops renewing: after expiry another may take it, and the old holder has lost it.
    await expect(store.claimForApply(plan.id, { owner: 'b', now: at(51), ttlMs: 30_000 })).resolves.toBe(true);
    await expect(store.renewLease(plan.id, { owner: 'a', now: at(52), ttlMs: 30_000 })).resolves.toBe(false);
    await expect(store.releaseLease(plan.id, 'a', 'failed', at(52))).resolves.toBe(false);
    expect(await store.leaseOf(plan.id)).toEqual({ owner: 'b', expiresAt: at(81).toISOString() });
    await expect(store.releaseLease(plan.id, 'b', 'applied', at(60))).resolves.toBe(true);
    expect((await store.getPlan(plan.id))?.status).toBe('applied');
    expect(await store.leaseOf(plan.id)).toBeUndefined();
  });

  it('hands each expired apply to exactly one of several replicas scanning at once', async () => {
    const store = await createStore();
    const t0 = new Date('2026-12-01T10:00:00.000Z');
    const ids = Array.from({ length: 6 }, (_, i) => `4444444${i}-4444-4444-8444-444444444444`);
    for (const id of ids) {
      await store.savePlan(record(id));
      await store.claimForApply(id, { owner: 'dead', now: t0, ttlMs: 1_000 });
    }
    // One apply is still held by a live replica and must not be taken.
    await store.renewLease(ids[0], { owner: 'dead', now: new Date(t0.getTime() + 5_000), ttlMs: 60_000 });
    const later = new Date(t0.getTime() + 10_000);
    const claims = await Promise.all(
      ['r1', 'r2', 'r3'].map(owner => store.claimExpiredLeases({ owner, now: later, ttlMs: 30_000 })),
    );
    const claimed = claims.flat();
    expect(claimed.sort()).toEqual(ids.slice(1).sort());
    expect(new Set(claimed).size).toBe(claimed.length);
    expect((await store.leaseOf(ids[0]))?.owner).toBe('dead');
  });
});
