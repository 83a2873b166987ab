import { startControlPlane, ControlPlane } from '@internal/fabric-test-tooling';
import { HubClusterReader, HubClusterUnavailableError } from './HubClusterReader';
import {
  CAPACITY_TYPE_LABEL,
  CELL_LABEL,
  DECISIONS_PER_SECOND_ANNOTATION,
  ENTITY_ANNOTATION,
  FABRIC_UNSCHEDULABLE_REASON,
  INSTANCE_TYPE_LABEL,
  LAST_BATCH_AT_ANNOTATION,
  NODEPOOL_LABEL,
  PENDING_PODS_ANNOTATION,
  PLACEMENT_LABEL,
  PRICE_PER_HOUR_ANNOTATION,
  PROVISIONER_LEASE_NAME,
  PROVISIONER_NAMESPACE,
  ZONE_ID_LABEL,
} from '../wellKnown';

jest.setTimeout(15 * 60_000);

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
const microTime = (date: Date) => date.toISOString().replace('Z', '000Z');

/** Writes what the provisioner writes, the way it writes it: objects, then their status. */
async function must(plane: ControlPlane, method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  const response = await plane.request(method, path, body, headers);
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

const conditions = (...entries: Array<[string, string, string?, string?]>) =>
  entries.map(([type, status, reason, message]) => ({
    type,
    status,
    reason: reason ?? type,
    message: message ?? '',
    lastTransitionTime: new Date().toISOString(),
  }));

async function recordClaim(
  plane: ControlPlane,
  claim: {
    name: string;
    group?: string;
    cell: string;
    azId: string;
    instanceType: string;
    capacityType: string;
    entity: string;
    placement: string;
    price: string;
    providerID?: string;
    conditions: ReturnType<typeof conditions>;
  },
) {
  await must(plane, 'POST', '/apis/karpenter.sh/v1/nodeclaims', {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name: claim.name,
      labels: {
        [NODEPOOL_LABEL]: `pool-${claim.cell}`,
        [CELL_LABEL]: claim.cell,
        [CAPACITY_TYPE_LABEL]: claim.capacityType,
        [INSTANCE_TYPE_LABEL]: claim.instanceType,
        [ZONE_ID_LABEL]: claim.azId,
        [PLACEMENT_LABEL]: claim.placement,
      },
      annotations: { [PRICE_PER_HOUR_ANNOTATION]: claim.price, [ENTITY_ANNOTATION]: claim.entity },
    },
    spec: {
      nodeClassRef: claim.group === 'karpenter.k8s.aws'
        ? { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'hub' }
        : { group: 'fabric.cloudspectra.io', kind: 'FabricNodeClass', name: `cell-${claim.cell}` },
      requirements: [{ key: INSTANCE_TYPE_LABEL, operator: 'In', values: [claim.instanceType] }],
    },
  });
  await must(
    plane,
    'PATCH',
    `/apis/karpenter.sh/v1/nodeclaims/${claim.name}/status`,
    JSON.stringify({ status: { ...(claim.providerID ? { providerID: claim.providerID } : {}), conditions: claim.conditions } }),
    { 'Content-Type': 'application/merge-patch+json' },
  );
}

describe('HubClusterReader against a real kube-apiserver with the Karpenter CRDs', () => {
  let plane: ControlPlane;
  let reader: HubClusterReader;

  beforeAll(async () => {
    plane = await startControlPlane({ waitForScheduler: false });
    reader = new HubClusterReader({ server: plane.server, token: plane.token, insecureSkipTlsVerify: true });

    await recordClaim(plane, {
      name: 'fabric-ready',
      cell: '222222222222.us-east-1',
      azId: 'use1-az4',
      instanceType: 'g6e.xlarge',
      capacityType: 'spot',
      entity: 'component:default/llm-serving',
      placement: 'plc-serving',
      price: '0.8632',
      providerID: 'aws:///us-east-1b/i-0aaa1111bbbb2222c',
      conditions: conditions(['Launched', 'True'], ['Registered', 'True'], ['Initialized', 'True'], ['Ready', 'True']),
    });
    await must(plane, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'ip-10-0-1-23.ec2.internal' },
      spec: { providerID: 'aws:///us-east-1b/i-0aaa1111bbbb2222c' },
    });
    await recordClaim(plane, {
      name: 'fabric-ice',
      cell: '333333333333.eu-west-1',
      azId: 'euw1-az2',
      instanceType: 'p5.48xlarge',
      capacityType: 'on-demand',
      entity: 'component:default/trainer',
      placement: 'plc-trainer',
      price: '98.32',
      conditions: conditions(['Launched', 'False', 'InsufficientCapacity', 'no p5.48xlarge in euw1-az2'], ['Ready', 'Unknown']),
    });
    await recordClaim(plane, {
      name: 'fabric-launching',
      cell: '222222222222.us-east-1',
      azId: 'use1-az6',
      instanceType: 'g6e.xlarge',
      capacityType: 'spot',
      entity: 'component:default/llm-serving',
      placement: 'plc-serving',
      price: '0.9',
      conditions: conditions(['Launched', 'Unknown', 'AwaitingFleet', 'CreateFleet in flight']),
    });
    // The hub's own Karpenter claim: not the fabric's, so the portal must not show it.
    await recordClaim(plane, {
      name: 'hub-own',
      group: 'karpenter.k8s.aws',
      cell: '111111111111.us-east-1',
      azId: 'use1-az1',
      instanceType: 'm7i.large',
      capacityType: 'on-demand',
      entity: 'component:default/llm-serving',
      placement: 'plc-serving',
      price: '0.1',
      conditions: conditions(['Ready', 'True']),
    });

    await must(plane, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ml' } });
    for (const [name, placement] of [['trainer-0', 'plc-trainer'], ['serving-0', 'plc-serving']]) {
      await must(plane, 'POST', '/api/v1/namespaces/ml/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { [PLACEMENT_LABEL]: placement } },
        spec: { containers: [{ name: 'main', image: 'busybox' }], schedulingGates: [{ name: 'fabric.cloudspectra.io/gang' }] },
      });
    }
    // A pod without the fabric's label is someone else's business.
    await must(plane, 'POST', '/api/v1/namespaces/ml/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unrelated' },
      spec: { containers: [{ name: 'main', image: 'busybox' }], schedulingGates: [{ name: 'other' }] },
    });
    const event = (name: string, at: string, message: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'ml' },
      involvedObject: { kind: 'Pod', namespace: 'ml', name: 'trainer-0', apiVersion: 'v1' },
      reason: FABRIC_UNSCHEDULABLE_REASON,
      message,
      type: 'Warning',
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      source: { component: 'cloudspectra-fabric-provisioner' },
    });
    await must(plane, 'POST', '/api/v1/namespaces/ml/events', event('trainer-0.a', '2026-12-01T10:00:00Z', 'waiting for capacity'));
    await must(
      plane,
      'POST',
      '/api/v1/namespaces/ml/events',
      event('trainer-0.b', '2026-12-01T10:05:00Z', 'InsufficientInstanceCapacity for p5.48xlarge in every AZ-ID; retrying in 3m'),
    );
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('lists only fabric-managed NodeClaims with their state, node and price', async () => {
    const { configured, items } = await reader.nodeClaims();
    expect(configured).toBe(true);
    expect(items.map(i => i.name)).toEqual(['fabric-launching', 'fabric-ready', 'fabric-ice']);
    expect(items[1]).toMatchObject({
      nodePool: 'pool-222222222222.us-east-1',
      cell: '222222222222.us-east-1',
      accountId: '222222222222',
      region: 'us-east-1',
      azId: 'use1-az4',
      instanceType: 'g6e.xlarge',
      capacityType: 'spot',
      instanceId: 'i-0aaa1111bbbb2222c',
      nodeName: 'ip-10-0-1-23.ec2.internal',
      state: 'Ready',
      pricePerHour: 0.8632,
      entityRef: 'component:default/llm-serving',
    });
    expect(items[0]).toMatchObject({ state: 'Launching', reason: 'AwaitingFleet: CreateFleet in flight' });
    expect(items[0].nodeName).toBeUndefined();
    expect(items[2]).toMatchObject({ state: 'Failed', reason: 'InsufficientCapacity: no p5.48xlarge in euw1-az2' });
  });

  it('shows pending fabric pods with the newest FabricUnschedulable reason', async () => {
    const { pendingPods } = await reader.nodeClaims();
    expect(pendingPods).toEqual([
      {
        namespace: 'ml',
        name: 'trainer-0',
        placement: 'plc-trainer',
        reason: 'InsufficientInstanceCapacity for p5.48xlarge in every AZ-ID; retrying in 3m',
        since: '2026-12-01T10:00:00Z',
      },
      expect.objectContaining({ namespace: 'ml', name: 'serving-0', placement: 'plc-serving' }),
    ]);
  });

  it('filters by cell, node pool and entity (with the entity\'s waiting pods)', async () => {
    expect((await reader.nodeClaims({ cell: '333333333333.eu-west-1' })).items.map(i => i.name)).toEqual(['fabric-ice']);
    expect((await reader.nodeClaims({ nodePool: 'pool-222222222222.us-east-1' })).items.map(i => i.name)).toEqual([
      'fabric-launching',
      'fabric-ready',
    ]);
    const trainer = await reader.nodeClaims({ entityRef: 'Component:default/Trainer' });
    expect(trainer.items.map(i => i.name)).toEqual(['fabric-ice']);
    expect(trainer.pendingPods.map(p => p.name)).toEqual(['trainer-0']);
    const nothing = await reader.nodeClaims({ entityRef: 'component:default/nobody' });
    expect(nothing).toEqual({ configured: true, items: [], pendingPods: [] });
  });

  it('reads the provisioner health from its Lease, and says when no leader renewed it in time', async () => {
    expect(await reader.provisionerHealth()).toEqual({ configured: true });

    await must(plane, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: PROVISIONER_NAMESPACE } });
    const renewTime = microTime(new Date());
    await must(plane, 'POST', `/apis/coordination.k8s.io/v1/namespaces/${PROVISIONER_NAMESPACE}/leases`, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: PROVISIONER_LEASE_NAME,
        annotations: {
          [LAST_BATCH_AT_ANNOTATION]: '2026-12-01T10:05:01Z',
          [DECISIONS_PER_SECOND_ANNOTATION]: '812.5',
          [PENDING_PODS_ANNOTATION]: '2',
        },
      },
      spec: { holderIdentity: 'fabric-backend-7d9f-abcde', leaseDurationSeconds: 15, renewTime },
    });
    expect(await reader.provisionerHealth()).toMatchObject({
      configured: true,
      leader: 'fabric-backend-7d9f-abcde',
      leaseExpired: false,
      lastBatchAt: '2026-12-01T10:05:01Z',
      decisionsPerSecond: 812.5,
      pendingPods: 2,
    });

    const later = new HubClusterReader(
      { server: plane.server, token: plane.token, insecureSkipTlsVerify: true },
      { now: () => new Date(Date.now() + 60_000) },
    );
    expect(await later.provisionerHealth()).toMatchObject({ leader: 'fabric-backend-7d9f-abcde', leaseExpired: true });
  });

  it('reads the Lease where the provisioner was configured to keep it', async () => {
    await must(plane, 'POST', '/apis/coordination.k8s.io/v1/namespaces/ml/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'other-lease' },
      spec: { holderIdentity: 'replica-2', leaseDurationSeconds: 15, renewTime: microTime(new Date()) },
    });
    const custom = new HubClusterReader(
      { server: plane.server, token: plane.token, insecureSkipTlsVerify: true },
      { leaseNamespace: 'ml', leaseName: 'other-lease' },
    );
    expect(await custom.provisionerHealth()).toMatchObject({ leader: 'replica-2', leaseExpired: false });
  });

  it('says the cluster refused the read when the credentials are wrong', async () => {
    const wrongToken = new HubClusterReader({ server: plane.server, token: 'not-a-token', insecureSkipTlsVerify: true });
    await expect(wrongToken.nodeClaims()).rejects.toThrow(HubClusterUnavailableError);
    await expect(wrongToken.provisionerHealth()).rejects.toThrow(/refused the read.*401/);
  });

  it('says the cluster is unreachable when nothing answers', async () => {
    const nowhere = new HubClusterReader({ server: 'https://127.0.0.1:1', token: 't', insecureSkipTlsVerify: true });
    await expect(nowhere.nodeClaims()).rejects.toThrow(/unreachable: ECONNREFUSED/);
  });
});
