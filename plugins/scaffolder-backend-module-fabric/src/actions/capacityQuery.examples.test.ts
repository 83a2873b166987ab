import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import yaml from 'yaml';
import { createFabricCapacityQueryAction } from './capacityQuery';
import { examples } from './capacityQuery.examples';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';

jest.setTimeout(60_000);

describe('fabric:capacity:query examples', () => {
  let backend: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  beforeAll(async () => {
    backend = await startFabricBackendForActions();
  });
  afterAll(() => backend.stop());

  it.each(examples.map(e => [e.description, e]))('runs: %s', async (_description, example) => {
    const action = createFabricCapacityQueryAction({ client: backend.client });
    const input = yaml.parse(example.example).steps[0].input;
    // Validate the example against the action's own schema, as the scaffolder would.
    const ctx = createMockActionContext({ input });
    await action.handler(ctx);
    const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
    expect(outputs.source).toBe('demo');
    expect(outputs.offerings).toBeGreaterThan(0);
  });
});
