import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { fabricPlugin } from '../plugin';

jest.setTimeout(60_000);

async function startFabric(permission: AuthorizeResult.ALLOW | AuthorizeResult.DENY = AuthorizeResult.ALLOW) {
  const { server } = await startTestBackend({
    features: [fabricPlugin, mockServices.permissions.factory({ result: permission })],
  });
  return server;
}

const trainingRun = {
  entityRef: 'component:default/llm-pretraining',
  intent: 'tightly-coupled',
  gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
};

describe('placements REST API on the demo estate', () => {
  it('plans a tightly-coupled H100 gang in one AZ-ID, compiles it, and stores it', async () => {
    const server = await startFabric();
    const res = await request(server).post('/api/fabric/placements').send(trainingRun);
    expect(res.status).toBe(201);
    const record = res.body;
    expect(record.placement.status).toBe('placed');
    expect(record.placement.totals.gpus).toBe(16);
    expect(new Set(record.placement.chosen.map((c: any) => c.azId)).size).toBe(1);
    expect(record.placement.reasons.length).toBeGreaterThan(0);
    expect(record.inventorySource).toBe('demo');
    // The demo hub's cell is the hub Karpenter's (EC2NodeClass); member cells are the fabric provisioner's.
    const cells = [...new Set(record.placement.chosen.map((c: any) => c.accountId))] as string[];
    const kinds = record.artifacts.objects.map((o: any) => o.kind);
    expect(kinds.filter((k: string) => k === 'NodePool')).toHaveLength(cells.length);
    expect(kinds.filter((k: string) => k === 'EC2NodeClass')).toHaveLength(cells.includes('111111111111') ? 1 : 0);
    expect(kinds.filter((k: string) => k === 'FabricNodeClass')).toHaveLength(cells.filter(a => a !== '111111111111').length);
    expect(kinds.indexOf('NodePool')).toBe(kinds.length - cells.length);
    expect(record.artifacts.yaml).toContain('kind: NodePool');
    expect(record.artifacts.yaml).toContain(record.placement.chosen[0].azId);

    const byId = await request(server).get(`/api/fabric/placements/${record.id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(record);

    const listed = await request(server).get(
      `/api/fabric/placements?entityRef=${encodeURIComponent(trainingRun.entityRef)}`,
    );
    expect(listed.body.items.map((r: any) => r.id)).toEqual([record.id]);
    const other = await request(server).get('/api/fabric/placements?entityRef=component:default/other');
    expect(other.body.items).toEqual([]);
  });

  it('answers a gang too big for any AZ-ID with the largest size that fits now', async () => {
    const server = await startFabric();
    const res = await request(server)
      .post('/api/fabric/placements')
      .send({ ...trainingRun, gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 4096 } });
    expect(res.status).toBe(201);
    expect(res.body.placement.status).toBe('cannot-place-now');
    expect(res.body.placement.largestFeasibleGpus).toBeGreaterThan(0);
    expect(res.body.placement.largestFeasibleGpus % 8).toBe(0);
    expect(res.body.placement.chosen).toEqual([]);
    expect(res.body.artifacts).toBeUndefined();
  });

  it('refuses a gang that asks to span AZ-IDs, saying why, and stores nothing', async () => {
    const server = await startFabric();
    const res = await request(server).post('/api/fabric/placements').send({ ...trainingRun, minAzIds: 2 });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/EFA/);
    const listed = await request(server).get('/api/fabric/placements');
    expect(listed.body.items).toEqual([]);
  });

  it('names every bad field of a malformed request and stores nothing', async () => {
    const server = await startFabric();
    const res = await request(server)
      .post('/api/fabric/placements')
      .send({ entityRef: 'llm-pretraining', intent: 'fast', gpu: { family: 'p5', totalGpus: 0 } });
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.error.message).toContain('entityRef');
    expect(res.body.error.message).toContain('intent');
    expect(res.body.error.message).toContain('gpu.totalGpus');
    const listed = await request(server).get('/api/fabric/placements');
    expect(listed.body.items).toEqual([]);
  });

  it('rejects a malformed placement id and answers 404 for an unknown one', async () => {
    const server = await startFabric();
    expect((await request(server).get('/api/fabric/placements/not-a-uuid')).status).toBe(400);
    const missing = await request(server).get('/api/fabric/placements/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
  });

  it('provisions from the inventory snapshot the placement was planned on, not a newer one', async () => {
    const server = await startFabric();
    const record = (await request(server).post('/api/fabric/placements').send(trainingRun)).body;
    expect((await request(server).post('/api/fabric/refresh')).status).toBe(200);
    const newest = (await request(server).get('/api/fabric/estate')).body.snapshot;
    expect(newest).not.toBe(record.inventorySnapshot);

    const planned = await request(server).post(`/api/fabric/placements/${record.id}/provision`);
    expect(planned.status).toBe(201);
    expect(planned.body.details.inventorySnapshot).toBe(record.inventorySnapshot);
    // The plan applies exactly the objects the person reviewed with the placement.
    const applied = planned.body.plan.steps.at(-1).input.objects;
    expect(applied.map((o: any) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name }))).toEqual(record.artifacts.objects);
  });

  it('answers 409 telling the person to plan again once the reviewed snapshot is pruned', async () => {
    const server = await startFabric();
    const record = (await request(server).post('/api/fabric/placements').send(trainingRun)).body;
    // The store keeps the newest 20 snapshots: 20 discoveries later the placement's is gone.
    for (let i = 0; i < 20; i++) expect((await request(server).post('/api/fabric/refresh')).status).toBe(200);
    const res = await request(server).post(`/api/fabric/placements/${record.id}/provision`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain(`inventory snapshot ${record.inventorySnapshot}`);
    expect(res.body.error.message).toContain('plan the placement again');
  });

  it('plans the subnets and security group of each cell given a network, and only for cells of the placement', async () => {
    const server = await startFabric();
    // 128 H100s: the hub's capacity block and on-demand, and research's on-demand, in one AZ-ID.
    const bigRun = { ...trainingRun, gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 128 } };
    const record = (await request(server).post('/api/fabric/placements').send(bigRun)).body;
    expect(record.artifacts.objects.map((o: any) => o.kind)).toEqual(['EC2NodeClass', 'FabricNodeClass', 'NodePool', 'NodePool']);
    const member = record.placement.chosen.find((c: any) => c.accountId !== '111111111111');
    const azId = record.placement.chosen[0].azId;
    const planned = await request(server)
      .post(`/api/fabric/placements/${record.id}/provision`)
      .send({ networks: [{ accountId: member.accountId, region: member.region, vpcId: 'vpc-0123456789abcdef0', subnetCidrs: { [azId]: '10.1.0.0/20' } }] });
    expect(planned.status).toBe(201);
    const steps = planned.body.plan.steps;
    expect(steps.map((s: any) => s.type)).toEqual([
      'cells:EnsureSubnet',
      'cells:EnsureSecurityGroup',
      'ec2:AuthorizeSecurityGroupSelfReference',
      'kubernetes:ServerSideApply',
    ]);
    expect(steps[0].cell).toEqual({ accountId: member.accountId, region: member.region });
    expect(steps[0].input).toMatchObject({ VpcId: 'vpc-0123456789abcdef0', AvailabilityZoneId: azId, CidrBlock: '10.1.0.0/20' });
    // The hub's cell was given no network: the plan says its selectors need tagged resources.
    expect(planned.body.details.cellsWithoutNetwork.map((c: any) => c.cell)).toEqual([`111111111111/${member.region}`]);

    const wrongCell = await request(server)
      .post(`/api/fabric/placements/${record.id}/provision`)
      .send({ networks: [{ accountId: '999999999999', region: 'eu-west-1', vpcId: 'vpc-0123456789abcdef0' }] });
    expect(wrongCell.status).toBe(400);
    expect(wrongCell.body.error.message).toContain('has no cell 999999999999/eu-west-1');
    const badVpc = await request(server)
      .post(`/api/fabric/placements/${record.id}/provision`)
      .send({ networks: [{ accountId: member.accountId, region: member.region, vpcId: 'my-vpc' }] });
    expect(badVpc.status).toBe(400);
    expect(badVpc.body.error.message).toContain('vpcId');
  });

  it('requires fabric.placement.create to plan', async () => {
    const server = await startFabric(AuthorizeResult.DENY);
    const res = await request(server).post('/api/fabric/placements').send(trainingRun);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('fabric.placement.create');
  });
});
