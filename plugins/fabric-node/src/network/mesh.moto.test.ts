import {
  AcceptVpcPeeringConnectionCommand,
  CreateRouteCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  DeleteVpcCommand,
  DescribeRouteTablesCommand,
  DescribeVpcPeeringConnectionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { MotoServer, startMotoServer } from '@internal/fabric-test-tooling';
import { AwsClientFactory } from '../aws';
import { parseFabricConfig } from '../estate';
import {
  applyPlan,
  buildDestroyPlan,
  CheckpointStoreError,
  executorRegistry,
  FABRIC_TAG_KEYS,
  InMemoryCheckpointStore,
  Plan,
  StepCheckpoint,
  StepExecutor,
  StepExecutorRegistry,
} from '../plan';
import { planCidrs } from './cidr';
import { meshExecutors } from './meshExecutors';
import { lookupMeshPeerings } from './peerings';
import { MESH_STEP_TYPES, MeshVpc, planMesh } from './planMesh';

jest.setTimeout(120_000);

/** Live peerings seen across the given cells, deduplicated by id. */
interface PeeringView {
  id: string;
  requester: string;
  accepter: string;
  status: string;
}

/**
 * The mesh end to end with the real SDK against moto_server: three member accounts
 * (STS AssumeRole; moto files each assumed session under its own account) × two regions,
 * one VPC per cell with its CIDR from the planner and its main route table.
 *
 * moto quirks this suite lives with (shared/reference/moto.md): DescribeVpcPeeringConnections
 * ignores Filters (the probes match client-side), deleted peerings stay listed as `deleted`
 * (counted as gone), no CIDR-overlap check (the planner refuses overlaps itself), peerings
 * are `active` as soon as they are accepted, ModifyVpcPeeringConnectionOptions is unvalidated.
 */
describe('peering mesh against moto_server', () => {
  let moto: MotoServer;
  let factory: AwsClientFactory;
  let executors: StepExecutorRegistry;
  const config = parseFabricConfig({
    estate: {
      source: 'aws',
      defaultRegions: ['us-east-1', 'us-west-2'],
      accounts: ['222222222222', '333333333333', '444444444444'].map((id, i) => ({
        id,
        name: ['ml-research', 'ml-inference', 'ml-batch'][i],
        roleArn: `arn:aws:iam::${id}:role/fabric-member`,
      })),
    },
  });
  const accountOf = (accountId: string) => {
    const account = config.estate.accounts.find(a => a.id === accountId);
    if (!account) throw new Error(`account ${accountId} is not enrolled`);
    return account;
  };
  const cells: CellRef[] = config.estate.accounts.flatMap(a =>
    config.estate.defaultRegions.map(region => ({ accountId: a.id, region })),
  );
  const ec2 = (cell: CellRef): EC2Client => factory.ec2(cell, accountOf(cell.accountId));
  let vpcs: MeshVpc[];
  let start: Awaited<ReturnType<typeof snapshot>>;
  let meshPlan: Plan;
  const meshCheckpoints = new InMemoryCheckpointStore();

  async function createVpc(cell: CellRef, name: string, cidr: string): Promise<MeshVpc> {
    const created = await ec2(cell).send(new CreateVpcCommand({ CidrBlock: cidr }));
    const vpcId = created.Vpc!.VpcId!;
    const tables = await ec2(cell).send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'association.main', Values: ['true'] },
        ],
      }),
    );
    const main = tables.RouteTables!.filter(t => t.VpcId === vpcId && t.Associations?.some(a => a.Main));
    if (main.length !== 1) throw new Error(`VPC ${vpcId} has ${main.length} main route tables`);
    return { cell: name, ...cell, vpcId, cidr, routeTableIds: [main[0].RouteTableId!] };
  }

  /** Every live peering and every route of every route table, in every cell. */
  async function snapshot(extraCells: CellRef[] = []) {
    const peerings = new Map<string, PeeringView>();
    const routes: Record<string, string[]> = {};
    for (const cell of [...cells, ...extraCells]) {
      const listed = await ec2(cell).send(new DescribeVpcPeeringConnectionsCommand({}));
      for (const pcx of listed.VpcPeeringConnections ?? []) {
        if (['deleted', 'rejected', 'failed', 'expired'].includes(pcx.Status?.Code ?? '')) continue;
        peerings.set(pcx.VpcPeeringConnectionId!, {
          id: pcx.VpcPeeringConnectionId!,
          requester: pcx.RequesterVpcInfo!.VpcId!,
          accepter: pcx.AccepterVpcInfo!.VpcId!,
          status: pcx.Status!.Code!,
        });
      }
      const tables = await ec2(cell).send(new DescribeRouteTablesCommand({}));
      for (const table of tables.RouteTables ?? []) {
        routes[table.RouteTableId!] = (table.Routes ?? [])
          .map(r => `${r.DestinationCidrBlock} → ${r.VpcPeeringConnectionId ?? r.GatewayId}`)
          .sort();
      }
    }
    return { peerings: [...peerings.values()].sort((a, b) => a.id.localeCompare(b.id)), routes };
  }

  /** The mesh is complete: one active peering per pair, every table routes every peer CIDR through it. */
  async function expectFullMesh(meshVpcs: MeshVpc[], preExisting: PeeringView[]) {
    const now = await snapshot();
    const mesh = now.peerings.filter(p => !preExisting.some(e => e.id === p.id));
    const n = meshVpcs.length;
    expect(mesh).toHaveLength((n * (n - 1)) / 2);
    expect(mesh.every(p => p.status === 'active')).toBe(true);
    const pcxOf = (a: string, b: string) =>
      mesh.filter(p => (p.requester === a && p.accepter === b) || (p.requester === b && p.accepter === a));
    for (const vpc of meshVpcs) {
      const expected = [`${vpc.cidr} → local`];
      for (const peer of meshVpcs.filter(v => v !== vpc)) {
        const pcx = pcxOf(vpc.vpcId, peer.vpcId);
        expect(pcx).toHaveLength(1);
        expected.push(`${peer.cidr} → ${pcx[0].id}`);
      }
      const kept = (start.routes[vpc.routeTableIds[0]] ?? []).filter(r => !r.endsWith('→ local'));
      expect(now.routes[vpc.routeTableIds[0]]).toEqual([...expected, ...kept].sort());
    }
    return now;
  }

  const cellName = (cell: CellRef) => `${accountOf(cell.accountId).name}/${cell.region}`;

  beforeAll(async () => {
    moto = await startMotoServer();
    factory = new AwsClientFactory({
      endpoint: moto.endpoint,
      hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      maxAttempts: 1,
    });
    executors = executorRegistry(meshExecutors({ clients: factory, accountOf, pollIntervalMs: 10 }));

    const cidrs = planCidrs({
      supernet: '10.64.0.0/12',
      prefixLength: 16,
      existing: [],
      newCells: cells.map(cellName),
    });
    if (cidrs.unallocated.length > 0) throw new Error(`CIDR plan left cells out: ${JSON.stringify(cidrs.unallocated)}`);
    vpcs = [];
    for (const [i, cell] of cells.entries()) {
      vpcs.push(await createVpc(cell, cellName(cell), cidrs.allocations[i].cidr));
    }

    // Pre-existing, not the fabric's: a hand-made peering from the first mesh VPC to an
    // outside VPC, with its route. Apply counts it against the quota; destroy leaves it.
    const first = vpcs[0];
    const outside = await ec2(cells[0]).send(new CreateVpcCommand({ CidrBlock: '192.168.0.0/16' }));
    const handMade = await ec2(cells[0]).send(
      new CreateVpcPeeringConnectionCommand({
        VpcId: first.vpcId,
        PeerVpcId: outside.Vpc!.VpcId!,
        PeerOwnerId: first.accountId,
        PeerRegion: first.region,
      }),
    );
    const handMadeId = handMade.VpcPeeringConnection!.VpcPeeringConnectionId!;
    await ec2(cells[0]).send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: handMadeId }));
    await ec2(cells[0]).send(
      new CreateRouteCommand({
        RouteTableId: first.routeTableIds[0],
        DestinationCidrBlock: '192.168.0.0/16',
        VpcPeeringConnectionId: handMadeId,
      }),
    );
    start = await snapshot();
  });

  afterAll(async () => {
    factory?.destroy();
    await moto?.stop();
  });

  it('applies the full mesh: 15 active peerings across accounts and regions, routes on both sides, nothing else', async () => {
    const existingPeerings = await lookupMeshPeerings({ clients: factory, accountOf }, vpcs);
    expect(start.peerings).toHaveLength(1);
    expect(existingPeerings).toEqual([
      expect.objectContaining({ requesterVpcId: vpcs[0].vpcId, status: 'active', managedByFabric: false }),
    ]);
    const mesh = planMesh({ vpcs, existingPeerings, ownerTag: 'platform-team' });
    expect(mesh.planned).toHaveLength(15);
    expect(mesh.planned.filter(p => p.requester.accountId !== p.accepter.accountId)).toHaveLength(12);
    expect(mesh.planned.filter(p => p.requester.region !== p.accepter.region)).toHaveLength(9);
    meshPlan = mesh.plan;

    const result = await applyPlan(meshPlan, { executors, checkpoints: meshCheckpoints });
    expect(result.steps.filter(s => s.status !== 'done')).toEqual([]);
    expect(result.status).toBe('done');

    await expectFullMesh(vpcs, start.peerings);
    const after = await snapshot();
    // Nothing else: every other route table (the default VPCs', the outside VPC's) is as it was.
    const meshTables = new Set(vpcs.flatMap(v => v.routeTableIds));
    const others = (routes: Record<string, string[]>) =>
      Object.fromEntries(Object.entries(routes).filter(([table]) => !meshTables.has(table)));
    expect(others(after.routes)).toEqual(others(start.routes));
    expect(Object.keys(after.routes).sort()).toEqual(Object.keys(start.routes).sort());

    // Tags on a created peering, and DNS resolution on both sides.
    const create = result.steps.find(s => s.key === mesh.planned[0].createStepKey)!;
    const pcxId = create.output!.VpcPeeringConnectionId as string;
    const requesterCell = { accountId: mesh.planned[0].requester.accountId, region: mesh.planned[0].requester.region };
    const seen = await ec2(requesterCell).send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [pcxId] }));
    const pcx = seen.VpcPeeringConnections![0];
    expect(Object.fromEntries(pcx.Tags!.map(t => [t.Key, t.Value]))).toEqual({
      [FABRIC_TAG_KEYS.plan]: meshPlan.id,
      [FABRIC_TAG_KEYS.owner]: 'platform-team',
      [FABRIC_TAG_KEYS.managedBy]: 'cloudspectra-fabric',
      [FABRIC_TAG_KEYS.step]: mesh.planned[0].createStepKey,
    });
    expect(pcx.RequesterVpcInfo?.PeeringOptions?.AllowDnsResolutionFromRemoteVpc).toBe(true);
    expect(pcx.AccepterVpcInfo?.PeeringOptions?.AllowDnsResolutionFromRemoteVpc).toBe(true);
  });

  it('creates nothing on a second apply: every step is found by checkpoint, or by probe when re-planned', async () => {
    const before = await snapshot();
    const again = await applyPlan(meshPlan, { executors, checkpoints: meshCheckpoints });
    expect(new Set(again.steps.map(s => s.via))).toEqual(new Set(['checkpoint']));

    // The same steps under a new plan id with no checkpoints: the probes find everything.
    const probed = await applyPlan(
      { ...meshPlan, id: 'mesh-replanned' },
      { executors, checkpoints: new InMemoryCheckpointStore() },
    );
    expect(probed.status).toBe('done');
    expect(new Set(probed.steps.map(s => s.via))).toEqual(new Set(['probe']));
    expect(probed.steps.every(s => s.output?.created === false)).toBe(true);

    // Planning again from AWS state: every pair is already peered.
    const replanned = planMesh({
      vpcs,
      existingPeerings: await lookupMeshPeerings({ clients: factory, accountOf }, vpcs),
      ownerTag: 'platform-team',
    });
    expect(replanned.planned).toEqual([]);
    expect(replanned.existing).toHaveLength(15);
    expect(replanned.plan.steps).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('adds a 7th cell with only its 6 new peerings, and removes them again', async () => {
    const cell = { accountId: '222222222222', region: 'us-west-2' };
    const cidr = planCidrs({ supernet: '10.64.0.0/12', prefixLength: 16, existing: vpcs, newCells: ['ml-research/us-west-2/b'] })
      .allocations[0].cidr;
    expect(cidr).toBe('10.70.0.0/16');
    const seventh = await createVpc(cell, 'ml-research/us-west-2/b', cidr);
    const all = [...vpcs, seventh];

    const mesh = planMesh({
      vpcs: all,
      existingPeerings: await lookupMeshPeerings({ clients: factory, accountOf }, all),
      ownerTag: 'platform-team',
    });
    expect(mesh.planned).toHaveLength(6);
    expect(mesh.planned.every(p => [p.requester.vpcId, p.accepter.vpcId].includes(seventh.vpcId))).toBe(true);
    expect(mesh.plan.steps.filter(s => s.type === MESH_STEP_TYPES.createPeering)).toHaveLength(6);

    const checkpoints = new InMemoryCheckpointStore();
    expect((await applyPlan(mesh.plan, { executors, checkpoints })).status).toBe('done');
    await expectFullMesh(all, start.peerings);

    const { plan: destroy, unsettled } = await buildDestroyPlan(mesh.plan, { executors, checkpoints });
    expect(unsettled).toEqual([]);
    expect(destroy.steps.filter(s => s.type === MESH_STEP_TYPES.deletePeering)).toHaveLength(6);
    expect((await applyPlan(destroy, { executors, checkpoints })).status).toBe('done');
    await expectFullMesh(vpcs, start.peerings);
    await ec2(cell).send(new DeleteVpcCommand({ VpcId: seventh.vpcId }));
  });

  it('destroy leaves exactly the starting resources', async () => {
    const { plan: destroy, unsettled } = await buildDestroyPlan(meshPlan, { executors, checkpoints: meshCheckpoints });
    expect(unsettled).toEqual([]);
    // Routes first (newest first), then the peerings; nothing for accept, wait or DNS options.
    expect(destroy.steps.filter(s => s.type === MESH_STEP_TYPES.deleteRoute)).toHaveLength(30);
    expect(destroy.steps.filter(s => s.type === MESH_STEP_TYPES.deletePeering)).toHaveLength(15);
    expect(destroy.steps[0].type).toBe(MESH_STEP_TYPES.deleteRoute);
    const result = await applyPlan(destroy, { executors, checkpoints: meshCheckpoints });
    expect(result.status).toBe('done');
    expect(await snapshot()).toEqual(start);

    // Destroying again changes nothing.
    const again = await applyPlan(destroy, { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(new Set(again.steps.map(s => s.via))).toEqual(new Set(['probe']));
    expect(await snapshot()).toEqual(start);
  });

  it('resumes after crashes (a lost checkpoint, a lost response) with no duplicate peering or route', async () => {
    const mesh = planMesh({
      vpcs,
      existingPeerings: await lookupMeshPeerings({ clients: factory, accountOf }, vpcs),
      ownerTag: 'platform-team',
    });
    expect(mesh.planned).toHaveLength(15);

    // Crash 1: the store dies on put 41, the `done` of the 4th pair's CreateVpcPeeringConnection
    // (13 puts per pair: create 2, accept 2, wait 1 as moto is active at once, DNS 2 + 2, routes 2 + 2).
    class CrashingStore extends InMemoryCheckpointStore {
      puts = 0;
      lost?: { key: string; checkpoint: StepCheckpoint };
      async put(planId: string, key: string, checkpoint: StepCheckpoint) {
        this.puts += 1;
        if (this.puts === 41) {
          this.lost = { key, checkpoint };
          throw new Error('the database went away');
        }
        return super.put(planId, key, checkpoint);
      }
    }
    const store = new CrashingStore();
    await expect(applyPlan(mesh.plan, { executors, checkpoints: store })).rejects.toThrow(CheckpointStoreError);
    expect(store.lost).toMatchObject({ key: mesh.planned[3].createStepKey, checkpoint: { status: 'done' } });
    expect((await snapshot()).peerings).toHaveLength(1 + 4);

    // Crash 2: the response of a CreateRoute is lost after AWS made the route.
    const routeKey = mesh.plan.steps.filter(s => s.type === MESH_STEP_TYPES.createRoute)[20].key;
    const createRoute = executors.get(MESH_STEP_TYPES.createRoute)!;
    let thrown = false;
    const flaky: StepExecutor = {
      ...createRoute,
      async run(ctx) {
        const output = await createRoute.run(ctx);
        if (ctx.step.key === routeKey && !thrown) {
          thrown = true;
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        }
        return output;
      },
    };
    const withFlaky = executorRegistry([...[...executors.values()].filter(e => e !== createRoute), flaky]);
    const second = await applyPlan(mesh.plan, { executors: withFlaky, checkpoints: store });
    expect(second.status).toBe('failed');
    expect(second.failedStep).toBe(routeKey);
    expect(second.steps.find(s => s.key === routeKey)?.error).toMatch(/^TimeoutError: socket hang up \(ec2:CreateRoute in \d{12}\/us-/);
    const resumedCreate = second.steps.find(s => s.key === mesh.planned[3].createStepKey)!;
    expect(resumedCreate).toMatchObject({ via: 'probe', output: { created: true } });

    const third = await applyPlan(mesh.plan, { executors: withFlaky, checkpoints: store });
    expect(third.status).toBe('done');
    expect(third.steps.find(s => s.key === routeKey)).toMatchObject({ via: 'probe', output: { created: true } });
    await expectFullMesh(vpcs, start.peerings);

    // Both adopted resources count as the plan's own: destroy removes everything it made.
    const { plan: destroy, unsettled } = await buildDestroyPlan(mesh.plan, { executors, checkpoints: store });
    expect(unsettled).toEqual([]);
    expect(destroy.steps).toHaveLength(45);
    expect((await applyPlan(destroy, { executors, checkpoints: store })).status).toBe('done');
    expect(await snapshot()).toEqual(start);
  });
});
