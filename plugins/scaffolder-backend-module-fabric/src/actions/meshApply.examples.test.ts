import { ConflictError } from '@backstage/errors';
import yaml from 'yaml';
import { examples } from './meshApply.examples';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';
import { replayExample } from '../__testUtils__/replayExample';

jest.setTimeout(60_000);

const applies = (example: (typeof examples)[number]) => yaml.parse(example.example).steps[0].input.apply === true;

describe('fabric:mesh:apply examples', () => {
  let planOnly: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  let applyMode: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  beforeAll(async () => {
    planOnly = await startFabricBackendForActions();
    applyMode = await startFabricBackendForActions({ mode: 'apply' });
  });
  afterAll(async () => {
    await planOnly.stop();
    await applyMode.stop();
  });

  it.each(examples.filter(applies).map(e => [e.description, e]))(
    "plan-only estate fails with the fabric's plan-only message: %s",
    async (_description, example) => {
      const error = await replayExample(example, planOnly.client).catch(e => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.message).toContain('The fabric runs in plan-only mode');
    },
  );

  it.each(examples.filter(e => !applies(e)).map(e => [e.description, e]))('plan-only estate: %s', async (_description, example) => {
    const { outputs } = await replayExample(example, planOnly.client);
    // The demo estate's nine mesh VPCs: 9·8/2 pairs.
    expect(outputs.mesh).toMatchObject({ peerings: 36, existing: 0, refused: 0, applied: false });
    expect(outputs.mesh.costPeeringUsd).toBeLessThan(outputs.mesh.costTransitGatewayUsd);
    expect(await planOnly.get(`/plans/${outputs.mesh.planId}`)).toMatchObject({ kind: 'mesh', status: 'planned' });
  });

  it.each(examples.map(e => [e.description, e]))('apply-mode estate: %s', async (_description, example) => {
    const { outputs } = await replayExample(example, applyMode.client);
    expect(outputs.mesh.applied).toBe(applies(example));
    const plan = await applyMode.settled(outputs.mesh.planId);
    expect(plan.status).toBe(applies(example) ? 'failed' : 'planned'); // the demo estate has no AWS to apply to
  });

  it.each(examples.map(e => [e.description, e]))('dry run: %s', async (_description, example) => {
    const { outputs } = await replayExample(example, planOnly.client, { isDryRun: true });
    expect(outputs.mesh).toMatchObject({ peerings: 0, applied: false });
  });
});
