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

const island = {
  id: 'llm-use1-az4',
  region: 'us-east-1',
  azId: 'use1-az4',
  networkAccountId: '444444444444',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  vpcCidr: '10.80.0.0/16',
  subnetCidr: '10.80.4.0/22',
  memberAccountIds: ['111111111111', '222222222222'],
  instanceTypes: ['p5.48xlarge'],
};

describe('EFA training islands on the demo estate (plan-only)', () => {
  it('plans an island in one AZ-ID: subnet, EFA security group, placement group, RAM share, launch templates, Karpenter', async () => {
    const server = await startFabric();
    const res = await request(server).post('/api/fabric/islands').send(island);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'island', subject: 'llm-use1-az4', status: 'planned' });
    const types = res.body.plan.steps.map((s: any) => s.type);
    expect(types).toEqual(
      expect.arrayContaining(['ec2:CreateSubnet', 'ec2:CreateSecurityGroup', 'ec2:CreatePlacementGroup']),
    );
    const subnet = res.body.plan.steps.find((s: any) => s.type === 'ec2:CreateSubnet');
    expect(subnet.cell).toEqual({ accountId: '444444444444', region: 'us-east-1' });
    expect(JSON.stringify(subnet.input)).toContain('use1-az4');
    // One launch template per member account, in that member's own cell.
    const templates = res.body.plan.steps.filter((s: any) => /LaunchTemplate/.test(s.type));
    expect(templates.map((s: any) => s.cell.accountId).sort()).toEqual(['111111111111', '222222222222']);

    const listed = await request(server).get('/api/fabric/plans?kind=island');
    expect(listed.body.items.map((p: any) => p.id)).toEqual([res.body.id]);
    const view = await request(server).get(`/api/fabric/plans/${res.body.id}`);
    expect(view.body.steps.every((s: any) => s.status === 'pending')).toBe(true);
    const apply = await request(server).post('/api/fabric/islands/llm-use1-az4/apply');
    expect(apply.status).toBe(409);
    expect(apply.body.error.message).toContain('plan-only');
  });

  it('derives the island from a tightly-coupled placement', async () => {
    const server = await startFabric();
    const placed = await request(server)
      .post('/api/fabric/placements')
      .send({ entityRef: 'component:default/llm-pretraining', intent: 'tightly-coupled', gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 } });
    expect(placed.body.placement.status).toBe('placed');
    const azId = placed.body.placement.chosen[0].azId;
    const res = await request(server).post('/api/fabric/islands').send({
      placementId: placed.body.id,
      id: 'pretrain',
      networkAccountId: '444444444444',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      vpcCidr: '10.80.0.0/16',
      subnetCidr: '10.80.8.0/22',
    });
    expect(res.status).toBe(201);
    expect(res.body.details.island.azId).toBe(azId);
  });

  it('refuses an island for a placement that spans AZ-IDs, with the EFA reason, and stores nothing', async () => {
    const server = await startFabric();
    const spread = await request(server)
      .post('/api/fabric/placements')
      .send({ entityRef: 'component:default/batch-embeddings', intent: 'throughput', gpu: { family: 'p5', totalGpus: 64 } });
    expect(new Set(spread.body.placement.chosen.map((c: any) => c.azId)).size).toBeGreaterThan(1);
    const res = await request(server).post('/api/fabric/islands').send({
      placementId: spread.body.id,
      networkAccountId: '444444444444',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      subnetCidr: '10.80.12.0/22',
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/EFA traffic is not routable across AZs/);
    expect((await request(server).delete('/api/fabric/islands/batch')).status).toBe(404);
  });

  it('names what is wrong with a bad island request', async () => {
    const server = await startFabric();
    const res = await request(server)
      .post('/api/fabric/islands')
      .send({ ...island, azId: 'us-east-1a', instanceTypes: ['g6.xlarge'] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/AZ-ID/);
  });

  it('has nothing to destroy before the island was applied', async () => {
    const server = await startFabric();
    await request(server).post('/api/fabric/islands').send(island);
    const res = await request(server).delete('/api/fabric/islands/llm-use1-az4');
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('nothing the fabric created');
  });

  it('requires fabric.island.manage', async () => {
    const server = await startFabric(AuthorizeResult.DENY);
    const res = await request(server).post('/api/fabric/islands').send(island);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('fabric.island.manage');
  });
});
