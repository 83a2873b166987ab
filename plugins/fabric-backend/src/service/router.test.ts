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
    const res = await request(server)
      .get('/api/fabric/health')
      .set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', mode: 'plan-only', estateSource: 'demo', accounts: 4, cells: 12 });
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
