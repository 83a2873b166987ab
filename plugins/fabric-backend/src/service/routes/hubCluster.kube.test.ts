import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { startControlPlane, ControlPlane } from '@internal/fabric-test-tooling';
import { placementShortName } from '@internal/backstage-plugin-fabric-node';
import request from 'supertest';
import { fabricPlugin } from '../../plugin';

jest.setTimeout(15 * 60_000);

const microTime = (date: Date) => date.toISOString().replace('Z', '000Z');

async function must(plane: ControlPlane, method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  const response = await plane.request(method, path, body, headers);
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

async function startFabric(options: { hub?: { url: string; token: string }; allowed?: Set<string> } = {}) {
  const features: any[] = [
    fabricPlugin,
    mockServices.rootConfig.factory({
      data: {
        fabric: {
          estate: { source: 'demo' },
          ...(options.hub ? { hub: { kubernetes: { ...options.hub, insecureSkipTlsVerify: true } } } : {}),
        },
      },
    }),
  ];
  if (options.allowed) {
    const allowed = options.allowed;
    features.push(
      mockServices.permissions.mock({
        authorize: async requests =>
          requests.map(r => ({ result: allowed.has(r.permission.name) ? AuthorizeResult.ALLOW : AuthorizeResult.DENY })),
      }).factory,
    );
  }
  const { server } = await startTestBackend({ features });
  return server;
}

describe('GET /nodeclaims and GET /provisioner', () => {
  let plane: ControlPlane;

  beforeAll(async () => {
    plane = await startControlPlane({ waitForScheduler: false });
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it('answer configured: false with empty lists when no hub cluster is configured', async () => {
    const server = await startFabric();
    const claims = await request(server).get('/api/fabric/nodeclaims');
    expect(claims.status).toBe(200);
    expect(claims.body).toEqual({ configured: false, items: [], pendingPods: [] });
    const health = await request(server).get('/api/fabric/provisioner');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ configured: false });
  });

  it("show the provisioner's claims, the entity's waiting pods with the fabric's reason, and its health", async () => {
    const server = await startFabric({ hub: { url: plane.server, token: plane.token } });

    // The entity has a placement but no node yet: its pod waits under the placement's name.
    const placed = await request(server)
      .post('/api/fabric/placements')
      .send({ entityRef: 'component:default/llm-pretraining', intent: 'throughput', gpu: { family: 'g6e', totalGpus: 1 } });
    expect(placed.status).toBe(201);
    const placementName = placementShortName(placed.body.placement);

    await must(plane, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'research' } });
    await must(plane, 'POST', '/api/v1/namespaces/research/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pretrain-0', labels: { 'fabric.cloudspectra.io/placement': placementName } },
      spec: { containers: [{ name: 'main', image: 'busybox' }], schedulingGates: [{ name: 'fabric.cloudspectra.io/gang' }] },
    });
    await must(plane, 'POST', '/api/v1/namespaces/research/events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'pretrain-0.fabric', namespace: 'research' },
      involvedObject: { kind: 'Pod', namespace: 'research', name: 'pretrain-0', apiVersion: 'v1' },
      reason: 'FabricUnschedulable',
      message: 'no offering holds 16 nvidia.com/gpu on one node',
      type: 'Warning',
      firstTimestamp: '2026-12-01T09:00:00Z',
      lastTimestamp: '2026-12-01T09:00:00Z',
      count: 1,
      source: { component: 'cloudspectra-fabric-provisioner' },
    });

    // Another entity's node, launched and registered.
    await must(plane, 'POST', '/apis/karpenter.sh/v1/nodeclaims', {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodeClaim',
      metadata: {
        name: 'fabric-serving-x7k2p',
        labels: {
          'karpenter.sh/nodepool': 'fabric-serving-222222222222-us-west-2',
          'fabric.cloudspectra.io/cell': '222222222222.us-west-2',
          'karpenter.sh/capacity-type': 'spot',
          'node.kubernetes.io/instance-type': 'g6e.2xlarge',
          'topology.k8s.aws/zone-id': 'usw2-az2',
          'fabric.cloudspectra.io/placement': 'serving',
        },
        annotations: {
          'fabric.cloudspectra.io/price-per-hour': '1.1',
          'fabric.cloudspectra.io/entity': 'component:default/llm-serving',
        },
      },
      spec: {
        nodeClassRef: { group: 'fabric.cloudspectra.io', kind: 'FabricNodeClass', name: 'cell-222222222222-us-west-2' },
        requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['g6e.2xlarge'] }],
      },
    });
    await must(
      plane,
      'PATCH',
      '/apis/karpenter.sh/v1/nodeclaims/fabric-serving-x7k2p/status',
      JSON.stringify({
        status: {
          providerID: 'aws:///us-west-2a/i-0123456789abcdef0',
          conditions: ['Launched', 'Registered'].map(type => ({
            type,
            status: 'True',
            reason: type,
            message: '',
            lastTransitionTime: new Date().toISOString(),
          })),
        },
      }),
      { 'Content-Type': 'application/merge-patch+json' },
    );

    const all = await request(server).get('/api/fabric/nodeclaims');
    expect(all.status).toBe(200);
    expect(all.body.configured).toBe(true);
    expect(all.body.items).toEqual([
      expect.objectContaining({
        name: 'fabric-serving-x7k2p',
        nodePool: 'fabric-serving-222222222222-us-west-2',
        cell: '222222222222.us-west-2',
        accountId: '222222222222',
        region: 'us-west-2',
        azId: 'usw2-az2',
        instanceType: 'g6e.2xlarge',
        capacityType: 'spot',
        instanceId: 'i-0123456789abcdef0',
        state: 'Registered',
        pricePerHour: 1.1,
      }),
    ]);
    expect(all.body.pendingPods).toEqual([
      {
        namespace: 'research',
        name: 'pretrain-0',
        placement: placementName,
        reason: 'no offering holds 16 nvidia.com/gpu on one node',
        since: '2026-12-01T09:00:00Z',
      },
    ]);

    const forEntity = await request(server).get('/api/fabric/nodeclaims?entityRef=component:default/llm-pretraining');
    expect(forEntity.body.items).toEqual([]);
    expect(forEntity.body.pendingPods.map((p: any) => p.name)).toEqual(['pretrain-0']);
    const forOtherCell = await request(server).get('/api/fabric/nodeclaims?cell=333333333333.eu-west-1');
    expect(forOtherCell.body.items).toEqual([]);

    const noLeader = await request(server).get('/api/fabric/provisioner');
    expect(noLeader.body).toEqual({ configured: true });
    await must(plane, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cloudspectra-fabric' } });
    await must(plane, 'POST', '/apis/coordination.k8s.io/v1/namespaces/cloudspectra-fabric/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'cloudspectra-fabric-provisioner',
        annotations: {
          'fabric.cloudspectra.io/last-batch-at': '2026-12-01T09:00:01Z',
          'fabric.cloudspectra.io/decisions-per-second': '640',
          'fabric.cloudspectra.io/pending-pods': '1',
        },
      },
      spec: { holderIdentity: 'backend-0', leaseDurationSeconds: 15, renewTime: microTime(new Date()) },
    });
    const health = await request(server).get('/api/fabric/provisioner');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      configured: true,
      leader: 'backend-0',
      leaseExpired: false,
      lastBatchAt: '2026-12-01T09:00:01Z',
      decisionsPerSecond: 640,
      pendingPods: 1,
    });
  });

  it('refuse malformed filters with 400 naming the parameter', async () => {
    const server = await startFabric({ hub: { url: plane.server, token: plane.token } });
    const badCell = await request(server).get('/api/fabric/nodeclaims?cell=us-east-1');
    expect(badCell.status).toBe(400);
    expect(badCell.body.error.message).toContain("'cell'");
    const unknown = await request(server).get('/api/fabric/nodeclaims?az=use1-az1');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('unknown parameter');
  });

  it('answer 503 with the reason when the hub cluster cannot be read', async () => {
    const unreachable = await startFabric({ hub: { url: 'https://127.0.0.1:1', token: 'x' } });
    const claims = await request(unreachable).get('/api/fabric/nodeclaims');
    expect(claims.status).toBe(503);
    expect(claims.body.error.message).toMatch(/hub cluster is unreachable: ECONNREFUSED/);
    expect((await request(unreachable).get('/api/fabric/provisioner')).status).toBe(503);

    const wrongToken = await startFabric({ hub: { url: plane.server, token: 'not-the-token' } });
    const refused = await request(wrongToken).get('/api/fabric/provisioner');
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toMatch(/refused the read.*401/);
  });

  it('refuse a caller without the read permission before reading the cluster', async () => {
    const server = await startFabric({ hub: { url: 'https://127.0.0.1:1', token: 'x' }, allowed: new Set() });
    for (const path of ['/api/fabric/nodeclaims?cell=nonsense', '/api/fabric/provisioner']) {
      const refused = await request(server).get(path);
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain('fabric.capacity.read');
    }
  });
});
