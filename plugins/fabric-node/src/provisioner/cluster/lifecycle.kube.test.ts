import { startControlPlane, ControlPlane } from '@internal/fabric-test-tooling';
import { KubeObject, KubernetesClient, RESOURCES } from '../../kubernetes/KubernetesClient';
import { gpuPod, joinNode, until } from './__testUtils__/kubelet';
import { EventRecorder, setNodePoolSchedulable, UNSCHEDULABLE_PODS_CONDITION } from './events';
import { claimsOfDeletedOwners, cordon, drainNode, EmptinessTracker, nodesToConsolidate, replaceThenDrain } from './lifecycle';
import { createNodeClaim } from './nodeClaims';
import { toFabricNodePool } from './nodePools';

jest.setTimeout(15 * 60_000);

const nodeClassRef = { group: 'fabric.cloudspectra.io', kind: 'FabricNodeClass', name: 'cell-a' };
const fabricPool = (name: string, disruption: Record<string, unknown> = {}) => ({
  apiVersion: 'karpenter.sh/v1',
  kind: 'NodePool',
  metadata: { name },
  spec: {
    template: { spec: { nodeClassRef, requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }] } },
    limits: { cpu: '384', memory: '2Ti', 'nvidia.com/gpu': '16' },
    disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '5m', ...disruption },
  },
});

describe('node lifecycle and feedback on a real kube-apiserver and kube-scheduler', () => {
  let plane: ControlPlane;
  let client: KubernetesClient;

  beforeAll(async () => {
    plane = await startControlPlane();
    client = new KubernetesClient({ server: plane.server, token: plane.token, insecureSkipTlsVerify: true });
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('reads a fabric NodePool as the API server defaulted it: limits, consolidateAfter, budgets', async () => {
    const created = await client.create<KubeObject>(RESOURCES.nodePools, fabricPool('pool-read', { budgets: [{ nodes: '20%' }, { nodes: '3' }] }));
    const pool = toFabricNodePool(created, 10);
    expect(pool).toMatchObject({
      name: 'pool-read',
      nodeClassName: 'cell-a',
      limits: { cpuMillis: 384_000, memoryMiB: 2 * 1024 * 1024, gpus: 16 },
      consolidateAfterSeconds: 300,
      disruptionBudgetNodes: 2,
      deleting: false,
    });
  });

  it('cordons and drains through the Eviction API; a PodDisruptionBudget holds a pod back', async () => {
    await joinNode(client, { name: 'drain-me', instanceId: 'i-0drain', azName: 'us-east-1a', azId: 'use1-az1', gpus: 4 });
    const labels = { 'fabric.cloudspectra.io/placement': 'drain' };
    for (const name of ['worker-0', 'worker-1', 'protected-0']) {
      await client.create(RESOURCES.pods, gpuPod(name, { labels: name.startsWith('protected') ? { app: 'protected' } : labels, nodeSelector: { 'kubernetes.io/hostname': 'drain-me' } }));
    }
    await client.create(RESOURCES.pods, {
      ...gpuPod('node-agent', { nodeSelector: { 'kubernetes.io/hostname': 'drain-me' }, requests: { cpu: '10m' } }),
      metadata: { name: 'node-agent', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: '00000000-0000-0000-0000-000000000001', controller: true }] },
    });
    await client.create({ group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true }, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'protected', namespace: 'default' },
      spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'protected' } } },
    });
    const pods = async () => (await client.list<KubeObject>(RESOURCES.pods, { namespace: 'default' })).items;
    await until('all four pods bound', async () => (await pods()).filter(p => p.spec.nodeName === 'drain-me').length === 4);
    // Acting as the kubelet: the containers run. (The Eviction API ignores budgets for Pending pods.)
    for (const name of ['worker-0', 'worker-1', 'protected-0', 'node-agent']) {
      await client.patch(RESOURCES.pods, name, {
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] },
      }, { namespace: 'default', subresource: 'status' });
    }

    await cordon(client, 'drain-me');
    expect((await client.get<KubeObject>(RESOURCES.nodes, 'drain-me'))!.spec.unschedulable).toBe(true);

    // The budget allows no disruption (and, without a controller-manager, its status is never
    // computed either): the API server refuses to evict the protected pod with 429.
    const first = await drainNode(client, 'drain-me', await pods());
    expect(first.evicted.sort()).toEqual(['default/worker-0', 'default/worker-1']);
    expect(first.blocked).toEqual(['default/protected-0']);
    expect(first.drained).toBe(false);
    // Eviction is a graceful delete: the kubelet (absent here) would stop the containers and
    // remove the pods; their controllers would create replacements elsewhere. The DaemonSet pod stays.
    const after = await pods();
    for (const name of ['worker-0', 'worker-1']) expect(after.find(p => p.metadata.name === name)!.metadata.deletionTimestamp).toBeDefined();
    expect(after.find(p => p.metadata.name === 'node-agent')!.metadata.deletionTimestamp).toBeUndefined();

    // Acting as the kubelet: the workers' containers stopped, and the budget's owner lets go.
    for (const name of ['worker-0', 'worker-1', 'protected-0']) await client.delete(RESOURCES.pods, name, { namespace: 'default', gracePeriodSeconds: 0 });
    const second = await drainNode(client, 'drain-me', await pods());
    expect(second).toEqual({ evicted: [], blocked: [], drained: true });
  });

  it('finds empty nodes only after consolidateAfter, within the disruption budget', async () => {
    const nodes = [0, 1, 2].map(i => ({
      metadata: { name: `empty-${i}`, labels: { 'karpenter.sh/nodepool': 'pool-empty' } },
      spec: {},
    }));
    const busyPod = { metadata: { name: 'busy', namespace: 'default' }, spec: { nodeName: 'empty-2' }, status: { phase: 'Running' } };
    const pool = toFabricNodePool(await client.create<KubeObject>(RESOURCES.nodePools, fabricPool('pool-empty', { budgets: [{ nodes: '1' }] })), 3);
    const tracker = new EmptinessTracker();
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    tracker.observe(nodes, [busyPod], t0);
    expect(nodesToConsolidate(nodes, [pool], tracker, t0 + 60_000)).toEqual([]);
    // After 5 minutes two nodes are empty, but the budget allows one at a time.
    expect(nodesToConsolidate(nodes, [pool], tracker, t0 + 300_000)).toEqual(['empty-0']);
    // A pod landing on a node resets its clock.
    tracker.observe(nodes, [busyPod, { ...busyPod, spec: { nodeName: 'empty-0' } }], t0 + 300_000);
    expect(nodesToConsolidate(nodes, [pool], tracker, t0 + 301_000)).toEqual(['empty-1']);
  });

  it('hands the claims of a deleted NodePool or FabricNodeClass over for termination', async () => {
    await client.create(RESOURCES.fabricNodeClasses, {
      apiVersion: 'fabric.cloudspectra.io/v1alpha1',
      kind: 'FabricNodeClass',
      metadata: { name: 'cell-a' },
      spec: { accountId: '222222222222', region: 'us-east-1', azIds: ['use1-az4'], subnetSelectorTerms: [{ id: 'subnet-1' }], securityGroupSelectorTerms: [{ id: 'sg-1' }] },
    });
    await client.create(RESOURCES.nodePools, fabricPool('pool-kept'));
    await client.create(RESOURCES.nodePools, fabricPool('pool-gone'));
    const decision = (name: string, nodePool: string) => ({
      name, nodePool, nodeClass: 'cell-a', cell: { accountId: '222222222222', region: 'us-east-1' },
      offerings: [{ instanceType: 'g6e.xlarge', azId: 'use1-az4', capacityType: 'spot' as const, subnetId: 'subnet-1', pricePerHour: 1 }],
      podUids: [], requests: { cpuMillis: 1000, memoryMiB: 1024, gpus: 1, neuron: 0, efa: 0, pods: 1 },
    });
    await createNodeClaim(client, decision('claim-kept', 'pool-kept'));
    await createNodeClaim(client, decision('claim-gone', 'pool-gone'));
    await client.delete(RESOURCES.nodePools, 'pool-gone');

    const list = async () => ({
      claims: (await client.list<KubeObject>(RESOURCES.nodeClaims)).items,
      pools: (await client.list<KubeObject>(RESOURCES.nodePools)).items,
      classes: (await client.list<KubeObject>(RESOURCES.fabricNodeClasses)).items,
    });
    let s = await list();
    expect(claimsOfDeletedOwners(s.claims, s.pools, s.classes)).toEqual(['claim-gone']);

    // The claim's finalizer keeps it until the provisioner has terminated its instance.
    await client.delete(RESOURCES.nodeClaims, 'claim-gone');
    expect((await client.get<KubeObject>(RESOURCES.nodeClaims, 'claim-gone'))!.metadata.deletionTimestamp).toBeDefined();

    await client.delete(RESOURCES.fabricNodeClasses, 'cell-a');
    s = await list();
    expect(claimsOfDeletedOwners(s.claims, s.pools, s.classes).sort()).toEqual(['claim-gone', 'claim-kept']);
  });

  it('records an unplaceable pod once as an Event with a count, and says why on the NodePool', async () => {
    const pod = await client.create<KubeObject>(RESOURCES.pods, gpuPod('sixteen-gpus', { requests: { 'nvidia.com/gpu': '16' } }));
    let now = Date.parse('2026-01-01T00:00:00Z');
    const recorder = new EventRecorder(client, { minIntervalMs: 60_000, now: () => now });
    const event = { involved: { ...pod, apiVersion: 'v1', kind: 'Pod' }, type: 'Warning' as const, reason: 'FailedProvisioning', message: 'no offering has 16 nvidia.com/gpu on one node' };
    expect(await recorder.record(event)).toBe('created');
    for (let i = 0; i < 20; i++) expect(await recorder.record(event)).toBe('suppressed');
    now += 61_000;
    expect(await recorder.record(event)).toBe('counted');
    const events = (await client.list<KubeObject>(RESOURCES.events, { namespace: 'default', fieldSelector: `involvedObject.uid=${pod.metadata.uid}` })).items.filter(
      e => e.source?.component === 'fabric-provisioner',
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'FailedProvisioning', type: 'Warning', count: 22, message: 'no offering has 16 nvidia.com/gpu on one node' });

    await client.create(RESOURCES.nodePools, fabricPool('pool-feedback'));
    expect(await setNodePoolSchedulable(client, 'pool-feedback', [{ pod: 'default/sixteen-gpus', reason: 'no offering has 16 nvidia.com/gpu on one node' }])).toBe(true);
    // The same answer again writes nothing.
    expect(await setNodePoolSchedulable(client, 'pool-feedback', [{ pod: 'default/sixteen-gpus', reason: 'no offering has 16 nvidia.com/gpu on one node' }])).toBe(false);
    const pool = (await client.get<KubeObject>(RESOURCES.nodePools, 'pool-feedback'))!;
    expect(pool.status.conditions).toContainEqual(
      expect.objectContaining({ type: UNSCHEDULABLE_PODS_CONDITION, status: 'False', reason: 'NoOfferingFits', message: 'default/sixteen-gpus: no offering has 16 nvidia.com/gpu on one node' }),
    );
  });

  it('replaces first: the replacement is Ready before the old node is drained', async () => {
    const steps: string[] = [];
    const result = await replaceThenDrain({
      cordon: async () => void steps.push('cordon'),
      launchReplacement: async () => {
        steps.push('launch');
        return 'replacement-1';
      },
      waitUntilReady: async name => void steps.push(`ready ${name}`),
      drain: async () => void steps.push('drain'),
      terminate: async () => void steps.push('terminate'),
    });
    expect(result.replacement).toBe('replacement-1');
    expect(steps).toEqual(['cordon', 'launch', 'ready replacement-1', 'drain', 'terminate']);
  });
});
