import {
  CreateRouteCommand,
  DescribeRouteTablesCommand,
  DescribeVpcPeeringConnectionsCommand,
  EC2Client,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { FabricClock } from '../aws/clock';
import { applyPlan } from '../plan/applyPlan';
import { InMemoryCheckpointStore } from '../plan/CheckpointStore';
import { fabricTags } from '../plan/tags';
import { JsonValue, Plan } from '../plan/types';
import { meshExecutors } from './meshExecutors';
import { MESH_STEP_TYPES } from './planMesh';

/**
 * Executor behaviour moto cannot show (shared/reference/moto.md): Filters that AWS honours,
 * routes already taken by another target, blackhole routes, peerings that never turn
 * active or were rejected. The happy paths run against moto in mesh.moto.test.ts.
 */
describe('mesh executors', () => {
  const ec2 = mockClient(EC2Client);
  afterEach(() => ec2.reset());

  const cell = { accountId: '222222222222', region: 'us-east-1' };
  const account = { id: '222222222222' };
  const client = new EC2Client({ region: 'us-east-1' });
  const clients = { ec2: () => client };

  function oneStep(type: string, input: JsonValue): Plan {
    return { id: 'plan-1', owner: 'platform', title: 't', steps: [{ key: 'step-1', title: 'step', kind: 'aws', type, cell, input }] };
  }
  async function apply(plan: Plan, clock?: FabricClock) {
    const executors = meshExecutors({ clients, accountOf: () => account, clock, pollIntervalMs: 1000 });
    return applyPlan(plan, { executors, checkpoints: new InMemoryCheckpointStore(), clock });
  }
  const routeInput = { RouteTableId: 'rtb-1', DestinationCidrBlock: '10.65.0.0/16', VpcPeeringConnectionId: 'pcx-1' };
  const table = (...routes: object[]) => ({ RouteTables: [{ RouteTableId: 'rtb-1', Routes: routes }] });

  it('refuses to take over a live route to the peer CIDR that points elsewhere', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves(
      table({ DestinationCidrBlock: '10.65.0.0/16', TransitGatewayId: 'tgw-1', State: 'active' }),
    );
    const result = await apply(oneStep(MESH_STEP_TYPES.createRoute, routeInput));
    expect(result.steps[0].error).toBe(
      'Route table rtb-1 already sends 10.65.0.0/16 to tgw-1; the fabric does not replace a live route it did not create ' +
        '(ec2:CreateRoute in 222222222222/us-east-1)',
    );
    expect(ec2).not.toHaveReceivedCommand(CreateRouteCommand);
  });

  it('replaces a blackhole route left by a deleted peering', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves(
      table({ DestinationCidrBlock: '10.65.0.0/16', VpcPeeringConnectionId: 'pcx-old', State: 'blackhole' }),
    );
    ec2.on(ReplaceRouteCommand).resolves({});
    const result = await apply(oneStep(MESH_STEP_TYPES.createRoute, routeInput));
    expect(result.status).toBe('done');
    expect(ec2).toHaveReceivedCommandWith(ReplaceRouteCommand, routeInput);
    expect(ec2).not.toHaveReceivedCommand(CreateRouteCommand);
  });

  it('accepts RouteAlreadyExists when the route that won the race is the same one', async () => {
    ec2
      .on(DescribeRouteTablesCommand)
      .resolvesOnce(table({ DestinationCidrBlock: '10.64.0.0/16', GatewayId: 'local', State: 'active' }))
      .resolvesOnce(table({ DestinationCidrBlock: '10.64.0.0/16', GatewayId: 'local', State: 'active' }))
      .resolves(table({ DestinationCidrBlock: '10.65.0.0/16', VpcPeeringConnectionId: 'pcx-1', State: 'active' }));
    ec2.on(CreateRouteCommand).rejects(Object.assign(new Error('The route identified by 10.65.0.0/16 already exists.'), { name: 'RouteAlreadyExists' }));
    const result = await apply(oneStep(MESH_STEP_TYPES.createRoute, routeInput));
    expect(result.steps[0]).toMatchObject({ status: 'done', via: 'run', output: { ...routeInput, created: true } });
  });

  it('asks AWS with filters, matches client-side, and adopts a peering tagged by this very step', async () => {
    ec2.on(DescribeVpcPeeringConnectionsCommand).resolves({
      VpcPeeringConnections: [
        // Another pair: what moto returns when it ignores the filters.
        { VpcPeeringConnectionId: 'pcx-other', RequesterVpcInfo: { VpcId: 'vpc-a' }, AccepterVpcInfo: { VpcId: 'vpc-z' }, Status: { Code: 'active' } },
        {
          VpcPeeringConnectionId: 'pcx-ours',
          RequesterVpcInfo: { VpcId: 'vpc-a' },
          AccepterVpcInfo: { VpcId: 'vpc-b' },
          Status: { Code: 'pending-acceptance' },
          Tags: fabricTags({ id: 'plan-1', owner: 'platform' }, 'step-1'),
        },
      ],
    });
    const result = await apply(
      oneStep(MESH_STEP_TYPES.createPeering, { VpcId: 'vpc-a', PeerVpcId: 'vpc-b', PeerOwnerId: '333333333333', PeerRegion: 'us-west-2' }),
    );
    expect(result.steps[0]).toMatchObject({
      via: 'probe',
      output: { VpcPeeringConnectionId: 'pcx-ours', RequesterVpcId: 'vpc-a', AccepterVpcId: 'vpc-b', created: true },
    });
    expect(ec2).toHaveReceivedCommandWith(DescribeVpcPeeringConnectionsCommand, {
      Filters: [
        { Name: 'requester-vpc-info.vpc-id', Values: ['vpc-a', 'vpc-b'] },
        { Name: 'status-code', Values: ['initiating-request', 'pending-acceptance', 'provisioning', 'active'] },
      ],
    });
    expect(ec2).toHaveReceivedCommandWith(DescribeVpcPeeringConnectionsCommand, {
      Filters: expect.arrayContaining([{ Name: 'accepter-vpc-info.vpc-id', Values: ['vpc-a', 'vpc-b'] }]),
    });
  });

  it('will not adopt a pending peering requested from the other side', async () => {
    ec2.on(DescribeVpcPeeringConnectionsCommand).resolves({
      VpcPeeringConnections: [
        { VpcPeeringConnectionId: 'pcx-rev', RequesterVpcInfo: { VpcId: 'vpc-b' }, AccepterVpcInfo: { VpcId: 'vpc-a' }, Status: { Code: 'pending-acceptance', Message: 'Pending Acceptance by 222222222222' } },
      ],
    });
    const result = await apply(
      oneStep(MESH_STEP_TYPES.createPeering, { VpcId: 'vpc-a', PeerVpcId: 'vpc-b', PeerOwnerId: '333333333333', PeerRegion: 'us-west-2' }),
    );
    expect(result.steps[0].error).toMatch(
      /^Peering pcx-rev from vpc-b to vpc-a is pending-acceptance \(Pending Acceptance by 222222222222\); accept or delete it/,
    );
  });

  it('gives up waiting for a peering that never turns active, and fails fast on a rejected one', async () => {
    let time = 0;
    const clock: FabricClock = { now: () => time, sleep: async ms => void (time += ms) };
    ec2.on(DescribeVpcPeeringConnectionsCommand).resolves({
      VpcPeeringConnections: [{ VpcPeeringConnectionId: 'pcx-1', Status: { Code: 'provisioning', Message: 'Provisioning' } }],
    });
    const slow = await apply(oneStep(MESH_STEP_TYPES.waitPeeringActive, { VpcPeeringConnectionId: 'pcx-1' }), clock);
    expect(slow.steps[0].error).toBe(
      'Peering pcx-1 is still provisioning (Provisioning) after 300 s (ec2:WaitVpcPeeringConnectionActive in 222222222222/us-east-1)',
    );
    expect(time).toBe(300_000);

    ec2.on(DescribeVpcPeeringConnectionsCommand).resolves({
      VpcPeeringConnections: [{ VpcPeeringConnectionId: 'pcx-1', Status: { Code: 'rejected', Message: 'Inactive' } }],
    });
    const rejected = await apply(oneStep(MESH_STEP_TYPES.acceptPeering, { VpcPeeringConnectionId: 'pcx-1' }));
    expect(rejected.steps[0].error).toBe('Peering pcx-1 is rejected (Inactive) (ec2:AcceptVpcPeeringConnection in 222222222222/us-east-1)');
  });

  it('treats an unknown peering as already deleted', async () => {
    ec2
      .on(DescribeVpcPeeringConnectionsCommand)
      .rejects(Object.assign(new Error("The vpcPeeringConnection ID 'pcx-1' does not exist"), { name: 'InvalidVpcPeeringConnectionID.NotFound' }));
    const result = await apply(oneStep(MESH_STEP_TYPES.deletePeering, { VpcPeeringConnectionId: 'pcx-1' }));
    expect(result.steps[0]).toMatchObject({ status: 'done', via: 'probe', output: { deleted: true, created: false } });
  });
});
