import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { createMockDirectory } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import { createFabricManifestsRenderAction } from './manifestsRender';
import { createFabricPlacementRequestAction } from './placementRequest';
import { DRY_RUN_PLACEMENT_ID } from './util';
import { startFabricBackendForActions } from '../__testUtils__/fabricBackend';
import { runAction } from '../__testUtils__/replayExample';

jest.setTimeout(60_000);

describe('fabric:manifests:render', () => {
  let backend: Awaited<ReturnType<typeof startFabricBackendForActions>>;
  let gang: Record<string, any>;
  beforeAll(async () => {
    backend = await startFabricBackendForActions();
    gang = await runAction(createFabricPlacementRequestAction({ client: backend.client }), {
      entityRef: 'component:default/llm-pretraining',
      intent: 'tightly-coupled',
      gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
    });
  });
  afterAll(() => backend.stop());
  const action = () => createFabricManifestsRenderAction({ client: backend.client });
  const workspace = () => {
    const dir = createMockDirectory();
    return { dir, workspacePath: dir.resolve('workspace') };
  };

  it("writes the placement's Karpenter YAML and pod scheduling snippet under fabric/", async () => {
    const { workspacePath } = workspace();
    const out = await runAction(action(), { placementId: gang.placementId }, { workspacePath });
    const short = gang.placementId.replace(/-/g, '').slice(0, 12);
    expect(out).toEqual({
      manifestPath: `fabric/${short}.yaml`,
      podSchedulingPath: `fabric/${short}-pod-scheduling.yaml`,
      paths: [`fabric/${short}.yaml`, `fabric/${short}-pod-scheduling.yaml`],
    });
    const manifest = fs.readFileSync(path.join(workspacePath, out.manifestPath), 'utf8');
    expect(manifest.startsWith(`# Placement ${gang.placementId} of component:default/llm-pretraining`)).toBe(true);
    const docs = yaml.parseAllDocuments(manifest).map(d => d.toJS());
    expect(docs.map(d => d.kind).sort()).toEqual(['EC2NodeClass', 'NodePool']);
    expect(docs.every(d => d.metadata.name.includes(short))).toBe(true);

    const pod = yaml.parse(fs.readFileSync(path.join(workspacePath, out.podSchedulingPath), 'utf8'));
    expect(Object.keys(pod)).toEqual(['metadata', 'spec']);
    expect(pod.metadata.labels).toBeDefined();
    // A gang waits behind its scheduling gate and is pinned to its one AZ-ID.
    expect(pod.spec.schedulingGates).toEqual([{ name: 'fabric.cloudspectra.io/gang' }]);
    const terms = JSON.stringify(pod.spec.affinity.nodeAffinity);
    expect(terms).toContain('topology.k8s.aws/zone-id');
    expect(terms).toContain(gang.azIds[0]);
    expect(pod.spec.tolerations.length).toBeGreaterThan(0);
  });

  it('writes a FabricNodeClass for each member-account cell and an EC2NodeClass for the hub\'s, each named by its NodePool', async () => {
    const spread = await runAction(createFabricPlacementRequestAction({ client: backend.client }), {
      entityRef: 'component:default/batch-inference',
      intent: 'throughput',
      minAzIds: 3,
      gpu: { family: 'g6e', gpusPerNode: 4, totalGpus: 32 },
    });
    const { workspacePath } = workspace();
    const out = await runAction(action(), { placementId: spread.placementId }, { workspacePath });
    const docs = yaml.parseAllDocuments(fs.readFileSync(path.join(workspacePath, out.manifestPath), 'utf8')).map(d => d.toJS());
    const pools = docs.filter(d => d.kind === 'NodePool');
    const accounts = pools.map(p => p.metadata.labels['fabric.cloudspectra.io/cell'].split('.')[0]);
    expect(accounts.some(a => a !== '111111111111')).toBe(true);
    for (const [i, pool] of pools.entries()) {
      const ref = pool.spec.template.spec.nodeClassRef;
      const expected = accounts[i] === '111111111111'
        ? { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: pool.metadata.name }
        : { group: 'fabric.cloudspectra.io', kind: 'FabricNodeClass', name: pool.metadata.name };
      expect(ref).toEqual(expected);
      expect(docs.find(d => d.kind === ref.kind && d.metadata.name === ref.name)).toBeDefined();
    }
    const fabricClassAccounts = docs.filter(d => d.kind === 'FabricNodeClass').map(d => d.spec.accountId);
    expect(fabricClassAccounts.sort()).toEqual(accounts.filter(a => a !== '111111111111').sort());
    expect(docs).toHaveLength(pools.length * 2);
  });

  it('writes under another folder of the workspace and refuses paths outside it', async () => {
    const { workspacePath } = workspace();
    const out = await runAction(action(), { placementId: gang.placementId, targetPath: 'deploy/gpu' }, { workspacePath });
    expect(out.manifestPath).toMatch(/^deploy\/gpu\/[0-9a-f]{12}\.yaml$/);
    for (const targetPath of ['../outside', '/tmp/fabric-escape', 'deploy/../../outside']) {
      const error = await runAction(action(), { placementId: gang.placementId, targetPath }, { workspacePath }).catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toBe(`targetPath ${targetPath} is outside the workspace`);
    }
    expect(fs.existsSync(path.join(workspacePath, '..', 'outside'))).toBe(false);
    expect(fs.existsSync('/tmp/fabric-escape')).toBe(false);
  });

  it('refuses a placement without manifests and an unknown placement, writing nothing', async () => {
    const { workspacePath } = workspace();
    const tooBig = await runAction(createFabricPlacementRequestAction({ client: backend.client }), {
      entityRef: 'component:default/llm-pretraining',
      intent: 'tightly-coupled',
      gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 4096 },
    });
    const error = await runAction(action(), { placementId: tooBig.placementId }, { workspacePath }).catch(e => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(`Placement ${tooBig.placementId} is cannot-place-now; only a placed placement has manifests`);
    const unknown = await runAction(action(), { placementId: '6b1f3c2e-0000-4000-8000-000000000003' }, { workspacePath }).catch(e => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(unknown.message).toBe('Fabric: No placement 6b1f3c2e-0000-4000-8000-000000000003');
    expect(fs.existsSync(path.join(workspacePath, 'fabric'))).toBe(false);
  });

  describe('dry run', () => {
    it('writes placeholders for the dry-run placement, so the dry run shows the layout', async () => {
      const { workspacePath } = workspace();
      const out = await runAction(action(), { placementId: DRY_RUN_PLACEMENT_ID }, { workspacePath, isDryRun: true });
      expect(out.paths).toEqual(['fabric/000000000000.yaml', 'fabric/000000000000-pod-scheduling.yaml']);
      expect(fs.readFileSync(path.join(workspacePath, out.manifestPath), 'utf8')).toMatch(/^# Dry run/);
    });

    it('renders a real placement for real (reading the fabric changes nothing)', async () => {
      const { workspacePath } = workspace();
      const out = await runAction(action(), { placementId: gang.placementId }, { workspacePath, isDryRun: true });
      expect(fs.readFileSync(path.join(workspacePath, out.manifestPath), 'utf8')).toContain('kind: NodePool');
    });
  });
});
