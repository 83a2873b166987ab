import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { ControlPlane, MotoServer, startControlPlane, startMotoServer } from '@internal/fabric-test-tooling';
import { hostname } from 'node:os';
import request from 'supertest';
import { fabricPlugin } from '../plugin';

jest.setTimeout(10 * 60_000);

/**
 * The backend hosts the fabric provisioner when `fabric.provisioner.enabled`: against a
 * real hub cluster (kube-apiserver with the Karpenter and fabric CRDs) and an AWS estate in
 * moto_server, it takes the hub cluster's Lease, `GET /provisioner` shows it leading, and
 * stopping the backend hands the Lease back so another replica leads at once.
 */
describe('the backend hosts the provisioner', () => {
  let plane: ControlPlane;
  let moto: MotoServer;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    [plane, moto] = await Promise.all([startControlPlane({ waitForScheduler: false }), startMotoServer()]);
    await plane.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cloudspectra-fabric' } });
    // moto accepts any key; the backend's AWS clients read them from the environment as in production.
    process.env.AWS_ACCESS_KEY_ID = 'hub-access-key';
    process.env.AWS_SECRET_ACCESS_KEY = 'hub-secret';
    process.env.AWS_REGION = 'us-east-1';
  });

  afterAll(async () => {
    process.env = savedEnv;
    await Promise.all([plane?.stop(), moto?.stop()]);
  });

  function fabricConfig(overrides: { source?: 'aws' | 'demo'; mode?: 'apply' | 'plan-only' } = {}) {
    return {
      estate: {
        source: overrides.source ?? 'aws',
        mode: overrides.mode ?? 'apply',
        defaultRegions: ['us-east-1'],
        gpuFamilies: ['g6e'],
        accounts: [{ id: '222222222222', name: 'member', roleArn: 'arn:aws:iam::222222222222:role/fabric-member', externalId: 'hub-external-id' }],
      },
      aws: { endpoint: moto.endpoint, maxAttempts: 1 },
      hub: { kubernetes: { url: plane.server, token: plane.token, insecureSkipTlsVerify: true } },
      provisioner: { enabled: true, leaseDurationSeconds: 5, imageIds: { 'us-east-1': 'ami-0abc1234' } },
    };
  }

  async function lease() {
    const response = await plane.request('GET', '/apis/coordination.k8s.io/v1/namespaces/cloudspectra-fabric/leases/cloudspectra-fabric-provisioner');
    return response.status === 200 ? (response.body as any) : undefined;
  }

  it('takes the Lease, shows itself leading on GET /provisioner, and releases the Lease when the backend stops', async () => {
    const backend = await startTestBackend({
      features: [fabricPlugin, mockServices.rootConfig.factory({ data: { fabric: fabricConfig() } })],
    });
    const identity = `${hostname()}-${process.pid}`;
    try {
      let health: any;
      const deadline = Date.now() + 60_000;
      do {
        await new Promise(r => setTimeout(r, 500));
        health = (await request(backend.server).get('/api/fabric/provisioner')).body;
      } while (health.leader !== identity && Date.now() < deadline);
      expect(health).toMatchObject({ configured: true, leader: identity, leaseExpired: false });
      expect((await lease())?.spec.holderIdentity).toBe(identity);
    } finally {
      await backend.stop();
    }
    // Released as client-go releases: no holder, so a standby replica leads at once.
    expect((await lease())?.spec.holderIdentity ?? '').toBe('');
  });

  it('refuses to start a provisioner that could not launch, naming the key to fix', async () => {
    await expect(
      startTestBackend({
        features: [fabricPlugin, mockServices.rootConfig.factory({ data: { fabric: fabricConfig({ mode: 'plan-only' }) } })],
      }),
    ).rejects.toThrow(/fabric\.estate\.mode/);
  });
});
