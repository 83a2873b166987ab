import { DescribeRouteTablesCommand, DescribeVpcPeeringConnectionsCommand } from '@aws-sdk/client-ec2';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AwsClientFactory } from '@internal/backstage-plugin-fabric-node';
import { startMotoServer, MotoServer } from '@internal/fabric-test-tooling';
import request from 'supertest';
import { fabricPlugin } from '../plugin';
import { createMeshVpcs, MESH_ACCOUNTS, MESH_REGIONS } from '../__testUtils__/meshEstate';

jest.setTimeout(180_000);

const accounts = MESH_ACCOUNTS;
const regions = MESH_REGIONS;

// The whole path a platform engineer takes: POST /mesh/apply on a backend in apply mode,
// against moto_server through the real SDK, then the result counted through the SDK.
describe('mesh apply through the REST API on moto_server', () => {
  let moto: MotoServer;
  let clients: AwsClientFactory;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    moto = await startMotoServer();
    process.env.AWS_ACCESS_KEY_ID = 'hub-key';
    process.env.AWS_SECRET_ACCESS_KEY = 'hub-secret';
    process.env.AWS_REGION = 'us-east-1';
    clients = new AwsClientFactory({ endpoint: moto.endpoint, maxAttempts: 1, hubCredentials: { accessKeyId: 'hub-key', secretAccessKey: 'hub-secret' } });
    // One mesh VPC per cell, non-overlapping, tagged to opt in.
    await createMeshVpcs(clients);
  });

  afterAll(async () => {
    clients?.destroy();
    process.env = savedEnv;
    await moto?.stop();
  });

  async function startFabric() {
    const { server } = await startTestBackend({
      features: [
        fabricPlugin,
        mockServices.rootConfig.factory({
          data: {
            fabric: {
              estate: { source: 'aws', mode: 'apply', defaultRegions: regions, gpuFamilies: ['p5'], accounts },
              aws: { endpoint: moto.endpoint, maxAttempts: 1 },
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

  async function activePeerings() {
    const ids = new Set<string>();
    for (const account of accounts) {
      for (const region of regions) {
        const out = await clients.ec2({ accountId: account.id, region }, account).send(new DescribeVpcPeeringConnectionsCommand({}));
        for (const pcx of out.VpcPeeringConnections ?? []) {
          if (pcx.Status?.Code === 'active' && pcx.VpcPeeringConnectionId) ids.add(pcx.VpcPeeringConnectionId);
        }
      }
    }
    return ids;
  }

  it('peers all six VPCs with routes on both sides, and a second apply changes nothing', async () => {
    const server = await startFabric();
    const started = await request(server).post('/api/fabric/mesh/apply').send({});
    expect(started.status).toBe(202);
    expect(started.body.details.planned).toHaveLength(15);
    const finished = await waitForPlan(server, started.body.id);
    expect(finished.status).toBe('applied');
    expect(finished.steps.every((s: any) => s.status === 'done')).toBe(true);

    const peerings = await activePeerings();
    expect(peerings.size).toBe(15);
    // Every VPC's route table routes each of the five peer CIDRs through a peering.
    for (const account of accounts) {
      for (const region of regions) {
        const tables = await clients.ec2({ accountId: account.id, region }, account).send(new DescribeRouteTablesCommand({}));
        const meshRoutes = (tables.RouteTables ?? [])
          .flatMap(t => t.Routes ?? [])
          .filter(r => r.VpcPeeringConnectionId && r.DestinationCidrBlock?.startsWith('10.'));
        expect(meshRoutes.length).toBe(5);
      }
    }

    const again = await request(server).post('/api/fabric/mesh/plan').send({});
    expect(again.body.details.planned).toEqual([]);
    expect(again.body.details.existing).toHaveLength(15);
    expect(await activePeerings()).toEqual(peerings);
  });
});
