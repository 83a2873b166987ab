import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { fabricPlugin } from '../../plugin';

jest.setTimeout(60_000);

async function startFabric() {
  const permissions = mockServices.permissions.mock({
    authorize: async requests => requests.map(() => ({ result: AuthorizeResult.ALLOW })),
  });
  const { server } = await startTestBackend({ features: [fabricPlugin, permissions.factory] });
  return server;
}

async function storedPlans(server: any) {
  return (await request(server).get('/api/fabric/plans')).body.items;
}

/** Cases the REST fuzzer found, kept as plain tests so they stay fixed whatever the seed. */
describe('inputs the fuzzer found', () => {
  it('answers a body that does not decode as its Content-Encoding with a 400 saying so, not a bare "Bad Request"', async () => {
    const server = await startFabric();
    const res = await request(server)
      .post('/api/fabric/islands')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('{"id":"llm-use1-az4"}');
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.error.message).toMatch(/^Request body could not be decoded as gzip: /);
    // The zlib error's internals stay on the server.
    expect(res.body.error).not.toHaveProperty('code');
    expect(res.body.error).not.toHaveProperty('errno');
    expect(await storedPlans(server)).toEqual([]);
  });

  it('answers an encoding it cannot decode with 415 in the fabric error shape', async () => {
    const server = await startFabric();
    const res = await request(server)
      .post('/api/fabric/mesh/plan')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'bogus')
      .send('{}');
    expect(res.status).toBe(415);
    expect(res.body.error).toEqual({
      name: 'UnsupportedMediaTypeError',
      message: 'Request body must not be encoded as bogus; send it as is or as gzip or deflate',
    });
    expect(await storedPlans(server)).toEqual([]);
  });

  it('says a missing body must be a JSON object, instead of "Invalid workload \'\': Required"', async () => {
    const server = await startFabric();
    const res = await request(server).post('/api/fabric/workloads');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('Invalid workload: must be a JSON object, not empty');
    expect((await request(server).get('/api/fabric/workloads')).body.items).toEqual([]);
  });

  it('names a malformed path id without a misleading empty name', async () => {
    const server = await startFabric();
    const res = await request(server).get('/api/fabric/plans/not-a-uuid');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('Invalid plan id: must be a plan id (UUID)');
  });

  it('names an unknown empty key as "" rather than leaving a blank', async () => {
    const server = await startFabric();
    const placement = await request(server)
      .post('/api/fabric/placements')
      .send({ entityRef: 'component:default/x', intent: 'throughput', gpu: { family: 'g6', totalGpus: 8 }, '': 1 });
    expect(placement.status).toBe(400);
    expect(placement.body.error.message).toBe('Invalid placement request: "" is not a known field');

    const mesh = await request(server).post('/api/fabric/mesh/plan').send({ '': 1 });
    expect(mesh.status).toBe(400);
    expect(mesh.body.error.message).toBe('Invalid mesh plan request \'""\': unknown parameter');
    expect(await storedPlans(server)).toEqual([]);
  });
});
