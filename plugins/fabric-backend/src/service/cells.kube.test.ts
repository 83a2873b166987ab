import { mockServices, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { startControlPlane, ControlPlane } from '@internal/fabric-test-tooling';
import request from 'supertest';
import { fabricPlugin } from '../plugin';

jest.setTimeout(15 * 60_000);

// Per-cell NodePools and EC2NodeClasses applied through the REST API to a real
// kube-apiserver with the Karpenter CRDs, and an apply interrupted by a restart resumed.
describe('cell provisioning to the hub cluster', () => {
  let plane: ControlPlane;
  const databases = TestDatabases.create({ ids: ['SQLITE_3'], disableDocker: true });

  beforeAll(async () => {
    plane = await startControlPlane();
  });
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
      .send({ entityRef: 'component:default/llm-pretraining', intent: 'tightly-coupled', gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 } });
    expect(placed.body.placement.status).toBe('placed');
    return placed.body;
  }

  it('applies the placement\'s NodePool and EC2NodeClass by server-side apply, owned by cloudspectra-fabric', async () => {
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

    for (const object of placement.artifacts.objects) {
      const plural = object.kind === 'NodePool' ? 'nodepools' : 'ec2nodeclasses';
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
