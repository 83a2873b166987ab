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

  it('lets only one apply claim a plan at a time', async () => {
    const store = await createStore();
    const plan = record('33333333-3333-4333-8333-333333333333');
    await store.savePlan(plan);
    await expect(store.claimForApply(plan.id)).resolves.toBe(true);
    await expect(store.claimForApply(plan.id)).resolves.toBe(false);
    await store.setStatus(plan.id, 'failed');
    await expect(store.claimForApply(plan.id)).resolves.toBe(true);
    expect((await store.getPlan(plan.id))?.status).toBe('applying');
  });
});
