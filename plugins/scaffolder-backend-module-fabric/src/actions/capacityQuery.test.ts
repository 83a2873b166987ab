import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createFabricCapacityQueryAction } from './capacityQuery';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';

jest.setTimeout(60_000);

describe('fabric:capacity:query', () => {
  let backend: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  beforeAll(async () => {
    backend = await startFabricBackendForActions();
  });
  afterAll(() => backend.stop());

  it('reports GPUs within quota and the cheapest price from the fabric backend', async () => {
    const action = createFabricCapacityQueryAction({ client: backend.client });
    const ctx = createMockActionContext({ input: { gpu: 'L4', capacityType: 'spot' as const } });
    await action.handler(ctx);
    const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
    expect(outputs.source).toBe('demo');
    expect(outputs.gpus).toBeGreaterThan(0);
    expect(outputs.offerings).toBeGreaterThan(0);
    expect(outputs.cheapestPerGpuHour).toBeGreaterThan(0);
    expect(outputs.cheapestPerGpuHour).toBeLessThan(0.805);
    expect(outputs.staleCells).toBe(1);
  });

  it('narrows tightly-coupled requests to EFA-capable types', async () => {
    const action = createFabricCapacityQueryAction({ client: backend.client });
    const all = createMockActionContext({ input: { gpu: 'L4' } });
    const efa = createMockActionContext({ input: { gpu: 'L4', intent: 'tightly-coupled' as const } });
    await action.handler(all);
    await action.handler(efa);
    const gpus = (ctx: typeof all) => Object.fromEntries((ctx.output as jest.Mock).mock.calls).gpus;
    expect(gpus(efa)).toBeLessThan(gpus(all));
  });

  it('refuses an AZ-ID outside the requested region before calling the backend', async () => {
    const action = createFabricCapacityQueryAction({ client: backend.client });
    const ctx = createMockActionContext({ input: { region: 'us-west-2', azId: 'use1-az4' } });
    await expect(action.handler(ctx)).rejects.toThrow('azId use1-az4 is not in region us-west-2');
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it("passes the backend's 400 through as a readable error", async () => {
    const action = createFabricCapacityQueryAction({ client: backend.client });
    const ctx = createMockActionContext({ input: { azId: 'us-east-1a' } });
    await expect(action.handler(ctx)).rejects.toThrow(/AZ-ID/);
  });
});
