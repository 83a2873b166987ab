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

describe('mesh plans on the demo estate (plan-only)', () => {
  it('plans the full mesh, shows every step before anything changes, and refuses to apply in plan-only mode', async () => {
    const server = await startFabric();
    const res = await request(server).post('/api/fabric/mesh/plan').send({
      traffic: [{ from: '111111111111/us-east-1/use1-az4', to: '222222222222/us-west-2/usw2-az1', gbPerMonth: 1000 }],
    });
    expect(res.status).toBe(201);
    const record = res.body;
    // Nine VPCs (three GPU accounts × three regions): 9·8/2 pairs.
    expect(record.details.vpcs).toBe(9);
    expect(record.details.planned).toHaveLength(36);
    expect(record.details.refused).toEqual([]);
    expect(record.details.cost.peering.totalUsd).toBeLessThan(record.details.cost.transitGateway.totalUsd);
    const creates = record.plan.steps.filter((s: any) => s.type === 'ec2:CreateVpcPeeringConnection');
    expect(creates).toHaveLength(36);

    const view = await request(server).get(`/api/fabric/plans/${record.id}`);
    expect(view.status).toBe(200);
    expect(view.body.status).toBe('planned');
    expect(view.body.steps.every((s: any) => s.status === 'pending')).toBe(true);

    const apply = await request(server).post(`/api/fabric/plans/${record.id}/apply`);
    expect(apply.status).toBe(409);
    expect(apply.body.error.message).toContain('plan-only');
    const after = await request(server).get(`/api/fabric/plans/${record.id}`);
    expect(after.body.status).toBe('planned');
  });

  it('names a malformed traffic entry and plans nothing', async () => {
    const server = await startFabric();
    const res = await request(server)
      .post('/api/fabric/mesh/plan')
      .send({ traffic: [{ from: 'us-east-1a', to: '222222222222/us-west-2/usw2-az1', gbPerMonth: 5 }] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('traffic.0.from');
  });

  it('requires fabric.mesh.manage', async () => {
    const server = await startFabric(AuthorizeResult.DENY);
    const res = await request(server).post('/api/fabric/mesh/plan').send({});
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('fabric.mesh.manage');
  });

  it('answers 404 for an unknown plan and 400 for a malformed id', async () => {
    const server = await startFabric();
    expect((await request(server).get('/api/fabric/plans/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await request(server).post('/api/fabric/plans/nope/apply')).status).toBe(400);
  });
});
