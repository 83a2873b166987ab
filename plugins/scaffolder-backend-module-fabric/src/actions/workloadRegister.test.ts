import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { createFabricWorkloadRegisterAction } from './workloadRegister';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';
import { runAction } from '../__testUtils__/replayExample';

jest.setTimeout(60_000);

const input = {
  name: 'llm-finetune',
  description: '',
  owner: 'group:default/ml-research',
  intent: 'balanced' as const,
  gpu: 'p5',
};

describe('fabric:workload:register', () => {
  let backend: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  beforeAll(async () => {
    backend = await startFabricBackendForActions();
  });
  afterAll(() => backend.stop());
  const action = () => createFabricWorkloadRegisterAction({ client: backend.client });

  it('registers the component through the fabric, leaving out empty fields, and runs again as a no-op', async () => {
    const out = await runAction(action(), input);
    expect(out).toEqual({ entityRef: 'component:default/llm-finetune' });
    const again = await runAction(action(), input);
    expect(again).toEqual(out);
    const { items } = await backend.get('/workloads');
    expect(items).toHaveLength(1);
    expect(items[0].entity.metadata.description).toBeUndefined();
  });

  it('runs the POST inside a checkpoint, so a resumed task does not post again', async () => {
    const checkpoint = jest.fn(async (opts: { key: string; fn: () => any }) => {
      expect(opts.key).toMatch(/^fabric\.workload\.register\./);
      return { entityRef: 'component:default/from-checkpoint' };
    });
    const out = await runAction(action(), { ...input, name: 'resumed' }, { checkpoint });
    expect(out.entityRef).toBe('component:default/from-checkpoint');
    expect(checkpoint).toHaveBeenCalledTimes(1);
  });

  it("refuses a name another owner holds with the fabric's 409", async () => {
    await runAction(action(), { ...input, name: 'taken' });
    await expect(runAction(action(), { ...input, name: 'taken', owner: 'group:default/other' })).rejects.toThrow(
      ConflictError,
    );
  });

  it("passes the fabric's 400 through, naming the field", async () => {
    await expect(runAction(action(), { ...input, name: 'Not_A_Label' })).rejects.toThrow(InputError);
    await expect(runAction(action(), { ...input, name: 'Not_A_Label' })).rejects.toThrow(/'name'/);
  });

  it('dry-runs with the entity ref and without asking the fabric', async () => {
    const before = (await backend.get('/workloads')).items.length;
    const out = await runAction(action(), { ...input, name: 'dry', namespace: 'ml' }, { isDryRun: true });
    expect(out).toEqual({ entityRef: 'component:ml/dry' });
    expect((await backend.get('/workloads')).items.length).toBe(before);
  });

  it('says when the permission policy refuses', async () => {
    const denied = await startFabricBackendForActions({ deny: true });
    try {
      await expect(
        runAction(createFabricWorkloadRegisterAction({ client: denied.client }), input),
      ).rejects.toThrow(NotAllowedError);
    } finally {
      await denied.stop();
    }
  });
});
