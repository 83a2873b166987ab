import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { fabricPlugin } from '../plugin';

jest.setTimeout(60_000);

async function startFabric(
  options: { permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY; fabric?: unknown } = {},
) {
  const { server } = await startTestBackend({
    features: [
      fabricPlugin,
      mockServices.rootConfig.factory({
        data: options.fabric === undefined ? {} : { fabric: options.fabric },
      }),
      mockServices.permissions.factory({ result: options.permission ?? AuthorizeResult.ALLOW }),
    ],
  });
  return server;
}

describe('fabric REST API', () => {
  it('answers /health without credentials, saying it runs the demo estate in plan-only mode', async () => {
    const server = await startFabric();
    const before = await request(server).get('/api/fabric/health').set('Authorization', mockCredentials.none.header());
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ status: 'ok', estateSource: 'demo', accounts: 4, cells: 0, discovery: 'pending' });
    // Any authorized read of the estate discovers it; health then reports the cells.
    await request(server).get('/api/fabric/estate');
    const res = await request(server).get('/api/fabric/health').set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', mode: 'plan-only', estateSource: 'demo', accounts: 4, cells: 12, discovery: 'done' });
    expect(res.body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('serves demo capacity, filtered, with stale cells listed', async () => {
    const server = await startFabric();
    const res = await request(server).get('/api/fabric/capacity?gpu=H100&region=us-east-1&capacityType=spot');
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('demo');
    expect(res.body.rows.length).toBeGreaterThan(0);
    for (const row of res.body.rows) {
      expect(row).toMatchObject({ gpu: 'H100', region: 'us-east-1', capacityType: 'spot' });
      expect(row.azId).toMatch(/^use1-az\d$/);
    }
    expect(res.body.staleCells).toEqual([expect.objectContaining({ accountId: '333333333333', region: 'eu-west-1' })]);
  });

  it('rejects an AZ name where an AZ-ID is required, naming the parameter', async () => {
    const server = await startFabric();
    const res = await request(server).get('/api/fabric/capacity?azId=us-east-1a');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ name: 'InputError' });
    expect(res.body.error.message).toContain("'azId'");
  });

  it('rejects unknown filters instead of ignoring them', async () => {
    const server = await startFabric();
    const res = await request(server).get('/api/fabric/capacity?gpus=8');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('gpus');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const server = await startFabric();
    const res = await request(server).get('/api/fabric/no-such-thing');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(res.body.error).toMatchObject({ name: 'NotFoundError' });
  });

  it('requires credentials for capacity', async () => {
    const server = await startFabric();
    const res = await request(server)
      .get('/api/fabric/capacity')
      .set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(401);
  });

  it('refuses a refresh when the permission policy denies it, and stores nothing new', async () => {
    const server = await startFabric({ permission: AuthorizeResult.DENY });
    const res = await request(server).post('/api/fabric/refresh');
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('fabric.estate.refresh');
  });

  it('runs a refresh when allowed and serves the new snapshot', async () => {
    const server = await startFabric();
    const before = await request(server).get('/api/fabric/estate');
    const res = await request(server).post('/api/fabric/refresh');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ cells: 12, staleCells: 1 });
    const after = await request(server).get('/api/fabric/estate');
    expect(Number(after.body.snapshot)).toBeGreaterThan(Number(before.body.snapshot));
    expect(after.body.cells[0].azMap).toBeDefined();
  });

  it('lists the enrolled accounts with their cells, health and AZ name → AZ-ID maps', async () => {
    const server = await startFabric();
    const res = await request(server).get('/api/fabric/estate');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ source: 'demo', mode: 'plan-only' });
    expect(res.body.accounts).toHaveLength(4);
    expect(res.body.accounts.find((a: any) => a.id === '333333333333')).toMatchObject({
      name: 'ml-inference',
      staleCells: 1,
      regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
    });
    const useast = res.body.cells.filter((c: any) => c.region === 'us-east-1');
    const idsOfA = new Set(useast.map((c: any) => c.azMap['us-east-1a']));
    expect(idsOfA.size).toBeGreaterThan(1);
  });

  it('aggregates capacity per AZ-ID with each account\'s own name for the zone', async () => {
    const server = await startFabric();
    const res = await request(server).get('/api/fabric/capacity?intent=tightly-coupled&region=us-east-1');
    expect(res.status).toBe(200);
    expect(res.body.rows.every((r: any) => r.efaSupported)).toBe(true);
    const zone = res.body.byAzId.find((z: any) => z.azId === 'use1-az4');
    const names = new Set(zone.azNames.map((n: any) => n.azName));
    expect(names.size).toBeGreaterThan(1);
  });
});

describe('fabric workloads (POST/GET /workloads)', () => {
  const body = {
    name: 'llm-finetune',
    description: 'Fine-tunes the base model',
    owner: 'group:default/ml-research',
    intent: 'tightly-coupled',
    gpu: 'p5',
  };

  it('stores a Component entity with the fabric annotations and answers 201 with its ref', async () => {
    const server = await startFabric();
    const res = await request(server).post('/api/fabric/workloads').send(body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      entityRef: 'component:default/llm-finetune',
      entity: {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'llm-finetune',
          namespace: 'default',
          description: 'Fine-tunes the base model',
          annotations: {
            'cloudspectra.io/fabric-workload': 'tightly-coupled',
            'cloudspectra.io/fabric-gpu': 'p5',
            'backstage.io/managed-by-location': 'fabric:workloads',
            'backstage.io/managed-by-origin-location': 'fabric:workloads',
          },
        },
        spec: { type: 'service', lifecycle: 'experimental', owner: 'group:default/ml-research' },
      },
    });
    const list = await request(server).get('/api/fabric/workloads');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({ entityRef: 'component:default/llm-finetune', entity: res.body.entity }),
    ]);
    expect(list.body.items[0].createdBy).toMatch(/^user:/);
  });

  it('keeps title and system when given', async () => {
    const server = await startFabric();
    const res = await request(server)
      .post('/api/fabric/workloads')
      .send({ ...body, namespace: 'ml', title: 'LLM fine-tuning', system: 'training' });
    expect(res.status).toBe(201);
    expect(res.body.entityRef).toBe('component:ml/llm-finetune');
    expect(res.body.entity.metadata).toMatchObject({ namespace: 'ml', title: 'LLM fine-tuning' });
    expect(res.body.entity.spec.system).toBe('training');
  });

  it.each([
    [{ name: 'LLM_Finetune' }, 'name'],
    [{ name: 'a'.repeat(64) }, 'name'],
    [{ intent: 'fast' }, 'intent'],
    [{ gpu: '' }, 'gpu'],
    [{ owner: 'not an owner' }, 'owner'],
    [{ owner: undefined }, 'owner'],
    [{ replicas: 3 }, 'replicas'],
  ])('answers 400 naming the field for %j', async (change, field) => {
    const server = await startFabric();
    const res = await request(server).post('/api/fabric/workloads').send({ ...body, ...change });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ name: 'InputError' });
    expect(res.body.error.message).toContain(`'${field}'`);
    expect((await request(server).get('/api/fabric/workloads')).body.items).toEqual([]);
  });

  it('is idempotent for the same body and refuses the name for another owner', async () => {
    const server = await startFabric();
    const first = await request(server).post('/api/fabric/workloads').send(body);
    const again = await request(server).post('/api/fabric/workloads').send(body);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const other = await request(server).post('/api/fabric/workloads').send({ ...body, owner: 'group:default/other' });
    expect(other.status).toBe(409);
    expect(other.body.error.message).toContain('component:default/llm-finetune');
    const list = await request(server).get('/api/fabric/workloads');
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].entity.spec.owner).toBe('group:default/ml-research');
  });

  it('refuses with 403 when the permission policy denies placement creation, and stores nothing', async () => {
    const server = await startFabric({ permission: AuthorizeResult.DENY });
    const res = await request(server).post('/api/fabric/workloads').send(body);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('fabric.placement.create');
  });
});

describe('fabric configuration at start', () => {
  it('stops the backend with a message naming a malformed role ARN', async () => {
    await expect(
      startFabric({
        fabric: { estate: { accounts: [{ id: '222222222222', name: 'r', roleArn: 'not-an-arn' }] } },
      }),
    ).rejects.toThrow(/fabric\.estate\.accounts\[0\]\.roleArn/);
  });

  it('stops the backend with a message naming a key of the wrong type', async () => {
    await expect(startFabric({ fabric: { estate: { gpuFamilies: 'p5' } } })).rejects.toThrow(
      /fabric\.estate\.gpuFamilies/,
    );
  });
});
