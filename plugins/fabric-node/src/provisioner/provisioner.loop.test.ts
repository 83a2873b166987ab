import { KubeObject, ResourceRef, RESOURCES } from '../kubernetes/KubernetesClient';
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
});
