import { examples } from './capacityQuery.examples';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';
import { replayExample } from '../__testUtils__/replayExample';

jest.setTimeout(60_000);

describe('fabric:capacity:query examples', () => {
  let backend: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  beforeAll(async () => {
    backend = await startFabricBackendForActions();
  });
  afterAll(() => backend.stop());

  it.each(examples.map(e => [e.description, e]))('runs: %s', async (_description, example) => {
    // replayExample also checks each step's input against the action's published schema.
    const { outputs } = await replayExample(example, backend.client);
    expect(outputs.capacity.source).toBe('demo');
    expect(outputs.capacity.offerings).toBeGreaterThan(0);
  });
});
