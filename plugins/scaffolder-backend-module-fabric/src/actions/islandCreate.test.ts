import { ConflictError, InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { createFabricIslandCreateAction } from './islandCreate';
import { createFabricPlacementRequestAction } from './placementRequest';
import { DRY_RUN_PLACEMENT_ID, DRY_RUN_PLAN_ID } from './util';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';
import { runAction } from '../__testUtils__/replayExample';

jest.setTimeout(60_000);

const network = {
  networkAccountId: '444444444444',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  vpcCidr: '10.80.0.0/16',
  subnetCidr: '10.80.4.0/22',
};
const spec = {
  islandId: 'llm-use1-az4',
  region: 'us-east-1',
  azId: 'use1-az4',
  instanceTypes: ['p5.48xlarge'],
  memberAccountIds: ['111111111111', '222222222222'],
  ...network,
};

describe('fabric:island:create', () => {
  let backend: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  beforeAll(async () => {
    backend = await startFabricBackendForActions();
  });
  afterAll(() => backend.stop());
  const action = () => createFabricIslandCreateAction({ client: backend.client });
  const place = (input: Record<string, unknown>) =>
    runAction(createFabricPlacementRequestAction({ client: backend.client }), input);
  /** The fabric has no plan for this island id (DELETE answers 404 "No island"). */
  const expectNoIsland = async (islandId: string) => {
    const res = await backend.request('DELETE', `/islands/${islandId}`);
    expect(res.status).toBe(404);
  };

  it('plans the island of a tightly-coupled placement in its AZ-ID', async () => {
    const placed = await place({
      entityRef: 'component:default/llm-pretraining',
      intent: 'tightly-coupled',
      gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
    });
    const out = await runAction(action(), { placementId: placed.placementId, ...network });
    expect(out.islandId).toBe(placed.placementId.slice(0, 23).replace(/-+$/, ''));
    expect(out.steps).toBeGreaterThan(3);
    expect(out.applied).toBe(false);
    const plan = await backend.get(`/plans/${out.planId}`);
    expect(plan).toMatchObject({ kind: 'island', subject: out.islandId, status: 'planned' });
    expect(plan.details.island.azId).toBe(placed.azIds[0]);
    expect(plan.plan.steps).toHaveLength(out.steps);
  });

  it("fails apply: true in plan-only mode with the fabric's message, leaving the plan stored and unapplied", async () => {
    const error = await runAction(action(), { ...spec, islandId: 'plan-only', apply: true }).catch(e => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(
      /^Fabric: The fabric runs in plan-only mode: plans are shown but never applied\. Set fabric\.estate\.mode: apply to apply them\. Nothing was applied; plan [0-9a-f-]{36} is stored for review at \/fabric\/plans\/[0-9a-f-]{36}\.$/,
    );
    const planId = /plan ([0-9a-f-]{36})/.exec(error.message)![1];
    expect(await backend.get(`/plans/${planId}`)).toMatchObject({ subject: 'plan-only', status: 'planned' });
  });

  it('takes either a placement or a spec, not both, and names what a spec lacks', async () => {
    const both = await runAction(action(), { ...spec, islandId: 'both', placementId: DRY_RUN_PLACEMENT_ID }).catch(e => e);
    expect(both).toBeInstanceOf(InputError);
    expect(both.message).toBe(
      'Give either placementId or a spec (region, azId, instanceTypes, memberAccountIds), not both: the placement decides region, azId, instanceTypes, memberAccountIds',
    );
    const lacking = await runAction(action(), { ...network, region: 'us-east-1', instanceTypes: ['p5.48xlarge'] }).catch(e => e);
    expect(lacking).toBeInstanceOf(InputError);
    expect(lacking.message).toBe('An island from a spec needs islandId, azId, memberAccountIds (or give placementId instead)');
    const elsewhere = await runAction(action(), { ...spec, islandId: 'elsewhere', region: 'us-west-2' }).catch(e => e);
    expect(elsewhere.message).toBe('azId use1-az4 is not in region us-west-2');
    await expectNoIsland('both');
    await expectNoIsland('elsewhere');
  });

  it("passes the fabric's EFA refusal (409) on readably and plans nothing", async () => {
    const spread = await place({
      entityRef: 'component:default/batch-embeddings',
      intent: 'throughput',
      gpu: { family: 'p5', totalGpus: 64 },
    });
    expect(spread.azIds.length).toBeGreaterThan(1);
    const error = await runAction(action(), { placementId: spread.placementId, islandId: 'spread', ...network }).catch(e => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(
      /^Fabric: Island refused: EFA traffic is not routable across AZs, VPCs or regions, .* so a tightly-coupled gang must run in exactly one AZ-ID; the placement chose /,
    );
    await expectNoIsland('spread');
  });

  it("passes the fabric's 400 on readably: an AZ-ID the network account does not have, a non-EFA type", async () => {
    const error = await runAction(action(), {
      ...spec,
      islandId: 'bad',
      azId: 'use1-az9',
      instanceTypes: ['g6.xlarge'],
    }).catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('Fabric: Island refused: use1-az9 is not an AZ-ID of us-east-1 in the network account 444444444444');
    expect(error.message).toContain('g6.xlarge does not support EFA');
    await expectNoIsland('bad');
  });

  it('says when the placement does not exist', async () => {
    const error = await runAction(action(), { placementId: '6b1f3c2e-0000-4000-8000-000000000001', ...network }).catch(e => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('Fabric: No placement 6b1f3c2e-0000-4000-8000-000000000001');
  });

  it('plans once per task and input: a resumed task finds its checkpoint', async () => {
    const checkpoints = new Map<string, unknown>();
    const checkpoint = async ({ key, fn }: { key: string; fn: () => any }) => {
      if (!checkpoints.has(key)) checkpoints.set(key, await fn());
      return checkpoints.get(key);
    };
    const first = await runAction(action(), { ...spec, islandId: 'resumed' }, { checkpoint });
    const again = await runAction(action(), { ...spec, islandId: 'resumed' }, { checkpoint });
    expect(again.planId).toBe(first.planId);
    expect(checkpoints.size).toBe(1);
  });

  describe('dry run', () => {
    it('plans nothing and outputs placeholders', async () => {
      const out = await runAction(action(), { ...spec, islandId: 'dry', apply: true }, { isDryRun: true });
      expect(out).toEqual({ planId: DRY_RUN_PLAN_ID, islandId: 'dry', steps: 0, applied: false });
      await expectNoIsland('dry');
    });

    it('checks that a real placement exists', async () => {
      const error = await runAction(
        action(),
        { placementId: '6b1f3c2e-0000-4000-8000-000000000002', ...network },
        { isDryRun: true },
      ).catch(e => e);
      expect(error).toBeInstanceOf(NotFoundError);
      const placeholder = await runAction(action(), { placementId: DRY_RUN_PLACEMENT_ID, ...network }, { isDryRun: true });
      expect(placeholder.islandId).toBe('00000000-0000-0000-0000');
    });
  });

  it('says which permission is missing', async () => {
    const denied = await startFabricBackendForActions({ deny: true });
    try {
      const error = await runAction(createFabricIslandCreateAction({ client: denied.client }), spec).catch(e => e);
      expect(error).toBeInstanceOf(NotAllowedError);
      expect(error.message).toBe('Fabric: Not allowed: fabric.island.manage is required');
    } finally {
      await denied.stop();
    }
  });
});
