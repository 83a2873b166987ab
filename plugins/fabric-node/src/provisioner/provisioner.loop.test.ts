import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { KubeObject, ResourceRef, RESOURCES } from '../kubernetes/KubernetesClient';
import { cellPool, EXTERNAL_ID, HubEstate, OWNER, startHubEstate } from './__testUtils__/hubEstate';
import { Provisioner } from './controller/Provisioner';
import { NODECLAIM_TAG, OWNER_TAG } from './types';

jest.setTimeout(600_000);

/**
 * The provisioner end to end, every peer real: pending pods in a kube-apiserver +
 * kube-scheduler hub cluster (KWOK as the kubelet), instances launched in member accounts
 * of moto_server through AssumeRole + ExternalId, behind the fault proxy that gives each
 * account its own AZ names, Service Quotas and spot prices, and node join registering each
 * instance as nodeadm + kubelet would — with the zone label as *that account* names it,
 * so a pod that keys on the AZ-ID only lands because the fabric keys on AZ-IDs too.
 */
const ACCOUNTS = ['222222222222', '333333333333', '444444444444'];
const REGIONS = ['us-east-1', 'us-west-2'];

describe('the fabric provisioner on a real hub cluster and moto', () => {
  let estate: HubEstate;
  let provisioner: Provisioner;

  beforeAll(async () => {
    estate = await startHubEstate({
      accountIds: ACCOUNTS,
      regions: REGIONS,
      gpuFamilies: ['g6e', 'p5'],
      quotas: { 'L-3819A6DF': 768, 'L-DB2E81BA': 768, 'L-417A185B': 768, 'L-C4BD4855': 768 },
      spotPrices: { 'g6e.xlarge': 0.6, 'g6e.2xlarge': 0.8, 'g6e.4xlarge': 1.1, 'g6e.12xlarge': 3.2, 'g6e.48xlarge': 9.5, 'p5.48xlarge': 30 },
    });
    const inventory = await estate.inventory();
    for (const cell of estate.cells) {
      const status = inventory.cells.find(c => c.accountId === cell.accountId && c.region === cell.region)!;
      const azIds = Object.values(status.azMap).sort().slice(0, 3);
      for (const object of cellPool(cell, azIds)) await create(object);
    }
    provisioner = await estate.startProvisioner('replica-a');
  });

  afterAll(async () => {
    await estate?.stop();
  });

  async function create(object: KubeObject): Promise<KubeObject> {
    const resources: Record<string, ResourceRef> = {
      Pod: RESOURCES.pods,
      NodePool: RESOURCES.nodePools,
      FabricNodeClass: RESOURCES.fabricNodeClasses,
    };
    return estate.client.create(resources[object.kind!], object);
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (process.env.FABRIC_TEST_PROGRESS) require('node:fs').appendFileSync(process.env.FABRIC_TEST_PROGRESS, `${new Date().toISOString()} ${what}: ${value ? 'done' : 'waiting'}\n`);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise(r => setTimeout(r, 500));
    }
  }

  function gpuPod(name: string, spec: { gpus: number; nodeSelector?: Record<string, string>; labels?: Record<string, string> }): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { 'fabric.cloudspectra.io/placement': 'p-test', ...(spec.labels ?? {}) } },
      spec: {
        containers: [
          {
            name: 'worker',
            image: 'registry.example/worker:1',
            resources: { requests: { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': String(spec.gpus) }, limits: { 'nvidia.com/gpu': String(spec.gpus) } },
          },
        ],
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
      },
    };
  }


  async function podNamed(name: string): Promise<KubeObject | undefined> {
    return estate.client.get<KubeObject>(RESOURCES.pods, name, 'default');
  }

  async function eventsOf(pod: KubeObject, reason: string): Promise<KubeObject[]> {
    const events = (await estate.client.list<KubeObject>(RESOURCES.events, { namespace: 'default' })).items;
    return events.filter(e => e.involvedObject?.uid === pod.metadata.uid && e.reason === reason);
  }

  async function claimsOfPod(uid: string): Promise<KubeObject[]> {
    const claims = (await estate.client.list<KubeObject>(RESOURCES.nodeClaims)).items;
    return claims.filter(c => (c.metadata.annotations?.['fabric.cloudspectra.io/pods'] ?? '').split(',').includes(uid));
  }

  function fleetCalls(): number {
    return estate.proxy.calls().filter(c => c.action === 'CreateFleet').length;
  }

  function gangPod(name: string, gang: string, size: number): KubeObject {
    const pod = gpuPod(name, { gpus: 8, nodeSelector: { 'node.kubernetes.io/instance-type': 'p5.48xlarge' }, labels: { 'fabric.cloudspectra.io/placement': gang } });
    pod.metadata.annotations = { 'fabric.cloudspectra.io/gang-size': String(size), 'fabric.cloudspectra.io/gang-name': gang };
    pod.spec.schedulingGates = [{ name: 'fabric.cloudspectra.io/gang' }];
    return pod;
  }

  it('turns one pending 1-GPU spot pod into a NodeClaim, an instance in the chosen cell, a Node, and a Running pod', async () => {
    const pod = await create(
      gpuPod('one-g6e', { gpus: 1, nodeSelector: { 'karpenter.sh/capacity-type': 'spot', 'node.kubernetes.io/instance-type': 'g6e.xlarge' } }),
    );
    const running = await waitFor('the pod to run', async () => {
      const current = await estate.client.get<KubeObject>(RESOURCES.pods, pod.metadata.name, 'default');
      return current?.status?.phase === 'Running' && current;
    });
    const node = (await estate.client.get<KubeObject>(RESOURCES.nodes, running.spec.nodeName))!;
    const instanceId = /(i-[0-9a-z]+)$/.exec(node.spec.providerID)![1];

    const claims = (await estate.client.list<KubeObject>(RESOURCES.nodeClaims)).items;
    const claim = claims.find(c => c.status?.providerID?.endsWith(instanceId))!;
    expect(claim).toBeDefined();
    expect(claim.metadata.annotations?.['fabric.cloudspectra.io/pods']).toContain(pod.metadata.uid);
    expect(claim.metadata.labels?.['karpenter.sh/capacity-type']).toBe('spot');
    // The price of the offering bought (the estate's g6e.xlarge spot price): the portal's $/h.
    expect(claim.metadata.annotations?.['fabric.cloudspectra.io/price-per-hour']).toBe('0.6');

    const cellValue = claim.metadata.labels!['fabric.cloudspectra.io/cell'];
    const [accountId, region] = cellValue.split('.');
    const instances = await estate.fabricInstances({ accountId, region });
    const instance = instances.find(i => i.InstanceId === instanceId)!;
    expect(instance.InstanceType).toBe('g6e.xlarge');
    expect(instance.Tags?.find(t => t.Key === NODECLAIM_TAG)?.Value).toBe(claim.metadata.name);

    // The node carries the launching account's own AZ name and the AZ-ID; the pod's
    // placement keys on the AZ-ID.
    expect(node.metadata.labels?.['topology.k8s.aws/zone-id']).toBe(instance.Placement?.AvailabilityZoneId ?? claim.metadata.labels?.['topology.k8s.aws/zone-id']);
    expect(node.metadata.labels?.['fabric.cloudspectra.io/cell']).toBe(cellValue);
    expect((node.spec.taints ?? []).map((t: any) => t.key)).not.toContain('fabric.cloudspectra.io/unregistered');
    expect(provisioner.health().leader).toBe(true);

    // The FabricNodeClass says which subnets it resolved, as its CRD's status schema has them.
    const nodeClass = (await estate.client.get<KubeObject>(RESOURCES.fabricNodeClasses, `fabric-${accountId}-${region}`))!;
    expect(nodeClass.status?.subnets).toEqual(expect.arrayContaining([expect.objectContaining({ azId: node.metadata.labels?.['topology.k8s.aws/zone-id'] })]));
    expect(nodeClass.status?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]));
  });
  it('falls back past an offering AWS has no capacity for, in the same batch, and remembers it for 3 minutes', async () => {
    // Every AZ-ID is out of g6e.xlarge spot; the pod allows on-demand too.
    estate.proxy.setRules([{ fault: 'insufficient-capacity', service: 'ec2', action: 'CreateFleet', instanceType: 'g6e.xlarge', capacityType: 'spot' }]);
    try {
      const pod = await create(gpuPod('ice-fallback', { gpus: 1, nodeSelector: { 'node.kubernetes.io/instance-type': 'g6e.xlarge' } }));
      const running = await waitFor('the pod to run', async () => {
        const current = await podNamed(pod.metadata.name);
        return current?.status?.phase === 'Running' && current;
      });
      const node = (await estate.client.get<KubeObject>(RESOURCES.nodes, running.spec.nodeName))!;
      expect(node.metadata.labels?.['karpenter.sh/capacity-type']).toBe('on-demand');
      const remembered = estate.ice.list();
      expect(remembered.some(e => e.instanceType === 'g6e.xlarge' && e.capacityType === 'spot')).toBe(true);
      // The refused claims are gone; one claim stands for the pod, launched on-demand.
      const claims = await claimsOfPod(pod.metadata.uid!);
      expect(claims).toHaveLength(1);
      expect(claims[0].metadata.labels?.['karpenter.sh/capacity-type']).toBe('on-demand');
    } finally {
      estate.proxy.setRules([]);
    }
  });

  it('leaves a pod nothing can hold Pending with an Event and a NodePool condition that say why, and launches nothing for it', async () => {
    const before = fleetCalls();
    const pod = await create(gpuPod('sixteen-gpus', { gpus: 16 }));
    const [event] = await waitFor('the FabricUnschedulable event', async () => {
      const events = await eventsOf(pod, 'FabricUnschedulable');
      return events.length > 0 && events;
    });
    expect(event.message).toMatch(/16 nvidia.com\/gpu/);
    const pools = (await estate.client.list<KubeObject>(RESOURCES.nodePools)).items;
    const conditions = pools.flatMap(p => (p.status?.conditions ?? []) as any[]).filter(c => c.type === 'fabric.cloudspectra.io/PodsSchedulable');
    expect(conditions.some(c => c.status === 'False' && /sixteen-gpus/.test(c.message))).toBe(true);
    // Several lifecycle passes later: still no claim, no launch.
    await new Promise(r => setTimeout(r, 4000));
    expect(await claimsOfPod(pod.metadata.uid!)).toHaveLength(0);
    expect(fleetCalls()).toBe(before);
    expect((await podNamed(pod.metadata.name))?.status?.phase).toBe('Pending');
    await estate.client.delete(RESOURCES.pods, pod.metadata.name, { namespace: 'default', gracePeriodSeconds: 0 });
  });

  it('launches a 4 × p5 gang in one AZ-ID and lifts its gate only once all four nodes are Ready', async () => {
    // The first gang instance that appears is held back from joining.
    let held: string | undefined;
    estate.holdBackJoin(instance => {
      if (instance.tags['fabric.cloudspectra.io/gang'] !== 'gang-a' && !held) return false;
      held ??= instance.instanceId;
      return instance.instanceId === held;
    });
    const pods: KubeObject[] = [];
    for (let i = 0; i < 4; i++) pods.push(await create(gangPod(`gang-a-${i}`, 'gang-a', 4)));
    const instances = await waitFor('four gang instances', async () => {
      const all = (await estate.allFabricInstances()).filter(i => i.Tags?.some(t => t.Key === 'fabric.cloudspectra.io/gang' && t.Value === 'gang-a'));
      return all.length === 4 && all;
    });
    expect(new Set(instances.map(i => i.Placement?.AvailabilityZone)).size).toBe(1);
    expect(new Set(instances.map(i => i.InstanceType))).toEqual(new Set(['p5.48xlarge']));
    // Three of four nodes Ready: every member is still gated.
    await waitFor('three gang nodes', async () => {
      const nodes = (await estate.client.list<KubeObject>(RESOURCES.nodes)).items.filter(n => instances.some(i => n.spec.providerID?.endsWith(i.InstanceId!)));
      return nodes.length === 3 && nodes.every(n => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    });
    await new Promise(r => setTimeout(r, 3000));
    for (const pod of pods) expect((await podNamed(pod.metadata.name))?.spec.schedulingGates).toEqual([{ name: 'fabric.cloudspectra.io/gang' }]);
    // The fourth joins: the gate goes from all members and they run, in one AZ-ID.
    estate.holdBackJoin(undefined);
    const running = await waitFor('all four members to run', async () => {
      const current = await Promise.all(pods.map(p => podNamed(p.metadata.name)));
      return current.every(p => p?.status?.phase === 'Running') && (current as KubeObject[]);
    });
    const nodes = await Promise.all(running.map(p => estate.client.get<KubeObject>(RESOURCES.nodes, p.spec.nodeName)));
    expect(new Set(nodes.map(n => n!.metadata.labels?.['topology.k8s.aws/zone-id'])).size).toBe(1);
  });

  it('launches nothing for a gang only three of whose four nodes exist, and says why', async () => {
    estate.proxy.setRules([{ fault: 'insufficient-capacity', service: 'ec2', action: 'CreateFleet', instanceType: 'p5.48xlarge', available: 3 }]);
    try {
      const before = fleetCalls();
      const pods: KubeObject[] = [];
      for (let i = 0; i < 4; i++) pods.push(await create(gangPod(`gang-b-${i}`, 'gang-b', 4)));
      // The gang is tried on spot in one AZ-ID after another, then on-demand, one refusal
      // at a time; it is refused for good once every AZ-ID has said no both ways.
      const event = await waitFor(
        'the gang to be refused with a reason',
        async () => {
          const events = await eventsOf(pods[0], 'FabricUnschedulable');
          return events.find(e => /^gang gang-b of 4 needs 4 × p5\.48xlarge in one AZ-ID/.test(e.message ?? ''));
        },
        240_000,
      );
      expect(event.message).toMatch(/insufficient capacity until/);
      // AWS was asked (all or nothing, MinTargetCapacity 4) and answered with capacity errors,
      // which the ICE cache now holds for p5.48xlarge.
      expect(fleetCalls()).toBeGreaterThan(before);
      expect(estate.ice.list().some(e => e.instanceType === 'p5.48xlarge')).toBe(true);
      const left = (await estate.allFabricInstances()).filter(i => i.Tags?.some(t => t.Key === 'fabric.cloudspectra.io/gang' && t.Value === 'gang-b'));
      expect(left).toHaveLength(0);
      for (const pod of pods) expect((await podNamed(pod.metadata.name))?.spec.schedulingGates).toEqual([{ name: 'fabric.cloudspectra.io/gang' }]);
      // No launch loop: while the capacity errors are remembered, no further fleet calls.
      const calls = fleetCalls();
      await new Promise(r => setTimeout(r, 4000));
      expect(fleetCalls()).toBe(calls);
      for (const pod of pods) await estate.client.delete(RESOURCES.pods, pod.metadata.name, { namespace: 'default', gracePeriodSeconds: 0 });
    } finally {
      estate.proxy.setRules([]);
    }
  });
  it('runs 200 pending pods of mixed intents over 3 accounts × 2 regions on tightly packed nodes, within every quota', async () => {
    const westCells = estate.cells.filter(c => c.region === 'us-west-2').map(c => `${c.accountId}.${c.region}`);
    const pods: KubeObject[] = [];
    for (let i = 0; i < 144; i++) pods.push(gpuPod(`throughput-${i}`, { gpus: 1, labels: { 'fabric.cloudspectra.io/placement': 'mix-throughput' } }));
    for (let i = 0; i < 48; i++) {
      const pod = gpuPod(`balanced-${i}`, { gpus: 2, labels: { 'fabric.cloudspectra.io/placement': 'mix-balanced' } });
      pod.spec.affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'fabric.cloudspectra.io/cell', operator: 'In', values: westCells }] }],
          },
        },
      };
      pods.push(pod);
    }
    for (const gang of ['mix-gang-1', 'mix-gang-2']) {
      for (let i = 0; i < 4; i++) {
        const pod = gpuPod(`${gang}-${i}`, { gpus: 4, nodeSelector: { 'node.kubernetes.io/instance-type': 'g6e.12xlarge' }, labels: { 'fabric.cloudspectra.io/placement': gang } });
        pod.metadata.annotations = { 'fabric.cloudspectra.io/gang-size': '4', 'fabric.cloudspectra.io/gang-name': gang };
        pod.spec.schedulingGates = [{ name: 'fabric.cloudspectra.io/gang' }];
        pods.push(pod);
      }
    }
    expect(pods).toHaveLength(200);
    const created = [];
    for (const pod of pods) created.push(await create(pod));
    const names = new Set(created.map(p => p.metadata.name));

    const running = await waitFor(
      'all 200 pods to run',
      async () => {
        const list = (await estate.client.list<KubeObject>(RESOURCES.pods, { namespace: 'default' })).items.filter(p => names.has(p.metadata.name));
        return list.length === 200 && list.every(p => p.status?.phase === 'Running') && list;
      },
      // A loaded 2-core machine takes from 3 to well over 8 minutes here (launches are paced
      // like EC2's per account × region); this is a bound on the wait, not a speed claim.
      1_020_000,
    );

    // Tight packing: per instance type chosen, no more nodes than its pods' requests need, + 10 %.
    const nodes = new Map(((await estate.client.list<KubeObject>(RESOURCES.nodes)).items).map(n => [n.metadata.name, n]));
    const byType = new Map<string, { nodes: Set<string>; gpus: number; cpu: number; allocGpus: number; allocCpu: number }>();
    for (const pod of running) {
      const node = nodes.get(pod.spec.nodeName)!;
      const type = node.metadata.labels!['node.kubernetes.io/instance-type'];
      const entry = byType.get(type) ?? { nodes: new Set(), gpus: 0, cpu: 0, allocGpus: Number(node.status.allocatable['nvidia.com/gpu']), allocCpu: parseInt(node.status.allocatable.cpu, 10) };
      entry.nodes.add(node.metadata.name);
      entry.gpus += Number(pod.spec.containers[0].resources.requests['nvidia.com/gpu']);
      entry.cpu += 2;
      byType.set(type, entry);
    }
    for (const [type, entry] of byType) {
      const needed = Math.max(Math.ceil(entry.gpus / entry.allocGpus), Math.ceil(entry.cpu / entry.allocCpu));
      expect({ type, nodes: entry.nodes.size }).toEqual({ type, nodes: Math.min(entry.nodes.size, Math.ceil(needed * 1.1)) });
    }
    // The balanced pods all run in us-west-2; the gangs each in one AZ-ID.
    for (const pod of running.filter(p => p.metadata.name.startsWith('balanced-'))) {
      expect(westCells).toContain(nodes.get(pod.spec.nodeName)!.metadata.labels!['fabric.cloudspectra.io/cell']);
    }
    for (const gang of ['mix-gang-1', 'mix-gang-2']) {
      const zones = new Set(running.filter(p => p.metadata.name.startsWith(gang)).map(p => nodes.get(p.spec.nodeName)!.metadata.labels!['topology.k8s.aws/zone-id']));
      expect(zones.size).toBe(1);
    }

    // No cell over its vCPU quota (768 per class), no instance without a NodeClaim.
    const claims = new Set((await estate.client.list<KubeObject>(RESOURCES.nodeClaims)).items.map(c => c.metadata.name));
    const inventory = await estate.inventory();
    const vcpusOf = new Map(inventory.instanceTypes.map(t => [t.instanceType, t.vcpus]));
    const perClass = new Map<string, number>();
    for (const instance of await estate.allFabricInstances()) {
      expect(claims).toContain(instance.Tags?.find(t => t.Key === NODECLAIM_TAG)?.Value);
      const spot = instance.InstanceLifecycle === 'spot';
      const key = `${instance.cell.accountId}.${instance.cell.region}.${instance.InstanceType!.split('.')[0]}.${spot ? 'spot' : 'on-demand'}`;
      perClass.set(key, (perClass.get(key) ?? 0) + vcpusOf.get(instance.InstanceType!)!);
    }
    for (const [key, vcpus] of perClass) expect({ key, withinQuota: vcpus <= 768 }).toEqual({ key, withinQuota: true });
    // Every cell took part.
    expect(new Set([...perClass.keys()].map(k => k.split('.').slice(0, 2).join('.'))).size).toBeGreaterThanOrEqual(4);

    for (const pod of created) await estate.client.delete(RESOURCES.pods, pod.metadata.name, { namespace: 'default', gracePeriodSeconds: 0 });
  }, 1_200_000);

  it('replaces an interrupted spot node before draining it, and its pods run again', async () => {
    const template = gpuPod('unused', { gpus: 1, nodeSelector: { 'karpenter.sh/capacity-type': 'spot' }, labels: { 'fabric.cloudspectra.io/placement': 'interrupted', app: 'interrupted' } });
    await estate.plane.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'interrupted', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'interrupted' } },
        template: { metadata: { labels: template.metadata.labels }, spec: template.spec },
      },
    });
    const listPods = async () =>
      (await estate.client.list<KubeObject>(RESOURCES.pods, { namespace: 'default', labelSelector: 'app=interrupted' })).items;
    const [first] = await waitFor('the workload to run', async () => {
      const pods = await listPods();
      return pods.length === 1 && pods[0].status?.phase === 'Running' && pods;
    });
    const oldNode = (await estate.client.get<KubeObject>(RESOURCES.nodes, first.spec.nodeName))!;
    const instanceId = /(i-[0-9a-z]+)$/.exec(oldNode.spec.providerID)![1];
    const claimsBefore = new Set((await estate.client.list<KubeObject>(RESOURCES.nodeClaims)).items.map(c => c.metadata.name));

    estate.interrupt(instanceId);

    // The moment the old pod is evicted, a replacement claim is already Ready.
    const readyReplacementAtEviction = await waitFor('the old pod to be evicted', async () => {
      const pod = await estate.client.get<KubeObject>(RESOURCES.pods, first.metadata.name, 'default');
      if (pod && !pod.metadata.deletionTimestamp) return false;
      const claims = (await estate.client.list<KubeObject>(RESOURCES.nodeClaims)).items.filter(c => !claimsBefore.has(c.metadata.name));
      return { ready: claims.filter(c => c.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True')).length };
    });
    expect(readyReplacementAtEviction.ready).toBeGreaterThanOrEqual(1);

    // The Deployment's new pod runs, not on the interrupted node, and the old instance is gone.
    await waitFor('the pod to run again', async () => {
      const pods = (await listPods()).filter(p => !p.metadata.deletionTimestamp);
      return pods.length === 1 && pods[0].status?.phase === 'Running' && pods[0].spec.nodeName !== oldNode.metadata.name;
    });
    await waitFor('the interrupted instance to be terminated', async () => !(await estate.allFabricInstances()).some(i => i.InstanceId === instanceId));
    await estate.plane.request('DELETE', '/apis/apps/v1/namespaces/default/deployments/interrupted');
  });

  it('runs as one leader among two replicas, and the standby takes over when the leader stops, with no double launch', async () => {
    const standby = await estate.startProvisioner('replica-b');
    await new Promise(r => setTimeout(r, 2000));
    expect([provisioner.isLeader(), standby.isLeader()]).toEqual([true, false]);

    // A type no earlier test uses, so the pods cannot run on a node left over from them.
    const only4x = { 'node.kubernetes.io/instance-type': 'g6e.4xlarge' };
    const first = await create(gpuPod('while-two-run', { gpus: 1, nodeSelector: only4x }));
    await waitFor('the pod to run', async () => (await podNamed(first.metadata.name))?.status?.phase === 'Running');
    expect(await claimsOfPod(first.metadata.uid!)).toHaveLength(1);

    // The leader dies without releasing the Lease: the standby waits it out, then leads.
    await provisioner.stop({ release: false });
    await waitFor('the standby to lead', async () => standby.isLeader(), 60_000);
    const second = await create(gpuPod('after-takeover', { gpus: 1, nodeSelector: only4x }));
    await waitFor('the pod to run', async () => (await podNamed(second.metadata.name))?.status?.phase === 'Running');
    expect(await claimsOfPod(second.metadata.uid!)).toHaveLength(1);
    expect(await claimsOfPod(first.metadata.uid!)).toHaveLength(1);
    provisioner = standby;
  });

  it('resumes a launch cut short by a killed controller without a duplicate instance, and collects orphans', async () => {
    // The in-process leader steps aside; `fabric controller` runs as its own process.
    await provisioner.stop({ release: true });
    const configFile = writeControllerConfig();
    // Hold the first fleet request long enough to kill the controller while it waits.
    estate.proxy.setRules([{ fault: 'timeout', service: 'ec2', action: 'CreateFleet', holdMs: 20_000, count: 1 }]);
    let controller = startController(configFile, 'controller-1');
    try {
      // A type no other test uses, so the pod cannot run on a node left over from them.
      const pod = await create(gpuPod('killed-mid-launch', { gpus: 1, nodeSelector: { 'node.kubernetes.io/instance-type': 'g6e.2xlarge' } }));
      await waitFor('the held fleet request', async () => estate.proxy.calls().some(c => c.action === 'CreateFleet' && c.fault === 'timeout'), 180_000);
      controller.kill('SIGKILL');
      const [claim] = await waitFor('the claim left behind', async () => {
        const claims = await claimsOfPod(pod.metadata.uid!);
        return claims.length === 1 && claims;
      });
      expect(claim.status?.providerID).toBeUndefined();

      // An instance the fabric launched whose claim never came to be: an orphan.
      const cell = estate.cells[0];
      const orphan = await estate.ec2(cell).send(
        new RunInstancesCommand({
          ImageId: 'ami-03cf127a',
          InstanceType: 'g6e.xlarge',
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: OWNER_TAG, Value: OWNER }, { Key: NODECLAIM_TAG, Value: 'never-recorded' }] }],
        }),
      );
      const orphanId = orphan.Instances![0].InstanceId!;

      controller = startController(configFile, 'controller-2');
      await waitFor('the pod to run', async () => (await podNamed(pod.metadata.name))?.status?.phase === 'Running', 180_000);
      const launched = await estate.client.get<KubeObject>(RESOURCES.nodeClaims, claim.metadata.name);
      expect(launched?.status?.providerID).toMatch(/i-[0-9a-z]+$/);
      const claims = await claimsOfPod(pod.metadata.uid!);
      expect(claims.map(c => c.metadata.name)).toEqual([claim.metadata.name]);
      const tagged = (await estate.allFabricInstances()).filter(i => i.Tags?.some(t => t.Key === NODECLAIM_TAG && t.Value === claim.metadata.name));
      expect(tagged).toHaveLength(1);
      await waitFor('the orphan to be terminated', async () => !(await estate.allFabricInstances()).some(i => i.InstanceId === orphanId), 120_000);
    } finally {
      estate.proxy.setRules([]);
      controller.kill('SIGTERM');
      await new Promise(r => controller.once('exit', r));
    }
    provisioner = await estate.startProvisioner('replica-c');
    await waitFor('the new replica to lead', async () => provisioner.isLeader(), 60_000);
  });

  it('terminates empty nodes after consolidateAfter once the workload is gone, leaving no orphans', async () => {
    const pods = (await estate.client.list<KubeObject>(RESOURCES.pods, { namespace: 'default' })).items;
    for (const pod of pods) await estate.client.delete(RESOURCES.pods, pod.metadata.name, { namespace: 'default', gracePeriodSeconds: 0 });
    await waitFor(
      'every fabric instance to be terminated',
      async () => (await estate.allFabricInstances()).length === 0,
      600_000,
    );
    await waitFor('every NodeClaim and Node to go', async () => {
      const claims = (await estate.client.list<KubeObject>(RESOURCES.nodeClaims)).items;
      const nodes = (await estate.client.list<KubeObject>(RESOURCES.nodes)).items;
      return claims.length === 0 && nodes.length === 0;
    });
  });

  const controllers: string[] = [];
  function writeControllerConfig(): string {
    const dir = mkdtempSync(join(tmpdir(), 'fabric-controller-'));
    const file = join(dir, 'app-config.controller.yaml');
    const config = {
      fabric: {
        estate: {
          source: 'aws',
          mode: 'apply',
          defaultRegions: REGIONS,
          gpuFamilies: ['g6e', 'p5'],
          accounts: ACCOUNTS.map(id => ({ id, name: `member-${id}`, roleArn: `arn:aws:iam::${id}:role/fabric-member`, externalId: EXTERNAL_ID })),
        },
        aws: { endpoint: estate.proxy.endpoint, maxAttempts: 2 },
        hub: { clusterName: OWNER, kubernetes: { url: estate.plane.server, token: estate.plane.token, insecureSkipTlsVerify: true } },
        provisioner: {
          enabled: true,
          leaseDurationSeconds: 6,
          batchIdleSeconds: 0.3,
          batchMaxSeconds: 3,
          lifecycleIntervalSeconds: 1,
          garbageCollectionGraceSeconds: 10,
          garbageCollectionIntervalSeconds: 3,
          imageIds: { 'us-east-1': 'ami-03cf127a', 'us-west-2': 'ami-03cf127a' },
        },
      },
    };
    // JSON is YAML.
    writeFileSync(file, JSON.stringify(config, null, 2));
    return file;
  }

  function startController(configFile: string, identity: string): ChildProcess {
    const bin = resolve(__dirname, '../../../../packages/fabric-cli/bin/fabric');
    const child = spawn(process.execPath, [bin, 'controller', '--config', configFile, '--identity', identity], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'hub-access-key', AWS_SECRET_ACCESS_KEY: 'hub-secret', AWS_REGION: 'us-east-1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', chunk => controllers.push(String(chunk)));
    child.stderr!.on('data', chunk => controllers.push(String(chunk)));
    return child;
  }
});
