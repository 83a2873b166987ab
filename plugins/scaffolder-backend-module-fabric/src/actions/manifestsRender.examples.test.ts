import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import { examples } from './manifestsRender.examples';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';
import { replayExample } from '../__testUtils__/replayExample';

jest.setTimeout(60_000);

describe('fabric:manifests:render examples', () => {
  let backend: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  beforeAll(async () => {
    backend = await startFabricBackendForActions();
  });
  afterAll(() => backend.stop());

  it.each(examples.map(e => [e.description, e]))('runs: %s', async (_description, example) => {
    const { outputs, workspacePath } = await replayExample(example, backend.client);
    const { manifestPath, podSchedulingPath, paths } = outputs.manifests;
    expect(paths).toEqual([manifestPath, podSchedulingPath]);
    const manifest = fs.readFileSync(path.join(workspacePath, manifestPath), 'utf8');
    expect(manifest).toContain(outputs.placement.yaml);
    const pod = yaml.parse(fs.readFileSync(path.join(workspacePath, podSchedulingPath), 'utf8'));
    expect(pod.spec.affinity.nodeAffinity).toBeDefined();
  });

  it.each(examples.map(e => [e.description, e]))('dry-runs into the workspace: %s', async (_description, example) => {
    const { outputs, workspacePath } = await replayExample(example, backend.client, { isDryRun: true });
    for (const file of outputs.manifests.paths) {
      expect(fs.readFileSync(path.join(workspacePath, file), 'utf8')).toMatch(/^# Dry run/);
    }
  });
});
