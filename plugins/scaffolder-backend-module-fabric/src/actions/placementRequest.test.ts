import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { createFabricPlacementRequestAction } from './placementRequest';
import { DRY_RUN_PLACEMENT_ID } from './util';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';
import { runAction } from '../__testUtils__/replayExample';

jest.setTimeout(60_000);

const gang = {
  entityRef: 'component:default/llm-pretraining',
  intent: 'tightly-coupled' as const,
  gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
};

describe('fabric:placement:request', () => {
  let backend: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  beforeAll(async () => {
    backend = await startFabricBackendForActions();
  });
  afterAll(() => backend.stop());
  const action = () => createFabricPlacementRequestAction({ client: backend.client });

  it('places a gang in one AZ-ID, stores it, and outputs the compiled Karpenter YAML', async () => {
    const out = await runAction(action(), gang);
    expect(out.status).toBe('placed');
    expect(out.gpus).toBe(16);
    expect(out.azIds).toHaveLength(1);
    expect(out.cells.length).toBeGreaterThan(0);
    expect(out.cells[0]).toMatch(/^\d{12}\/[a-z]{2}-[a-z]+-\d$/);
    expect(out.computePerHour).toBeGreaterThan(0);
    expect(out.spotShare).toBe(0);
    expect(out.reasons.length).toBeGreaterThan(0);
    expect(out.yaml).toContain('kind: NodePool');
    expect(out.yaml).toContain('kind: EC2NodeClass');
    expect(out.azIdPreferenceMet).toBeUndefined();
    const stored = await backend.get(`/placements/${out.placementId}`);
    expect(stored.entityRef).toBe(gang.entityRef);
    expect(stored.placement.chosen[0].azId).toBe(out.azIds[0]);
  });

  it('reports honestly whether the placement landed in the preferred AZ-ID', async () => {
    const first = await runAction(action(), gang);
    const [chosen] = first.azIds as string[];
    const region = (first.cells[0] as string).split('/')[1];
    const met = await runAction(action(), { ...gang, azId: chosen, allowedRegions: [region] });
    expect(met.azIds).toEqual([chosen]);
    expect(met.azIdPreferenceMet).toBe(true);
    const other = chosen === 'use1-az2' ? 'use1-az6' : 'use1-az2';
    const missed = await runAction(action(), { ...gang, azId: other, allowedRegions: ['us-east-1'] });
    expect(missed.azIdPreferenceMet).toBe(missed.azIds.length === 1 && missed.azIds[0] === other);
  });

  it('refuses an AZ-ID outside the allowed regions before asking the fabric', async () => {
    const before = await backend.placementCount();
    const error = await runAction(action(), { ...gang, allowedRegions: ['us-west-2'], azId: 'use1-az4' }).catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe('azId use1-az4 is not in the allowed regions (us-west-2)');
    const preferred = await runAction(action(), {
      ...gang,
      intent: 'balanced',
      preferredRegion: 'eu-west-1',
      azId: 'use1-az4',
    }).catch(e => e);
    expect(preferred.message).toBe('azId use1-az4 is not in the preferred region eu-west-1');
    expect(await backend.placementCount()).toBe(before);
  });

  it("passes the fabric's 400 on as a readable InputError and stores nothing", async () => {
    const before = await backend.placementCount();
    const error = await runAction(action(), {
      ...gang,
      gpu: { family: 'p5', instanceTypes: ['p5.48xlarge'], gpusPerNode: 8, totalGpus: 12 },
    }).catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'Fabric: Invalid placement request: gpu must name exactly one of instanceTypes, family or minGpuMemoryGiB, not instanceTypes and family; gpu.totalGpus must be a multiple of gpusPerNode (8), since every node carries that many GPUs',
    );
    expect(await backend.placementCount()).toBe(before);
  });

  it("passes a guardrail refusal (409) on as a readable ConflictError and stores nothing", async () => {
    const before = await backend.placementCount();
    const error = await runAction(action(), { ...gang, gpu: { instanceTypes: ['g6.xlarge'], totalGpus: 4 } }).catch(e => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(/^Fabric: Placement refused: Refused: none of the requested types can use EFA/);
    expect(await backend.placementCount()).toBe(before);
  });

  it('stores a placement the estate cannot hold now, with the largest feasible size and no YAML', async () => {
    const out = await runAction(action(), { ...gang, gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 4096 } });
    expect(out.status).toBe('cannot-place-now');
    expect(out.largestFeasibleGpus).toBeLessThan(4096);
    expect(out.yaml).toBeUndefined();
    expect((await backend.get(`/placements/${out.placementId}`)).placement.status).toBe('cannot-place-now');
  });

  it('places once per task and input: a resumed task finds its checkpoint', async () => {
    const checkpoints = new Map<string, unknown>();
    const checkpoint = async ({ key, fn }: { key: string; fn: () => any }) => {
      if (!checkpoints.has(key)) checkpoints.set(key, await fn());
      return checkpoints.get(key);
    };
    const before = await backend.placementCount();
    const first = await runAction(action(), gang, { checkpoint });
    const again = await runAction(action(), { gpu: gang.gpu, intent: gang.intent, entityRef: gang.entityRef }, { checkpoint });
    expect(again.placementId).toBe(first.placementId);
    expect(await backend.placementCount()).toBe(before + 1);
    expect([...checkpoints.keys()]).toEqual([expect.stringMatching(/^fabric\.placement\.request\.mock-task-id\.[0-9a-f]{16}$/)]);
    await runAction(action(), { ...gang, gpu: { ...gang.gpu, totalGpus: 8 } }, { checkpoint });
    expect(await backend.placementCount()).toBe(before + 2);
  });

  describe('dry run', () => {
    it('validates with the fabric schema and outputs placeholders without placing anything', async () => {
      const before = await backend.placementCount();
      const out = await runAction(action(), gang, { isDryRun: true });
      expect(out).toMatchObject({ placementId: DRY_RUN_PLACEMENT_ID, status: 'dry-run', gpus: 16, azIds: [], cells: [] });
      expect(await backend.placementCount()).toBe(before);
    });

    it('fails bad input with the same message the fabric gives', async () => {
      const error = await runAction(
        action(),
        { ...gang, intent: 'throughput', preferredRegion: 'us-east-1', gpu: { totalGpus: 8 } },
        { isDryRun: true },
      ).catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toBe(
        'Invalid placement request: gpu must name the GPU need: one of instanceTypes, family or minGpuMemoryGiB; preferredRegion is used by the balanced intent only; use allowedRegions to restrict other intents',
      );
      const real = await runAction(action(), { ...gang, intent: 'throughput', preferredRegion: 'us-east-1', gpu: { totalGpus: 8 } }).catch(e => e);
      expect(real.message).toBe(`Fabric: ${error.message}`);
    });
  });

  it('says which permission is missing', async () => {
    const denied = await startFabricBackendForActions({ deny: true });
    try {
      const error = await runAction(createFabricPlacementRequestAction({ client: denied.client }), gang).catch(e => e);
      expect(error).toBeInstanceOf(NotAllowedError);
      expect(error.message).toBe('Fabric: Not allowed: fabric.placement.create is required');
    } finally {
      await denied.stop();
    }
  });
});
