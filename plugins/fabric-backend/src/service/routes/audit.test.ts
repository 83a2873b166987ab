import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { fabricPlugin } from '../../plugin';

jest.setTimeout(60_000);

/**
 * Every mutation leaves an audit event with its outcome — success, failure, or a refusal
 * by the permission policy — through Backstage's auditor service.
 */
describe('audit events', () => {
  type Recorded = { eventId: string; meta?: Record<string, unknown>; outcome?: 'success' | 'fail'; error?: Error };

  async function startFabric(allowed: Set<string>) {
    const events: Recorded[] = [];
    const auditor = mockServices.auditor.mock({
      createEvent: jest.fn(async options => {
        const recorded: Recorded = { eventId: options.eventId, meta: options.meta as Record<string, unknown> };
        events.push(recorded);
        return {
          success: jest.fn(async () => {
            recorded.outcome = 'success';
          }),
          fail: jest.fn(async ({ error }: { error: Error }) => {
            recorded.outcome = 'fail';
            recorded.error = error;
          }),
        };
      }),
    });
    const permissions = mockServices.permissions.mock({
      authorize: async requests =>
        requests.map(r => ({
          result: allowed.has(r.permission.name) ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        })),
    });
    const { server } = await startTestBackend({ features: [fabricPlugin, permissions.factory, auditor.factory] });
    return { server, events };
  }

  it('records a successful mesh plan as a success', async () => {
    const { server, events } = await startFabric(new Set(['fabric.capacity.read', 'fabric.mesh.manage']));
    const res = await request(server).post('/api/fabric/mesh/plan').send({});
    expect(res.status).toBe(201);
    expect(events).toEqual([expect.objectContaining({ eventId: 'mesh-plan', outcome: 'success' })]);
  });

  it('records a refused apply (plan-only mode) as a failure with the reason', async () => {
    const { server, events } = await startFabric(new Set(['fabric.capacity.read', 'fabric.mesh.manage']));
    const planned = await request(server).post('/api/fabric/mesh/plan').send({});
    const res = await request(server).post(`/api/fabric/plans/${planned.body.id}/apply`);
    expect(res.status).toBe(409);
    const apply = events.find(e => e.eventId === 'plan-apply');
    expect(apply).toMatchObject({ outcome: 'fail', meta: { plan: planned.body.id, kind: 'mesh' } });
    expect(apply?.error?.message).toMatch(/plan-only/);
  });

  it('records a permission refusal (403) with the route and the permission it lacked', async () => {
    const { server, events } = await startFabric(new Set(['fabric.capacity.read']));
    const res = await request(server).post('/api/fabric/mesh/plan').send({ traffic: 'not even valid' });
    expect(res.status).toBe(403);
    expect(events).toEqual([
      expect.objectContaining({
        eventId: 'permission-refused',
        outcome: 'fail',
        meta: { method: 'POST', route: '/api/fabric/mesh/plan', required: ['fabric.mesh.manage'] },
      }),
    ]);
    expect(events[0].error?.name).toBe('NotAllowedError');
  });

  it('records a refusal that depends on the plan looked up (island manager applying a mesh plan)', async () => {
    const allowed = new Set(['fabric.capacity.read', 'fabric.mesh.manage']);
    const { server, events } = await startFabric(allowed);
    const planned = await request(server).post('/api/fabric/mesh/plan').send({});
    allowed.delete('fabric.mesh.manage');
    allowed.add('fabric.island.manage');
    const res = await request(server).post(`/api/fabric/plans/${planned.body.id}/apply`);
    expect(res.status).toBe(403);
    expect(events.at(-1)).toMatchObject({
      eventId: 'permission-refused',
      outcome: 'fail',
      meta: { required: ['fabric.mesh.manage'] },
    });
  });
});
