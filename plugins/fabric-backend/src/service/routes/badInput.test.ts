import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { fabricPlugin } from '../../plugin';

jest.setTimeout(60_000);

const EVERYTHING = new Set([
  'fabric.capacity.read',
  'fabric.placement.create',
  'fabric.mesh.manage',
  'fabric.island.manage',
]);

async function startFabric(allowed: Set<string> = EVERYTHING) {
  const permissions = mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(r => ({ result: allowed.has(r.permission.name) ? AuthorizeResult.ALLOW : AuthorizeResult.DENY })),
  });
  const { server } = await startTestBackend({ features: [fabricPlugin, permissions.factory] });
  return server;
}

/** A JSON body sent as written: numbers such as 1e999 that JSON.stringify cannot produce. */
const raw = (server: any, path: string, body: string, type = 'application/json') =>
  request(server).post(path).set('Content-Type', type).send(body);

async function storedPlans(server: any) {
  return (await request(server).get('/api/fabric/plans')).body.items;
}

/**
 * Bad input gets a clear 4xx naming the field, and changes nothing: each case here was a
 * 500 or a stored record before.
 */
describe('bad input is a 4xx that names the field and stores nothing', () => {
  const trainingRun = {
    entityRef: 'component:default/llm-pretraining',
    intent: 'tightly-coupled',
    gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
  };

  it('refuses numbers that are not finite or beyond any sense, instead of a 500 or a null', async () => {
    const server = await startFabric();
    const huge = await request(server)
      .post('/api/fabric/placements')
      .send({ ...trainingRun, intent: 'throughput', dataMovement: [{ gbPerDay: 1e308, region: 'us-east-1' }] });
    expect(huge.status).toBe(400);
    expect(huge.body.error.message).toContain('dataMovement.0.gbPerDay');

    const infinite = await raw(
      server,
      '/api/fabric/placements',
      '{"entityRef":"component:default/llm-pretraining","intent":"throughput","gpu":{"family":"g6","totalGpus":8},"maxHourlyPrice":1e999}',
    );
    expect(infinite.status).toBe(400);
    expect(infinite.body.error.message).toMatch(/maxHourlyPrice.*finite/);

    const mesh = await raw(
      server,
      '/api/fabric/mesh/plan',
      '{"traffic":[{"from":"111111111111/us-east-1/use1-az4","to":"222222222222/us-west-2/usw2-az1","gbPerMonth":1e999}]}',
    );
    expect(mesh.status).toBe(400);
    expect(mesh.body.error.message).toMatch(/traffic\.0\.gbPerMonth.*finite/);

    const placements = await request(server).get(
      `/api/fabric/placements?entityRef=${encodeURIComponent(trainingRun.entityRef)}`,
    );
    expect(placements.body.items).toEqual([]);
    expect(await storedPlans(server)).toEqual([]);
  });

  it('checks the options of an island from a placement as strictly as a spec', async () => {
    const server = await startFabric();
    const placed = await request(server).post('/api/fabric/placements').send(trainingRun);
    expect(placed.body.placement.status).toBe('placed');
    const from = {
      placementId: placed.body.id,
      networkAccountId: '444444444444',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      subnetCidr: '10.80.16.0/22',
    };
    for (const [extra, field] of [
      [{ capacityBlockIds: 5 }, 'capacityBlockIds'],
      [{ capacityBlockIds: {} }, 'capacityBlockIds'],
      [{ capacityBlockIds: true }, 'capacityBlockIds'],
      [{ unknownField: 1 }, 'unknownField'],
      [{ azId: 'us-east-1a' }, 'azId'],
      [{ networkAccountId: 44 }, 'networkAccountId'],
    ] as const) {
      const res = await request(server).post('/api/fabric/islands').send({ ...from, ...extra });
      expect({ status: res.status, field }).toEqual({ status: 400, field });
      expect(res.body.error.message).toContain(field);
    }
    expect(await storedPlans(server)).toEqual([]);
    // The same options, well-formed, plan the island.
    expect((await request(server).post('/api/fabric/islands').send(from)).status).toBe(201);
  });

  it('answers 415 for a body that is not JSON, instead of reading it as empty', async () => {
    const server = await startFabric();
    const res = await raw(server, '/api/fabric/mesh/plan', '{}', 'text/plain');
    expect(res.status).toBe(415);
    expect(res.body.error).toEqual({
      name: 'UnsupportedMediaTypeError',
      message: 'Request body must be application/json, not text/plain',
    });
    expect(await storedPlans(server)).toEqual([]);
  });

  it('refuses POST /mesh/apply in plan-only mode before planning, so nothing is stored', async () => {
    const server = await startFabric();
    const res = await request(server).post('/api/fabric/mesh/apply').send({});
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('plan-only');
    expect(await storedPlans(server)).toEqual([]);
  });

  it('answers malformed JSON with 400 and a body over 1 MB with 413, never echoing the body', async () => {
    const server = await startFabric();
    const malformed = await raw(server, '/api/fabric/mesh/plan', '{"traffic": [secret-token-123');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/^Request body is not valid JSON: /);
    expect(JSON.stringify(malformed.body)).not.toContain('secret-token-123');

    const large = await raw(server, '/api/fabric/mesh/plan', JSON.stringify({ traffic: [], pad: 'x'.repeat(1_100_000) }));
    expect(large.status).toBe(413);
    expect(large.body.error.name).toBe('PayloadTooLargeError');
    expect(await storedPlans(server)).toEqual([]);
  });

  it('authorizes before it parses: a caller without the permission gets 403 for any body', async () => {
    const server = await startFabric(new Set(['fabric.capacity.read']));
    expect((await raw(server, '/api/fabric/mesh/plan', '{not json')).status).toBe(403);
    expect((await raw(server, '/api/fabric/islands', JSON.stringify({ pad: 'x'.repeat(1_100_000) }))).status).toBe(403);
    expect((await raw(server, '/api/fabric/mesh/plan', '{}', 'text/plain')).status).toBe(403);
  });
});
