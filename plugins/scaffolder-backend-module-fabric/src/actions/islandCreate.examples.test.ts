import { ConflictError } from '@backstage/errors';
import yaml from 'yaml';
import { examples } from './islandCreate.examples';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';
import { replayExample } from '../__testUtils__/replayExample';

jest.setTimeout(60_000);

const applies = (example: (typeof examples)[number]) =>
  yaml.parse(example.example).steps.some((s: any) => s.action === 'fabric:island:create' && s.input.apply === true);

describe('fabric:island:create examples', () => {
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
    expect(outputs.island.steps).toBeGreaterThan(0);
    expect(outputs.island.applied).toBe(false);
    const plan = await planOnly.get(`/plans/${outputs.island.planId}`);
    expect(plan).toMatchObject({ kind: 'island', subject: outputs.island.islandId, status: 'planned' });
  });

  it.each(examples.map(e => [e.description, e]))('apply-mode estate: %s', async (_description, example) => {
    const { outputs } = await replayExample(example, applyMode.client);
    expect(outputs.island.applied).toBe(applies(example));
    const plan = await applyMode.settled(outputs.island.planId);
    expect(plan.kind).toBe('island');
    expect(plan.status).toBe(applies(example) ? 'failed' : 'planned'); // the demo estate has no AWS to apply to
  });

  it.each(examples.map(e => [e.description, e]))('dry run: %s', async (_description, example) => {
    const { outputs } = await replayExample(example, planOnly.client, { isDryRun: true });
    expect(outputs.island).toMatchObject({ steps: 0, applied: false });
  });
});
