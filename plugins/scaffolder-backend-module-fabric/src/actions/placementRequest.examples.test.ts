import { examples } from './placementRequest.examples';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';
import { replayExample } from '../__testUtils__/replayExample';

jest.setTimeout(60_000);

describe('fabric:placement:request examples', () => {
  let backend: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  beforeAll(async () => {
    backend = await startFabricBackendForActions();
  });
  afterAll(() => backend.stop());

  it.each(examples.map(e => [e.description, e]))('runs: %s', async (_description, example) => {
    const { outputs } = await replayExample(example, backend.client);
    const out = outputs.placement;
    expect(out.status).toBe('placed');
    expect(out.gpus).toBeGreaterThan(0);
    expect(out.azIds.length).toBeGreaterThan(0);
    expect(out.yaml).toContain('kind: NodePool');
    const stored = await backend.get(`/placements/${out.placementId}`);
    expect(stored.placement.status).toBe(out.status);
  });

  it.each(examples.map(e => [e.description, e]))('dry-runs without placing anything: %s', async (_description, example) => {
    const before = await backend.placementCount();
    const { outputs } = await replayExample(example, backend.client, { isDryRun: true });
    expect(outputs.placement.status).toBe('dry-run');
    expect(await backend.placementCount()).toBe(before);
  });
});
