import {
  AcceptVpcPeeringConnectionCommand,
  CreateVpcPeeringConnectionCommand,
  DescribeRouteTablesCommand,
  DescribeVpcPeeringConnectionsCommand,
} from '@aws-sdk/client-ec2';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AwsClientFactory } from '@internal/backstage-plugin-fabric-node';
import { startMotoServer, MotoServer } from '@internal/fabric-test-tooling';
import request from 'supertest';
import { fabricPlugin } from '../plugin';
import { createMeshVpcs, MESH_ACCOUNTS, MESH_REGIONS } from '../__testUtils__/meshEstate';

jest.setTimeout(240_000);

const accounts = MESH_ACCOUNTS;
const regions = MESH_REGIONS;

// DELETE /mesh plans the removal of what the fabric's mesh applies created; applying
// that plan returns every account to its starting state, hand-made peerings included.
describe('removing the mesh through the REST API on moto_server', () => {
  let moto: MotoServer;
  let clients: AwsClientFactory;
  const savedEnv = { ...process.env };
  let vpcs = new Map<string, string>();
  const ec2 = (accountId: string, region: string) =>
    clients.ec2({ accountId, region }, accounts.find(a => a.id === accountId)!);

  beforeAll(async () => {
    moto = await startMotoServer();
    process.env.AWS_ACCESS_KEY_ID = 'hub-key';
    process.env.AWS_SECRET_ACCESS_KEY = 'hub-secret';
    process.env.AWS_REGION = 'us-east-1';
    clients = new AwsClientFactory({
      endpoint: moto.endpoint,
      maxAttempts: 1,
      hubCredentials: { accessKeyId: 'hub-key', secretAccessKey: 'hub-secret' },
    });
    vpcs = await createMeshVpcs(clients);
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

  async function applyAndWait(server: any, id: string) {
    const started = await request(server).post(`/api/fabric/plans/${id}/apply`);
    expect(started.status).toBe(202);
    for (let i = 0; i < 480; i++) {
      const view = await request(server).get(`/api/fabric/plans/${id}`);
      if (view.body.status === 'applied' || view.body.status === 'failed') return view.body;
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(`plan ${id} did not finish`);
  }

  /** Every active peering and every route, per account and region, as comparable text. */
  async function networkState() {
    const peerings = new Set<string>();
    const routes = new Set<string>();
    for (const account of accounts) {
      for (const region of regions) {
        const pcx = await ec2(account.id, region).send(new DescribeVpcPeeringConnectionsCommand({}));
        for (const p of pcx.VpcPeeringConnections ?? []) {
          if (p.Status?.Code === 'active') peerings.add(p.VpcPeeringConnectionId!);
        }
        const tables = await ec2(account.id, region).send(new DescribeRouteTablesCommand({}));
        for (const table of tables.RouteTables ?? []) {
          for (const r of table.Routes ?? []) {
            routes.add(`${table.RouteTableId} ${r.DestinationCidrBlock} ${r.VpcPeeringConnectionId ?? r.GatewayId ?? ''}`);
          }
        }
      }
    }
    return { peerings: [...peerings].sort(), routes: [...routes].sort() };
  }

  it('returns to the starting state and leaves a hand-made peering alone', async () => {
    // A platform engineer already peered two of the mesh VPCs by hand.
    const handMade = await ec2('111111111111', 'us-east-1').send(
      new CreateVpcPeeringConnectionCommand({
        VpcId: vpcs.get('111111111111/us-east-1'),
        PeerVpcId: vpcs.get('222222222222/us-east-1'),
        PeerOwnerId: '222222222222',
      }),
    );
    const handMadeId = handMade.VpcPeeringConnection!.VpcPeeringConnectionId!;
    await ec2('222222222222', 'us-east-1').send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: handMadeId }));
    const before = await networkState();
    expect(before.peerings).toEqual([handMadeId]);

    const server = await startFabric();
    const planned = await request(server).post('/api/fabric/mesh/plan').send({});
    expect(planned.body.details.existing).toHaveLength(1);
    expect(planned.body.details.planned).toHaveLength(14);
    expect((await applyAndWait(server, planned.body.id)).status).toBe('applied');
    expect((await networkState()).peerings).toHaveLength(15);

    const removal = await request(server).delete('/api/fabric/mesh');
    expect(removal.status).toBe(201);
    expect(removal.body).toMatchObject({ kind: 'mesh-destroy', subject: 'mesh', status: 'planned' });
    expect(removal.body.details.destroys).toEqual([planned.body.id]);
    // Nothing changes until the removal plan is applied.
    expect((await networkState()).peerings).toHaveLength(15);

    const removed = await applyAndWait(server, removal.body.id);
    expect(removed.status).toBe('applied');
    expect(await networkState()).toEqual(before);

    // Once removed there is nothing left to remove.
    const again = await request(server).delete('/api/fabric/mesh');
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/nothing the fabric created/);
  });
});
