import { RequestLimiter } from '../aws/TokenBucketLimiter';
import { applyPlan, CheckpointStoreError, planStatus, StepProgressEvent } from './applyPlan';
import { InMemoryCheckpointStore } from './CheckpointStore';
import { buildDestroyPlan } from './destroyPlan';
import { FABRIC_TAG_KEYS } from './tags';
import { StepCheckpoint } from './types';
import { PlanValidationError } from './validatePlan';
import { chainPlan, createStep, FakeCloud } from './__testUtils__/fakeCloud';

/** A store that dies (throws) on its n-th put, like a process killed mid-apply. */
class CrashingStore extends InMemoryCheckpointStore {
  puts = 0;
  constructor(private readonly crashOnPut: number) {
    super();
  }
  async put(planId: string, key: string, checkpoint: StepCheckpoint) {
    this.puts += 1;
    if (this.puts === this.crashOnPut) throw new Error('connection to the database lost');
    return super.put(planId, key, checkpoint);
  }
}

describe('applyPlan', () => {
  it('runs steps in order, resolving $refs and tagging what it creates', async () => {
    const cloud = new FakeCloud();
    const checkpoints = new InMemoryCheckpointStore();
    const events: StepProgressEvent[] = [];
    const result = await applyPlan(chainPlan(), {
      executors: cloud.executors(),
      checkpoints,
      onProgress: e => events.push(e),
    });
    expect(result.status).toBe('done');
    expect(result.steps.map(s => [s.key, s.status, s.via])).toEqual([
      ['a', 'done', 'run'],
      ['b', 'done', 'run'],
      ['c', 'done', 'run'],
    ]);
    expect(cloud.resources.get('beta')?.attachedTo).toBe(cloud.resources.get('alpha')?.id);
    expect(cloud.resources.get('gamma')?.attachedTo).toBe(cloud.resources.get('beta')?.id);
    expect(cloud.resources.get('alpha')?.tags).toEqual({
      [FABRIC_TAG_KEYS.plan]: 'plan-1',
      [FABRIC_TAG_KEYS.owner]: 'team-ml',
      [FABRIC_TAG_KEYS.managedBy]: 'cloudspectra-fabric',
      [FABRIC_TAG_KEYS.step]: 'a',
    });
    expect(result.steps[0].output).toEqual({ id: 'res-1', name: 'alpha', created: true });
    expect(events.map(e => `${e.index}/${e.total} ${e.key} ${e.status}`)).toEqual([
      '0/3 a running',
      '0/3 a done',
      '1/3 b running',
      '1/3 b done',
      '2/3 c running',
      '2/3 c done',
    ]);
    const stored = await checkpoints.get('plan-1', 'a');
    expect(stored).toMatchObject({ status: 'done', output: { id: 'res-1', created: true } });
    expect(stored?.finishedAt).toBeDefined();
  });

  it('skips done steps on a second apply and finds existing resources by probe', async () => {
    const cloud = new FakeCloud();
    const checkpoints = new InMemoryCheckpointStore();
    await applyPlan(chainPlan(), { executors: cloud.executors(), checkpoints });
    cloud.calls.length = 0;

    const again = await applyPlan(chainPlan(), { executors: cloud.executors(), checkpoints });
    expect(again.steps.map(s => s.via)).toEqual(['checkpoint', 'checkpoint', 'checkpoint']);
    expect(cloud.calls).toEqual([]);

    // A re-planned plan (new id, same step keys) finds everything by probe: created=false.
    const replanned = await applyPlan(chainPlan('plan-2'), { executors: cloud.executors(), checkpoints });
    expect(replanned.steps.map(s => [s.via, s.output?.created])).toEqual([
      ['probe', false],
      ['probe', false],
      ['probe', false],
    ]);
    expect(cloud.resources.size).toBe(3);
  });

  it('records a failing step with a readable error, leaves later steps pending, and resumes', async () => {
    const cloud = new FakeCloud();
    const checkpoints = new InMemoryCheckpointStore();
    cloud.failOnce.set('b', 'before-create');
    const failed = await applyPlan(chainPlan(), { executors: cloud.executors(), checkpoints });
    expect(failed.status).toBe('failed');
    expect(failed.failedStep).toBe('b');
    expect(failed.steps.map(s => s.status)).toEqual(['done', 'failed', 'pending']);
    expect(failed.steps[1].error).toBe(
      'WidgetLimitExceeded: The maximum number of widgets has been reached. (fake:Create in 111111111111/us-east-1)',
    );
    expect(await planStatus(chainPlan(), checkpoints)).toMatchObject([
      { key: 'a', status: 'done' },
      { key: 'b', status: 'failed', error: expect.stringContaining('WidgetLimitExceeded') },
      { key: 'c', status: 'pending' },
    ]);

    const resumed = await applyPlan(chainPlan(), { executors: cloud.executors(), checkpoints });
    expect(resumed.status).toBe('done');
    expect(resumed.steps.map(s => s.via)).toEqual(['checkpoint', 'run', 'run']);
    expect(cloud.calls.filter(c => c.startsWith('run'))).toEqual(['run a', 'run b', 'run b', 'run c']);
  });

  it('resumes after an executor died after creating: the probe adopts the resource as created', async () => {
    const cloud = new FakeCloud();
    const checkpoints = new InMemoryCheckpointStore();
    cloud.failOnce.set('b', 'after-create');
    const failed = await applyPlan(chainPlan(), { executors: cloud.executors(), checkpoints });
    expect(failed.steps[1]).toMatchObject({ status: 'failed', error: 'socket hang up (fake:Create in 111111111111/us-east-1)' });
    expect((await checkpoints.get('plan-1', 'b'))?.output).toEqual({ runStarted: true });

    const resumed = await applyPlan(chainPlan(), { executors: cloud.executors(), checkpoints });
    expect(resumed.steps[1]).toMatchObject({ status: 'done', via: 'probe', output: { created: true } });
    expect(cloud.resources.size).toBe(3);
    // Destroy knows the adopted resource is the fabric's own.
    const destroy = await buildDestroyPlan(chainPlan(), { executors: cloud.executors(), checkpoints });
    expect(destroy.plan.steps.map(s => s.key)).toEqual(['destroy:c', 'destroy:b', 'destroy:a']);
  });

  it.each([1, 2, 3, 4, 5, 6])(
    'resumes after the checkpoint store dies on put %i, without duplicates',
    async crashOnPut => {
      const cloud = new FakeCloud();
      const store = new CrashingStore(crashOnPut);
      await expect(applyPlan(chainPlan(), { executors: cloud.executors(), checkpoints: store })).rejects.toThrow(
        CheckpointStoreError,
      );
      const resumed = await applyPlan(chainPlan(), { executors: cloud.executors(), checkpoints: store });
      expect(resumed.status).toBe('done');
      expect([...cloud.resources.keys()].sort()).toEqual(['alpha', 'beta', 'gamma']);
      // Every resource is known as created by the plan, whichever put was lost.
      expect(resumed.steps.map(s => s.output?.created)).toEqual([true, true, true]);
      expect(cloud.calls.filter(c => c.startsWith('run')).sort()).toEqual(['run a', 'run b', 'run c']);
    },
  );

  it('refuses an invalid plan before touching anything', async () => {
    const cloud = new FakeCloud();
    const plan = chainPlan();
    plan.steps = [plan.steps[1], plan.steps[0], { ...createStep('a', { name: 'x' }), type: 'fake:Unknown' }];
    const error = await applyPlan(plan, { executors: cloud.executors(), checkpoints: new InMemoryCheckpointStore() }).catch(
      e => e,
    );
    expect(error).toBeInstanceOf(PlanValidationError);
    expect(error.problems).toEqual([
      "step 'b' depends on 'a', which is not an earlier step",
      "step 'b' refers to 'a', which is not an earlier step",
      "step 'a' appears twice",
      "step 'a': no executor for type 'fake:Unknown'",
    ]);
    expect(cloud.calls).toEqual([]);
  });

  it('draws mutations and probes from per-cell buckets', async () => {
    const keys: string[] = [];
    const limiter: RequestLimiter = { acquire: async key => void keys.push(key) };
    const plan = chainPlan();
    plan.steps[1] = { ...plan.steps[1], cell: { accountId: '222222222222', region: 'us-west-2' } };
    await applyPlan(plan, {
      checkpoints: new InMemoryCheckpointStore(),
      limiter,
      readLimiter: limiter,
      executors: [
        {
          type: 'fake:Create',
          probe: async ctx => ctx.describe(async () => undefined),
          run: async ctx => ctx.mutate(async () => ({ id: ctx.step.key })),
        },
      ],
    });
    expect(keys).toEqual([
      'ec2:111111111111/us-east-1',
      'ec2-mutating:111111111111/us-east-1',
      'ec2:222222222222/us-west-2',
      'ec2-mutating:222222222222/us-west-2',
      'ec2:111111111111/us-east-1',
      'ec2-mutating:111111111111/us-east-1',
    ]);
  });
});

describe('buildDestroyPlan', () => {
  it('undoes only what the plan created, newest first', async () => {
    const cloud = new FakeCloud();
    const checkpoints = new InMemoryCheckpointStore();
    cloud.resources.set('beta', { id: 'res-pre', tags: {} });
    await applyPlan(chainPlan(), { executors: cloud.executors(), checkpoints });

    const { plan: destroy, unsettled } = await buildDestroyPlan(chainPlan(), {
      executors: cloud.executors(),
      checkpoints,
      planId: 'plan-1-destroy',
    });
    expect(unsettled).toEqual([]);
    expect(destroy).toMatchObject({ id: 'plan-1-destroy', owner: 'team-ml', title: 'Destroy: Three widgets' });
    expect(destroy.steps.map(s => [s.key, s.input])).toEqual([
      ['destroy:c', { name: 'gamma' }],
      ['destroy:a', { name: 'alpha' }],
    ]);
    const result = await applyPlan(destroy, { executors: cloud.executors(), checkpoints });
    expect(result.status).toBe('done');
    expect([...cloud.resources.keys()]).toEqual(['beta']);
  });

  it('reports steps whose run started but never finished', async () => {
    const cloud = new FakeCloud();
    const checkpoints = new InMemoryCheckpointStore();
    cloud.failOnce.set('b', 'after-create');
    await applyPlan(chainPlan(), { executors: cloud.executors(), checkpoints });
    const { plan, unsettled } = await buildDestroyPlan(chainPlan(), { executors: cloud.executors(), checkpoints });
    expect(plan.steps.map(s => s.key)).toEqual(['destroy:a']);
    expect(unsettled).toEqual([
      {
        key: 'b',
        title: 'Create b',
        reason: "its last run ended 'failed' (socket hang up (fake:Create in 111111111111/us-east-1)) before its result was recorded",
      },
    ]);
  });
});
