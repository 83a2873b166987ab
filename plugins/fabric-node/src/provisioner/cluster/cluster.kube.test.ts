import { startControlPlane, ControlPlane } from '@internal/fabric-test-tooling';
import { KubeObject, KubernetesClient, RESOURCES } from '../../kubernetes/KubernetesClient';
import { FABRIC_STARTUP_TAINT, NodeClaimDecision } from '../types';
import { gpuPod, joinNode, setNodeReady, until } from './__testUtils__/kubelet';
import { PodBatch, startPendingPodWatch } from './batcher';
import { claimOfInstance, setFabricNodeClassStatus, startClusterState } from './clusterState';
import { createNodeClaim, markLaunched } from './nodeClaims';
import { GANG_SIZE_ANNOTATION } from './pendingPods';
import { liftGangGates, registerNodes } from './registration';

jest.setTimeout(15 * 60_000);

const cell = { accountId: '222222222222', region: 'us-east-1' };
const decision = (name: string, podUids: string[], gang?: string): NodeClaimDecision => ({
  name,
  nodePool: 'cell-research-use1',
  nodeClass: 'cell-research-use1',
  cell,
  offerings: [
    { instanceType: 'g6e.xlarge', azId: 'use1-az4', capacityType: 'spot', subnetId: 'subnet-0a', pricePerHour: 0.9 },
    { instanceType: 'g6e.xlarge', azId: 'use1-az4', capacityType: 'on-demand', subnetId: 'subnet-0a', pricePerHour: 1.86 },
  ],
  podUids,
  requests: { cpuMillis: 500, memoryMiB: 1024, gpus: 1, neuron: 0, efa: 0, pods: 1 },
  ...(gang ? { gang } : {}),
});

describe('the provisioner on a real kube-apiserver and kube-scheduler', () => {
  let plane: ControlPlane;
  let client: KubernetesClient;

  beforeAll(async () => {
    plane = await startControlPlane();
    client = new KubernetesClient({ server: plane.server, token: plane.token, insecureSkipTlsVerify: true });
  });

  afterAll(async () => {
    await plane?.stop();
  });

  const pod = (name: string) => client.get<KubeObject>(RESOURCES.pods, name, 'default');

  it('batches the pending fabric pods: affinity folded, quantities parsed, gangs grouped, others ignored', async () => {
    const batches: PodBatch[] = [];
    const watch = startPendingPodWatch(client, batch => void batches.push(batch), { idleMs: 300, maxMs: 3000 });
    try {
      await client.create(
        RESOURCES.pods,
        gpuPod('throughput-0', {
          labels: { 'fabric.cloudspectra.io/placement': 'thr1' },
          nodeSelector: { 'topology.k8s.aws/zone-id': 'use1-az4' },
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }] },
            { matchExpressions: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['g6e.xlarge'] }] },
          ],
        }),
      );
      // Unschedulable but not meant for the fabric: no placement label, no GPU toleration.
      await client.create(RESOURCES.pods, gpuPod('someone-else', { tolerateGpu: false, requests: { cpu: '64' } }));
      for (const name of ['train-0', 'train-1']) {
        await client.create(
          RESOURCES.pods,
          gpuPod(name, { labels: { 'fabric.cloudspectra.io/placement': 'train' }, annotations: { [GANG_SIZE_ANNOTATION]: '2' }, gated: true }),
        );
      }
      await client.create(
        RESOURCES.pods,
        gpuPod('big-0', { labels: { 'fabric.cloudspectra.io/placement': 'big' }, annotations: { [GANG_SIZE_ANNOTATION]: '3' }, gated: true }),
      );

      const batch = await until('a batch with the scheduler-refused pod and the gang', () =>
        batches.find(b => b.pods.some(p => p.name === 'throughput-0') && b.gangs.length === 1),
      );
      // The scheduler really refused the pod (no node exists), which is what made it pending.
      const refused = await pod('throughput-0');
      expect(refused!.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }));

      const throughput = batch.pods.find(p => p.name === 'throughput-0')!;
      expect(throughput.requests).toEqual({ cpuMillis: 500, memoryMiB: 1024, gpus: 1, neuron: 0, efa: 0, pods: 1 });
      expect(throughput.requirementTerms).toEqual([
        [
          { key: 'topology.k8s.aws/zone-id', operator: 'In', values: ['use1-az4'] },
          { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
        ],
        [
          { key: 'topology.k8s.aws/zone-id', operator: 'In', values: ['use1-az4'] },
          { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['g6e.xlarge'] },
        ],
      ]);
      expect(throughput.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
      expect(throughput.placement).toBe('thr1');
      expect(batch.pods.map(p => p.name)).not.toContain('someone-else');
      expect(batch.gangs).toEqual([
        expect.objectContaining({ name: 'train', size: 2, members: expect.arrayContaining([expect.objectContaining({ name: 'train-0' }), expect.objectContaining({ name: 'train-1' })]) }),
      ]);
      expect(batch.incompleteGangs).toEqual([{ name: 'big', size: 3, pending: 1 }]);
      expect(batch.pods.map(p => p.name)).not.toContain('big-0');

      // A pod that stops being pending (deleted) leaves the pending set.
      await client.delete(RESOURCES.pods, 'throughput-0', { namespace: 'default', gracePeriodSeconds: 0 });
      await until('throughput-0 to leave the pending set', () => !watch.pending().some(p => p.name === 'throughput-0'));
    } finally {
      watch.stop();
      for (const name of ['throughput-0', 'someone-else', 'train-0', 'train-1', 'big-0']) await client.delete(RESOURCES.pods, name, { namespace: 'default', gracePeriodSeconds: 0 });
    }
  });

  it('registers a launched claim\'s node: labels it by AZ-ID, removes the startup taint, and the scheduler then binds the pod', async () => {
    const waiting = await client.create<KubeObject>(
      RESOURCES.pods,
      gpuPod('inference-0', { labels: { 'fabric.cloudspectra.io/placement': 'inf1' }, nodeSelector: { 'topology.k8s.aws/zone-id': 'use1-az4', 'fabric.cloudspectra.io/cell': '222222222222.us-east-1' } }),
    );
    const claim = await createNodeClaim(client, decision('cell-research-use1-x7k2p', [waiting.metadata.uid!]));
    expect(claim.spec.nodeClassRef).toEqual({ group: 'fabric.cloudspectra.io', kind: 'FabricNodeClass', name: 'cell-research-use1' });
    await markLaunched(client, 'cell-research-use1-x7k2p', {
      instanceId: 'i-0aaa111',
      instanceType: 'g6e.xlarge',
      azId: 'use1-az4',
      azName: 'us-east-1c', // this member account's name for use1-az4
      capacityType: 'spot',
      imageId: 'ami-0123',
      capacity: { cpuMillis: 4000, memoryMiB: 32768, gpus: 1 },
    });
    // The node joins with its account's AZ name only, and the startup taint from the claim.
    await joinNode(client, {
      name: 'ip-10-1-0-11.ec2.internal',
      instanceId: 'i-0aaa111',
      azName: 'us-east-1c',
      azId: 'use1-az4',
      taints: [{ key: FABRIC_STARTUP_TAINT, value: 'true', effect: 'NoSchedule' }, { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }],
    });
    // Until the provisioner registers it, the pod cannot land (no AZ-ID label, startup taint).
    await until('the scheduler to refuse inference-0', async () => (await pod('inference-0'))?.status?.conditions?.some((c: any) => c.reason === 'Unschedulable'));
    expect((await pod('inference-0'))!.spec.nodeName).toBeUndefined();

    const claims = (await client.list<KubeObject>(RESOURCES.nodeClaims)).items;
    const nodes = (await client.list<KubeObject>(RESOURCES.nodes)).items;
    const result = await registerNodes(client, claims, nodes);
    expect(result.registered).toEqual(['cell-research-use1-x7k2p']);

    const node = (await client.get<KubeObject>(RESOURCES.nodes, 'ip-10-1-0-11.ec2.internal'))!;
    expect(node.metadata.labels).toMatchObject({
      'topology.k8s.aws/zone-id': 'use1-az4',
      'topology.kubernetes.io/zone': 'us-east-1c',
      'fabric.cloudspectra.io/cell': '222222222222.us-east-1',
      'karpenter.sh/capacity-type': 'spot',
      'node.kubernetes.io/instance-type': 'g6e.xlarge',
      'karpenter.sh/nodepool': 'cell-research-use1',
      'fabric.cloudspectra.io/fabricnodeclass': 'cell-research-use1',
    });
    expect(node.spec.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }]);
    const registered = (await client.get<KubeObject>(RESOURCES.nodeClaims, 'cell-research-use1-x7k2p'))!;
    expect(registered.status).toMatchObject({ providerID: 'aws:///us-east-1c/i-0aaa111', imageID: 'ami-0123', nodeName: 'ip-10-1-0-11.ec2.internal' });
    expect(registered.status.conditions.map((c: any) => [c.type, c.status])).toEqual(
      expect.arrayContaining([['Launched', 'True'], ['Registered', 'True'], ['Initialized', 'True'], ['Ready', 'True']]),
    );

    // The scheduler's next attempt puts the pod on the registered node.
    const bound = await until('inference-0 to be bound', async () => (await pod('inference-0'))?.spec?.nodeName, 60_000);
    expect(bound).toBe('ip-10-1-0-11.ec2.internal');

    // A second pass changes nothing.
    const again = await registerNodes(client, (await client.list<KubeObject>(RESOURCES.nodeClaims)).items, (await client.list<KubeObject>(RESOURCES.nodes)).items);
    expect(again.registered).toEqual([]);
  });

  it('reports a claim whose node never registered within the timeout, for termination and replacement', async () => {
    await createNodeClaim(client, decision('cell-research-use1-lost1', []));
    await markLaunched(client, 'cell-research-use1-lost1', { instanceId: 'i-0dead01', instanceType: 'g6e.xlarge', azId: 'use1-az4', azName: 'us-east-1c', capacityType: 'spot' });
    const claims = (await client.list<KubeObject>(RESOURCES.nodeClaims)).items.filter(c => c.metadata.name === 'cell-research-use1-lost1');
    const early = await registerNodes(client, claims, [], { registrationTimeoutMs: 15 * 60_000 });
    expect(early.timedOut).toEqual([]);
    const late = await registerNodes(client, claims, [], { registrationTimeoutMs: 15 * 60_000, now: new Date(Date.now() + 16 * 60_000) });
    expect(late.timedOut).toEqual([{ claim: 'cell-research-use1-lost1', instanceId: 'i-0dead01' }]);
    const claim = (await client.get<KubeObject>(RESOURCES.nodeClaims, 'cell-research-use1-lost1'))!;
    expect(claim.status.conditions).toContainEqual(expect.objectContaining({ type: 'Registered', status: 'False', reason: 'RegistrationTimeout' }));
  });

  it('lifts the gang gate from every member only once every member has a Ready node in one AZ-ID', async () => {
    const members: KubeObject[] = [];
    for (const name of ['gang-0', 'gang-1']) {
      members.push(
        await client.create<KubeObject>(
          RESOURCES.pods,
          gpuPod(name, {
            labels: { 'fabric.cloudspectra.io/placement': 'gang', 'fabric.cloudspectra.io/island': 'use1-az6' },
            annotations: { [GANG_SIZE_ANNOTATION]: '2' },
            nodeSelector: { 'topology.k8s.aws/zone-id': 'use1-az6', 'fabric.cloudspectra.io/island': 'use1-az6' },
            gated: true,
          }),
        ),
      );
    }
    const islandDecision = (name: string, podUid: string): NodeClaimDecision => ({
      ...decision(name, [podUid], 'gang'),
      offerings: [{ instanceType: 'p5.48xlarge', azId: 'use1-az6', capacityType: 'on-demand', subnetId: 'subnet-0b', pricePerHour: 98 }],
    });
    for (const [i, member] of members.entries()) {
      await createNodeClaim(client, islandDecision(`island-gang-${i}`, member.metadata.uid!));
      await markLaunched(client, `island-gang-${i}`, {
        instanceId: `i-0gang0${i}`, instanceType: 'p5.48xlarge', azId: 'use1-az6', azName: 'us-east-1a', capacityType: 'on-demand', island: 'use1-az6',
      });
    }
    const snapshot = async () => ({
      pods: (await client.list<KubeObject>(RESOURCES.pods, { namespace: 'default' })).items,
      claims: (await client.list<KubeObject>(RESOURCES.nodeClaims)).items,
      nodes: (await client.list<KubeObject>(RESOURCES.nodes)).items,
    });
    const pass = async () => {
      let s = await snapshot();
      await registerNodes(client, s.claims, s.nodes);
      s = await snapshot();
      return liftGangGates(client, s.pods, s.claims, s.nodes);
    };

    // Member 0's node is Ready, member 1's node has joined but is not Ready yet.
    await joinNode(client, { name: 'ip-10-2-0-1.ec2.internal', instanceId: 'i-0gang00', azName: 'us-east-1a', azId: 'use1-az6', taints: [{ key: FABRIC_STARTUP_TAINT, value: 'true', effect: 'NoSchedule' }] });
    await joinNode(client, { name: 'ip-10-2-0-2.ec2.internal', instanceId: 'i-0gang01', azName: 'us-east-1a', azId: 'use1-az6', ready: false, taints: [{ key: FABRIC_STARTUP_TAINT, value: 'true', effect: 'NoSchedule' }] });
    const first = await pass();
    expect(first.lifted).toEqual([]);
    expect(first.waiting).toEqual([{ gang: 'gang', reason: '1 of 2 members have no Ready node yet' }]);
    for (const name of ['gang-0', 'gang-1']) {
      const gated = (await pod(name))!;
      expect(gated.spec.schedulingGates).toEqual([{ name: 'fabric.cloudspectra.io/gang' }]);
      expect(gated.spec.nodeName).toBeUndefined();
    }

    await setNodeReady(client, 'ip-10-2-0-2.ec2.internal', true);
    const second = await pass();
    expect(second.lifted).toEqual([{ gang: 'gang', azId: 'use1-az6', pods: ['default/gang-0', 'default/gang-1'] }]);
    const placed = await until('both members bound', async () => {
      const names = await Promise.all(['gang-0', 'gang-1'].map(async n => (await pod(n))?.spec?.nodeName));
      return names.every(Boolean) ? names : undefined;
    }, 60_000);
    expect(new Set(placed)).toEqual(new Set(['ip-10-2-0-1.ec2.internal', 'ip-10-2-0-2.ec2.internal']));
  });

  it('keeps the gate on a gang whose nodes landed in different AZ-IDs', async () => {
    const members: KubeObject[] = [];
    for (const name of ['split-0', 'split-1']) {
      members.push(
        await client.create<KubeObject>(
          RESOURCES.pods,
          gpuPod(name, { labels: { 'fabric.cloudspectra.io/placement': 'split' }, annotations: { [GANG_SIZE_ANNOTATION]: '2' }, gated: true }),
        ),
      );
    }
    const zones = [
      { azId: 'use1-az1', azName: 'us-east-1f' },
      { azId: 'use1-az2', azName: 'us-east-1e' },
    ];
    for (const [i, member] of members.entries()) {
      await createNodeClaim(client, {
        ...decision(`split-${i}`, [member.metadata.uid!], 'split'),
        offerings: [{ instanceType: 'g6e.xlarge', azId: zones[i].azId, capacityType: 'spot', subnetId: 'subnet-0c', pricePerHour: 1 }],
      });
      await markLaunched(client, `split-${i}`, { instanceId: `i-0split${i}`, instanceType: 'g6e.xlarge', capacityType: 'spot', ...zones[i] });
      await joinNode(client, { name: `ip-10-3-0-${i}.ec2.internal`, instanceId: `i-0split${i}`, ...zones[i] });
    }
    const claims = (await client.list<KubeObject>(RESOURCES.nodeClaims)).items;
    await registerNodes(client, claims, (await client.list<KubeObject>(RESOURCES.nodes)).items);
    const result = await liftGangGates(
      client,
      (await client.list<KubeObject>(RESOURCES.pods, { namespace: 'default' })).items,
      claims,
      (await client.list<KubeObject>(RESOURCES.nodes)).items,
    );
    expect(result.lifted).toEqual([]);
    expect(result.waiting).toEqual([{ gang: 'split', reason: "members' nodes span AZ-IDs use1-az1, use1-az2; a gang runs in one" }]);
    for (const name of ['split-0', 'split-1']) expect((await pod(name))!.spec.schedulingGates).toEqual([{ name: 'fabric.cloudspectra.io/gang' }]);
  });

  it('keeps a snapshot of the fabric\'s own NodePools, classes and claims, and writes a class\'s resolved status', async () => {
    const state = startClusterState(client, { resyncMs: 0 });
    try {
      await client.create(RESOURCES.fabricNodeClasses, {
        apiVersion: 'fabric.cloudspectra.io/v1alpha1',
        kind: 'FabricNodeClass',
        metadata: { name: 'cell-state' },
        spec: { accountId: '333333333333', region: 'eu-west-1', azIds: ['euw1-az1'], subnetSelectorTerms: [{ tags: { k: 'v' } }], securityGroupSelectorTerms: [{ id: 'sg-1' }] },
      });
      const pool = (name: string, group: string, kind: string) => ({
        apiVersion: 'karpenter.sh/v1',
        kind: 'NodePool',
        metadata: { name },
        spec: { template: { spec: { nodeClassRef: { group, kind, name }, requirements: [] } }, weight: 30, limits: { 'nvidia.com/gpu': '8' } },
      });
      await client.create(RESOURCES.nodePools, pool('cell-state', 'fabric.cloudspectra.io', 'FabricNodeClass'));
      await client.create(RESOURCES.nodePools, pool('hub-own', 'karpenter.k8s.aws', 'EC2NodeClass'));
      await state.synced;
      const snapshot = await until('both pools seen', () => {
        const s = state.snapshot();
        return s.nodePools.some(p => p.name === 'cell-state') && s.nodeClasses.some(c => c.name === 'cell-state') ? s : undefined;
      });
      // The hub's own EC2NodeClass pool is Karpenter's, not the fabric's.
      expect(snapshot.nodePools.map(p => p.name)).not.toContain('hub-own');
      expect(snapshot.nodePools.find(p => p.name === 'cell-state')).toMatchObject({ nodeClassName: 'cell-state', weight: 30, limits: { gpus: 8 } });
      expect(claimOfInstance(snapshot.nodeClaims, 'i-0aaa111')?.metadata.name).toBe('cell-research-use1-x7k2p');

      expect(await setFabricNodeClassStatus(client, 'cell-state', { subnets: [], securityGroups: [], ready: false, reason: 'AccessDenied' })).toBe(true);
      expect(await setFabricNodeClassStatus(client, 'cell-state', { subnets: [], securityGroups: [], ready: false, reason: 'AccessDenied' })).toBe(false);
      const cls = (await client.get<KubeObject>(RESOURCES.fabricNodeClasses, 'cell-state'))!;
      expect(cls.status).toMatchObject({ ready: false, reason: 'AccessDenied' });
      expect(cls.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'False', reason: 'AccessDenied' }));
    } finally {
      state.stop();
    }
  });
});
