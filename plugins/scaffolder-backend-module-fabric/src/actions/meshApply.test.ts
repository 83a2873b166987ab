import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { createFabricMeshApplyAction } from './meshApply';
import { DRY_RUN_PLAN_ID } from './util';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';
import { runAction } from '../__testUtils__/replayExample';

jest.setTimeout(60_000);

const traffic = [{ from: '111111111111/us-east-1/use1-az4', to: '222222222222/us-west-2/usw2-az1', gbPerMonth: 1000 }];

describe('fabric:mesh:apply', () => {
  let backend: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  beforeAll(async () => {
    backend = await startFabricBackendForActions();
  });
  afterAll(() => backend.stop());
  const action = () => createFabricMeshApplyAction({ client: backend.client });

  it('plans the mesh with the peering vs Transit Gateway estimate', async () => {
    const out = await runAction(action(), { traffic });
    const plan = await backend.get(`/plans/${out.planId}`);
    expect(out).toEqual({
      planId: plan.id,
      peerings: 36,
      existing: 0,
      refused: 0,
      costPeeringUsd: plan.details.cost.peering.totalUsd,
      costTransitGatewayUsd: plan.details.cost.transitGateway.totalUsd,
      applied: false,
    });
    // 1000 GB inter-region: $0.02/GB over peering.
    expect(out.costPeeringUsd).toBe(20);
    expect(out.costTransitGatewayUsd).toBeGreaterThan(out.costPeeringUsd);
    expect(plan.status).toBe('planned');
  });

  it("fails apply: true in plan-only mode with the fabric's message, leaving the plan unapplied", async () => {
    const error = await runAction(action(), { apply: true }).catch(e => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('Fabric: The fabric runs in plan-only mode: plans are shown but never applied.');
    const planId = /plan ([0-9a-f-]{36}) is stored/.exec(error.message)![1];
    expect((await backend.get(`/plans/${planId}`)).status).toBe('planned');
  });

  it("passes the fabric's 400 on readably", async () => {
    const error = await runAction(action(), {
      traffic: [{ from: 'us-east-1a', to: '222222222222/us-west-2/usw2-az1', gbPerMonth: 5 }],
    }).catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      "Fabric: Invalid mesh plan request 'traffic.0.from': must be <account>/<region>/<AZ-ID>, e.g. 222222222222/us-east-1/use1-az4",
    );
  });

  it('plans once per task and input: a resumed task finds its checkpoint', async () => {
    const checkpoints = new Map<string, unknown>();
    const checkpoint = async ({ key, fn }: { key: string; fn: () => any }) => {
      if (!checkpoints.has(key)) checkpoints.set(key, await fn());
      return checkpoints.get(key);
    };
    const first = await runAction(action(), { traffic }, { checkpoint });
    const again = await runAction(action(), { traffic }, { checkpoint });
    expect(again.planId).toBe(first.planId);
    const other = await runAction(action(), {}, { checkpoint });
    expect(other.planId).not.toBe(first.planId);
  });

  it('plans nothing in a dry run', async () => {
    const out = await runAction(action(), { traffic, apply: true }, { isDryRun: true });
    expect(out).toEqual({
      planId: DRY_RUN_PLAN_ID,
      peerings: 0,
      existing: 0,
      refused: 0,
      costPeeringUsd: 0,
      costTransitGatewayUsd: 0,
      applied: false,
    });
  });

  it('says which permission is missing', async () => {
    const denied = await startFabricBackendForActions({ deny: true });
    try {
      const error = await runAction(createFabricMeshApplyAction({ client: denied.client }), {}).catch(e => e);
      expect(error).toBeInstanceOf(NotAllowedError);
      expect(error.message).toBe('Fabric: Not allowed: fabric.mesh.manage is required');
    } finally {
      await denied.stop();
    }
  });
});
