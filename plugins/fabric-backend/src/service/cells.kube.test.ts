import { mockServices, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { startControlPlane, ControlPlane } from '@internal/fabric-test-tooling';
import request from 'supertest';
import { fabricPlugin } from '../plugin';

jest.setTimeout(15 * 60_000);

// Per-cell NodePools with their EC2NodeClass (hub account) or FabricNodeClass (member
// accounts) applied through the REST API to a real kube-apiserver with the Karpenter and
// fabric CRDs, and an apply interrupted by a restart resumed.
const FABRIC_NODE_CLASS_CRD = 'fabricnodeclasses.fabric.cloudspectra.io';
const FABRIC_NODE_CLASS_CRD_FILE = resolve(__dirname, '../../../../deploy/crds/fabric.cloudspectra.io_fabricnodeclasses.yaml');
const PLURALS: Record<string, string> = {
  NodePool: 'nodepools',
  EC2NodeClass: 'ec2nodeclasses',
  FabricNodeClass: 'fabricnodeclasses',
};
describe('cell provisioning to the hub cluster', () => {
  let plane: ControlPlane;
  const databases = TestDatabases.create({ ids: ['SQLITE_3'], disableDocker: true });

  beforeAll(async () => {
    plane = await startControlPlane();
    await ensureFabricNodeClassCrd();
  });

  /** The plane installs the repo's CRDs; an older plane gets the FabricNodeClass CRD from deploy/crds here. */
  async function ensureFabricNodeClassCrd() {
    if (plane.crds.includes(FABRIC_NODE_CLASS_CRD)) return;
    if (!existsSync(FABRIC_NODE_CLASS_CRD_FILE)) {
      throw new Error(`The FabricNodeClass CRD is neither on the test plane nor in ${FABRIC_NODE_CLASS_CRD_FILE}`);
    }
    const { stdout } = await promisify(execFile)(plane.binary, ['yaml2json', FABRIC_NODE_CLASS_CRD_FILE]);
    const created = await plane.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', JSON.parse(stdout));
    expect(created.status).toBe(201);
    for (let attempt = 0; ; attempt++) {
      const read = await plane.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${FABRIC_NODE_CLASS_CRD}`);
      const conditions: Array<{ type: string; status: string }> = read.body?.status?.conditions ?? [];
      if (conditions.some(c => c.type === 'Established' && c.status === 'True')) return;
      if (attempt > 300) throw new Error(`CRD ${FABRIC_NODE_CLASS_CRD} never became Established`);
      await new Promise(r => setTimeout(r, 100));
    }
  }
  afterAll(async () => {
    await plane?.stop();
  });

  async function startFabric(knex?: any) {
    const { server } = await startTestBackend({
      features: [
        fabricPlugin,
        ...(knex ? [mockServices.database.factory({ knex })] : []),
        mockServices.rootConfig.factory({
          data: {
            fabric: {
              estate: { source: 'demo', mode: 'apply' },
              hub: {
                clusterName: 'fabric-hub',
                kubernetes: { url: plane.server, token: plane.token, insecureSkipTlsVerify: true },
              },
            },
          },
        }),
      ],
    });
    return server;
  }

  async function waitForPlan(server: any, id: string) {
    for (let i = 0; i < 240; i++) {
      const view = await request(server).get(`/api/fabric/plans/${id}`);
      if (view.body.status === 'applied' || view.body.status === 'failed') return view.body;
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(`plan ${id} did not finish`);
  }

  async function placeTrainingRun(server: any) {
    const placed = await request(server)
      .post('/api/fabric/placements')
      // 128 H100s: the hub account's cell and research's, in one AZ-ID.
      .send({ entityRef: 'component:default/llm-pretraining', intent: 'tightly-coupled', gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 128 } });
    expect(placed.body.placement.status).toBe('placed');
    return placed.body;
  }

  it('applies the placement\'s NodePools with their EC2NodeClass and FabricNodeClass by server-side apply, owned by cloudspectra-fabric', async () => {
    const server = await startFabric();
    const placement = await placeTrainingRun(server);
    const planned = await request(server).post(`/api/fabric/placements/${placement.id}/provision`);
    expect(planned.status).toBe(201);
    expect(planned.body.kind).toBe('cells');
    // Member accounts other than the hub get the artifacts their nodes need to join.
    const members = [...new Set(placement.placement.chosen.map((c: any) => c.accountId))].filter(a => a !== '111111111111');
    expect(Object.keys(planned.body.details.joinArtifacts).sort()).toEqual(members.sort());
    for (const artifacts of Object.values<any>(planned.body.details.joinArtifacts)) {
      expect(artifacts.accessEntry.principalArn).toBe('arn:aws:iam::111111111111:role/KarpenterNodeRole-fabric-hub');
      expect(artifacts.nodeadmConfig).toContain(plane.server);
    }

    const started = await request(server).post(`/api/fabric/plans/${planned.body.id}/apply`);
    expect(started.status).toBe(202);
    const finished = await waitForPlan(server, planned.body.id);
    expect(finished.status).toBe('applied');

    expect(placement.artifacts.objects.map((o: any) => o.kind)).toEqual(['EC2NodeClass', 'FabricNodeClass', 'NodePool', 'NodePool']);
    for (const object of placement.artifacts.objects) {
      const plural = PLURALS[object.kind];
      const read = await plane.request('GET', `/apis/${object.apiVersion}/${plural}/${object.name}`);
      expect(read.status).toBe(200);
      expect(read.body.metadata.managedFields.map((f: any) => f.manager)).toContain('cloudspectra-fabric');
    }
  });

  it('resumes an apply that a restart interrupted, from the database', async () => {
    const knex = await databases.init('SQLITE_3');
    const first = await startFabric(knex);
    const placement = await placeTrainingRun(first);
    const planned = await request(first).post(`/api/fabric/placements/${placement.id}/provision`);
    // The backend died while applying: the plan says applying, no step finished.
    await knex('fabric_plans').where({ id: planned.body.id }).update({ status: 'applying' });

    const restarted = await startFabric(knex);
    const finished = await waitForPlan(restarted, planned.body.id);
    expect(finished.status).toBe('applied');
    expect(finished.steps.every((s: any) => s.status === 'done')).toBe(true);
  });
});
