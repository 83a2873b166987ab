import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { fabricPlugin } from '../../plugin';

jest.setTimeout(60_000);

/** A backend whose permission policy allows exactly the permissions in `allowed`. */
async function startFabric(allowed: Set<string>) {
  const permissions = mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(r => ({
        result: allowed.has(r.permission.name) ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      })),
  });
  const { server } = await startTestBackend({ features: [fabricPlugin, permissions.factory] });
  return server;
}

const unknownPlanId = '00000000-0000-4000-8000-000000000000';

describe('authorization comes before any lookup or parsing', () => {
  it('refuses a caller without an apply permission before looking the plan up or checking its id', async () => {
    const server = await startFabric(new Set(['fabric.capacity.read']));
    const unknown = await request(server).post(`/api/fabric/plans/${unknownPlanId}/apply`);
    expect(unknown.status).toBe(403);
    expect(unknown.body.error.message).toContain('fabric.mesh.manage');
    const malformed = await request(server).post('/api/fabric/plans/not-a-uuid/apply');
    expect(malformed.status).toBe(403);
  });

  it('refuses a malformed body to a platform-only route with 403, not 400', async () => {
    const server = await startFabric(new Set(['fabric.capacity.read']));
    const mesh = await request(server)
      .post('/api/fabric/mesh/plan')
      .send({ traffic: [{ from: 'us-east-1a', to: 'nowhere', gbPerMonth: -1 }] });
    expect(mesh.status).toBe(403);
    const island = await request(server).post('/api/fabric/islands').send({ placementId: 'not-a-uuid' });
    expect(island.status).toBe(403);
    const workload = await request(server).post('/api/fabric/workloads').send({ name: 'Not A Label' });
    expect(workload.status).toBe(403);
    const provision = await request(server).post('/api/fabric/placements/not-a-uuid/provision');
    expect(provision.status).toBe(403);
  });

  it('lets an island manager look up a plan, but not apply one that changes the mesh', async () => {
    const allowed = new Set(['fabric.capacity.read', 'fabric.mesh.manage']);
    const server = await startFabric(allowed);
    const mesh = await request(server).post('/api/fabric/mesh/plan').send({});
    expect(mesh.status).toBe(201);

    allowed.delete('fabric.mesh.manage');
    allowed.add('fabric.island.manage');
    expect((await request(server).post(`/api/fabric/plans/${unknownPlanId}/apply`)).status).toBe(404);
    const apply = await request(server).post(`/api/fabric/plans/${mesh.body.id}/apply`);
    expect(apply.status).toBe(403);
    expect(apply.body.error.message).toContain('fabric.mesh.manage');
    expect(apply.body.error.message).not.toContain('fabric.island.manage');
    const after = await request(server).get(`/api/fabric/plans/${mesh.body.id}`);
    expect(after.body.status).toBe('planned');
  });
});
