import { examples } from './workloadRegister.examples';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';
import { replayExample } from '../__testUtils__/replayExample';

jest.setTimeout(60_000);

describe('fabric:workload:register examples', () => {
  let backend: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  beforeAll(async () => {
    backend = await startFabricBackendForActions();
  });
  afterAll(() => backend.stop());

  const workloads = async () => (await backend.get<{ items: Array<{ entityRef: string; entity: any }> }>('/workloads')).items;

  it.each(examples.map(e => [e.description, e]))('runs: %s', async (_description, example) => {
    const { outputs, steps } = await replayExample(example, backend.client);
    const { name, namespace = 'default', owner, intent, gpu } = steps[0].input as Record<string, string>;
    expect(outputs.register.entityRef).toBe(`component:${namespace}/${name}`);
    const stored = (await workloads()).find(w => w.entityRef === outputs.register.entityRef);
    expect(stored?.entity.spec.owner).toBe(owner);
    expect(stored?.entity.metadata.annotations).toMatchObject({
      'cloudspectra.io/fabric-workload': intent,
      'cloudspectra.io/fabric-gpu': gpu,
    });
    // A later step that places the workload refers to the registered component.
    const placementIds: string[] = outputs.placement ? [outputs.placement.placementId] : [];
    const placements = await Promise.all(placementIds.map(id => backend.get(`/placements/${id}`)));
    expect(placements.map(p => p.entityRef)).toEqual(placementIds.map(() => outputs.register.entityRef));
  });

  it.each(examples.map(e => [e.description, e]))('dry-runs without registering anything: %s', async (_description, example) => {
    const before = (await workloads()).length;
    const { outputs, steps } = await replayExample(example, backend.client, { isDryRun: true });
    const { name, namespace = 'default' } = steps[0].input as Record<string, string>;
    expect(outputs.register.entityRef).toBe(`component:${namespace}/${name}`);
    expect((await workloads()).length).toBe(before);
  });
});
