import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { startMotoServer, MotoServer } from '@internal/fabric-test-tooling';
import request from 'supertest';
import { fabricPlugin } from '../plugin';

jest.setTimeout(120_000);

// The backend with an `aws` estate discovering live from moto_server through the real
// AWS SDK: the same wiring as production, with only the endpoint changed.
describe('fabric backend with an aws estate on moto_server', () => {
  let moto: MotoServer;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    moto = await startMotoServer();
    // The hub's own credentials come from the default chain, as in production.
    process.env.AWS_ACCESS_KEY_ID = 'hub-key';
    process.env.AWS_SECRET_ACCESS_KEY = 'hub-secret';
    process.env.AWS_REGION = 'us-east-1';
  });

  afterAll(async () => {
    process.env = savedEnv;
    await moto?.stop();
  });

  async function startFabric() {
    const { server } = await startTestBackend({
      features: [
        fabricPlugin,
        mockServices.rootConfig.factory({
          data: {
            fabric: {
              estate: {
                source: 'aws',
                defaultRegions: ['us-east-1', 'us-west-2'],
                gpuFamilies: ['p5', 'g6'],
                accounts: [
                  { id: '111111111111', name: 'hub', role: 'hub', roleArn: 'arn:aws:iam::111111111111:role/fabric-hub' },
                  { id: '222222222222', name: 'research', roleArn: 'arn:aws:iam::222222222222:role/fabric-member', externalId: 'x-42' },
                  { id: '333333333333', name: 'inference', roleArn: 'arn:aws:iam::333333333333:role/fabric-member', regions: ['us-west-2'] },
                ],
              },
              aws: { endpoint: moto.endpoint, maxAttempts: 1 },
            },
          },
        }),
      ],
    });
    return server;
  }

  it('discovers every cell live and serves its capacity keyed by AZ-ID', async () => {
    const server = await startFabric();

    const estate = await request(server).get('/api/fabric/estate');
    expect(estate.status).toBe(200);

    const health = await request(server).get('/api/fabric/health');
    expect(health.body).toMatchObject({ estateSource: 'aws', accounts: 3, cells: 5, discovery: 'done' });
    expect(estate.body.source).toBe('aws');
    expect(estate.body.cells.map((c: any) => `${c.accountId}/${c.region}`).sort()).toEqual([
      '111111111111/us-east-1',
      '111111111111/us-west-2',
      '222222222222/us-east-1',
      '222222222222/us-west-2',
      '333333333333/us-west-2',
    ]);
    for (const cell of estate.body.cells) {
      expect({ cell: `${cell.accountId}/${cell.region}`, fresh: cell.fresh, error: cell.error }).toEqual({
        cell: `${cell.accountId}/${cell.region}`,
        fresh: true,
        error: undefined,
      });
      // moto has no capacity reservation API: the cell stays fresh and says what it lacks.
      expect(cell.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^Capacity reservations unavailable/)]));
      expect(Object.values(cell.azMap).every((id: any) => /^(use1|usw2)-az\d$/.test(id))).toBe(true);
    }

    const capacity = await request(server).get('/api/fabric/capacity?gpu=H100');
    expect(capacity.status).toBe(200);
    expect(capacity.body.source).toBe('aws');
    const p5 = capacity.body.rows.filter((r: any) => r.instanceType === 'p5.48xlarge');
    expect(p5.length).toBeGreaterThan(0);
    expect(new Set(p5.map((r: any) => r.accountId))).toEqual(new Set(['111111111111', '222222222222', '333333333333']));
    for (const row of p5) {
      expect(row.gpuCount).toBe(8);
      expect(row.azId).toMatch(/^(use1|usw2)-az\d$/);
    }
    // The inference account was only enrolled in us-west-2.
    expect(p5.some((r: any) => r.accountId === '333333333333' && r.region === 'us-east-1')).toBe(false);
  });
});
