import { KubeObject, RESOURCES } from '../kubernetes/KubernetesClient';
import { cellPool, HubEstate, startHubEstate } from './__testUtils__/hubEstate';
import { Provisioner } from './controller/Provisioner';
import { NODECLAIM_TAG } from './types';

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
      spotPrices: { 'g6e.xlarge': 0.6, 'g6e.2xlarge': 0.8, 'g6e.12xlarge': 3.2, 'g6e.48xlarge': 9.5, 'p5.48xlarge': 30 },
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
    const resourceOf: Record<string, (typeof RESOURCES)[keyof typeof RESOURCES]> = { Pod: RESOURCES.pods, NodePool: RESOURCES.nodePools };
    const resource = resourceOf[object.kind ?? ''] ?? RESOURCES.fabricNodeClasses;
    return estate.client.create(resource, object);
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
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
});
