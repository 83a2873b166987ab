import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { fabricPlugin } from '../../plugin';

jest.setTimeout(60_000);

/**
 * `GET /health` is open to unauthenticated callers, so it must never start discovery,
 * which calls AWS in every enrolled account. The AWS endpoint here is a local server
 * that counts the requests it gets; the scheduler never runs the discovery task.
 */
describe('GET /health before the first discovery', () => {
  let aws: http.Server;
  let awsRequests = 0;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    aws = http.createServer((_req, res) => {
      awsRequests++;
      res.writeHead(503).end();
    });
    await new Promise<void>(resolve => aws.listen(0, '127.0.0.1', resolve));
    process.env.AWS_ACCESS_KEY_ID = 'hub-key';
    process.env.AWS_SECRET_ACCESS_KEY = 'hub-secret';
  });
  afterAll(async () => {
    process.env = savedEnv;
    await new Promise(resolve => aws.close(resolve));
  });

  it('says discovery is pending and calls no AWS API; an authorized read then discovers', async () => {
    const scheduler = mockServices.scheduler.mock({ scheduleTask: jest.fn(async () => {}) });
    const { server } = await startTestBackend({
      features: [
        fabricPlugin,
        scheduler.factory,
        mockServices.rootConfig.factory({
          data: {
            fabric: {
              estate: {
                source: 'aws',
                defaultRegions: ['us-east-1'],
                accounts: [
                  { id: '111111111111', name: 'hub', role: 'hub' },
                  { id: '222222222222', name: 'research', roleArn: 'arn:aws:iam::222222222222:role/fabric-member' },
                ],
              },
              aws: { endpoint: `http://127.0.0.1:${(aws.address() as AddressInfo).port}`, maxAttempts: 1 },
            },
          },
        }),
      ],
    });

    for (let i = 0; i < 3; i++) {
      const res = await request(server).get('/api/fabric/health').set('Authorization', mockCredentials.none.header());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', estateSource: 'aws', discovery: 'pending', accounts: 2, cells: 0 });
    }
    expect(awsRequests).toBe(0);

    // The same server does reach AWS once an authorized caller asks for the estate.
    const estate = await request(server).get('/api/fabric/estate');
    expect(estate.status).toBe(200);
    expect(awsRequests).toBeGreaterThan(0);
    const after = await request(server).get('/api/fabric/health').set('Authorization', mockCredentials.none.header());
    expect(after.body).toMatchObject({ discovery: 'done', cells: 2 });
    expect(after.body.discoveredAt).toEqual(expect.any(String));
  });
});
