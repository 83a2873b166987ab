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
    expect(record.artifacts.objects.map((o: any) => o.kind).sort()).toEqual(['EC2NodeClass', 'NodePool']);
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

  it('requires fabric.placement.create to plan', async () => {
    const server = await startFabric(AuthorizeResult.DENY);
    const res = await request(server).post('/api/fabric/placements').send(trainingRun);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('fabric.placement.create');
  });
});
