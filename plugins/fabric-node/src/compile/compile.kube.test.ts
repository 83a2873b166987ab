import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { promisify } from 'node:util';
import { ChosenOffering, Inventory, Placement } from '@internal/backstage-plugin-fabric-common';
import { ControlPlane, startControlPlane } from '@internal/fabric-test-tooling';
import { KubernetesApiError, KubernetesApplier, KubernetesObject } from '../kubernetes';
import { demoPlacements } from './__testUtils__/demoPlacements';
import { CompiledPlacement, compiledObjects, compilePlacement } from './compilePlacement';
import {
  CAPACITY_TYPE_LABEL,
  CELL_LABEL,
  cellLabelValue,
  INSTANCE_TYPE_LABEL,
  ISLAND_LABEL,
  ZONE_ID_LABEL,
  ZONE_NAME_LABEL,
} from './labels';
import { toYaml, toYamlDocument } from './toYaml';

// The kube step of `npm test` builds the plane; a cold build here would take minutes.
jest.setTimeout(15 * 60_000);

// The demo estate's hub: its cells compile to EC2NodeClasses, the others to FabricNodeClasses.
const options = { clusterName: 'fabric-hub', nodeRoleName: 'KarpenterNodeRole-fabric-hub', hubAccountId: '111111111111' };
const FABRIC_NODE_CLASS_CRD = 'fabricnodeclasses.fabric.cloudspectra.io';
const FABRIC_NODE_CLASS_CRD_FILE = resolvePath(__dirname, '../../../../deploy/crds/fabric.cloudspectra.io_fabricnodeclasses.yaml');
const TEST_LABEL = 'fabric-test/case';

describe('compiled placements against a real kube-apiserver (Karpenter CRDs) and kube-scheduler', () => {
  let plane: ControlPlane;
  let applier: KubernetesApplier;
  const { inventory, placements } = demoPlacements();
  const compiled = Object.fromEntries(
    Object.entries(placements).map(([intent, p]) => [intent, compilePlacement(p, inventory, options)]),
  ) as Record<string, CompiledPlacement>;

  beforeAll(async () => {
    plane = await startControlPlane();
    applier = new KubernetesApplier({ server: plane.server, token: plane.token, insecureSkipTlsVerify: true });
    await ensureFabricNodeClassCrd();
  });

  /** The plane installs the repo's CRDs; an older plane gets the FabricNodeClass CRD from deploy/crds here. */
  async function ensureFabricNodeClassCrd() {
    if (plane.crds.includes(FABRIC_NODE_CLASS_CRD)) return;
    if (!existsSync(FABRIC_NODE_CLASS_CRD_FILE)) {
      throw new Error(`The FabricNodeClass CRD is neither on the test plane nor in ${FABRIC_NODE_CLASS_CRD_FILE}`);
    }
    const { stdout } = await promisify(execFile)(plane.binary, ['yaml2json', FABRIC_NODE_CLASS_CRD_FILE]);
    const created = await plane.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', JSON.parse(stdout));
    expect(created.status).toBe(201);
    for (let attempt = 0; ; attempt++) {
      const read = await plane.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${FABRIC_NODE_CLASS_CRD}`);
      const conditions: Array<{ type: string; status: string }> = read.body?.status?.conditions ?? [];
      if (conditions.some(c => c.type === 'Established' && c.status === 'True')) return;
      if (attempt > 300) throw new Error(`CRD ${FABRIC_NODE_CLASS_CRD} never became Established`);
      await new Promise(r => setTimeout(r, 100));
    }
  }

  afterAll(async () => {
    await plane?.stop();
  });

  describe('(a) every NodePool, EC2NodeClass and FabricNodeClass passes the CRDs, CEL rules included', () => {
    it.each(Object.keys(placements))('%s', async intent => {
      const { nodePools, ec2NodeClasses, fabricNodeClasses } = compiled[intent];
      expect(nodePools).toHaveLength(ec2NodeClasses.length + fabricNodeClasses.length);
      for (const object of compiledObjects(compiled[intent])) {
        const applied = await applier.apply(object as unknown as KubernetesObject);
        expect(applied.metadata.name).toBe(object.metadata.name);
      }
      for (const nodeClass of ec2NodeClasses) {
        const read = await applier.get<any>(nodeClass as unknown as KubernetesObject);
        expect(read.spec.networkInterfaces).toEqual(nodeClass.spec.networkInterfaces);
        expect(read.spec.placementGroupSelector).toEqual(nodeClass.spec.placementGroupSelector);
        expect(read.spec.capacityReservationSelectorTerms).toEqual(nodeClass.spec.capacityReservationSelectorTerms);
      }
      for (const nodeClass of fabricNodeClasses) {
        // Read back whole: the structural schema would prune any field the CRD does not know.
        const read = await applier.get<any>(nodeClass as unknown as KubernetesObject);
        expect(read.spec).toEqual(nodeClass.spec);
      }
      for (const pool of nodePools) {
        const read = await applier.get<any>(pool as unknown as KubernetesObject);
        expect(read.spec.template.spec.nodeClassRef).toEqual(pool.spec.template.spec.nodeClassRef);
        expect(read.spec.template.spec.startupTaints).toEqual(pool.spec.template.spec.startupTaints);
        expect(read.spec.disruption).toEqual(pool.spec.disruption);
        expect(read.spec.limits).toEqual(pool.spec.limits);
        expect(read.spec.template.spec.requirements).toEqual(pool.spec.template.spec.requirements);
      }
      // Applying the same compilation again changes nothing.
      const again = await applier.apply<any>(nodePools[0] as unknown as KubernetesObject);
      const before = await applier.get<any>(nodePools[0] as unknown as KubernetesObject);
      expect(again.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    });

    it('a member account\'s gang class names its island with the shared placement group id, and the CRD takes it', async () => {
      const gang = compilePlacement(placements['tightly-coupled'], inventory, {
        ...options,
        island: { id: 'island-7', placementGroupId: 'pg-0123456789abcdef0' },
      });
      const [member] = gang.fabricNodeClasses;
      expect(member.spec).toMatchObject({ island: 'island-7', placementGroupId: 'pg-0123456789abcdef0' });
      for (const object of compiledObjects(gang)) await applier.apply(object as unknown as KubernetesObject);
      const read = await applier.get<any>(member as unknown as KubernetesObject);
      expect(read.spec).toEqual(member.spec);
    });

    it('the CRD really checks: a primary EFA-only interface is refused by its CEL rule', async () => {
      const nodeClass = structuredClone(compiled['tightly-coupled'].ec2NodeClasses[0]);
      nodeClass.metadata.name = 'broken-primary';
      nodeClass.spec.networkInterfaces![0].interfaceType = 'efa-only';
      const error = await applier.apply(nodeClass as unknown as KubernetesObject).catch(e => e);
      expect(error).toBeInstanceOf(KubernetesApiError);
      expect(error.statusCode).toBe(422);
      expect(error.message).toMatch(/must include a primary interface with interfaceType='interface'/);
    });

    it('toYaml output is what the objects are: sigs.k8s.io/yaml reads it back, and the apiserver applies it', async () => {
      const objects = [...compiledObjects(compiled['tightly-coupled']), compiled.throughput.podScheduling];
      const dir = await mkdtemp(join(tmpdir(), 'fabric-yaml-'));
      try {
        const file = join(dir, 'placement.yaml');
        await writeFile(file, toYaml(objects));
        const { stdout } = await promisify(execFile)(plane.binary, ['yaml2json', file], { maxBuffer: 16 << 20 });
        expect(JSON.parse(stdout)).toEqual(JSON.parse(JSON.stringify(objects)));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      const nodePool = { ...compiled.balanced.nodePools[0], metadata: { ...compiled.balanced.nodePools[0].metadata, name: 'from-yaml' } };
      const response = await plane.request(
        'PATCH',
        '/apis/karpenter.sh/v1/nodepools/from-yaml?fieldManager=fabric-test&force=true',
        toYamlDocument(nodePool),
        { 'Content-Type': 'application/apply-patch+yaml' },
      );
      expect(response.status).toBe(201);
      expect(response.body.spec.limits).toEqual(nodePool.spec.limits);
    });
  });

  describe('(b) the real scheduler binds pods only where the placement put capacity', () => {
    afterEach(async () => {
      await cleanUp();
    });

    it.each(['throughput', 'balanced'])('%s', async intent => {
      const placement = placements[intent];
      const { intended, decoys } = await createNodes(intent, placement, inventory);
      expect(decoys.length).toBeGreaterThan(0);
      const pods = await createPods(intent, placement, compiled[intent], intended.length);

      const bound = await waitForBinding(intent, pods.length);
      const intendedNames = intended.map(n => n.name);
      for (const pod of bound) expect(intendedNames).toContain(pod.spec.nodeName);
      // Every planned node got exactly one pod: the spread the plan chose is the one that ran.
      expect(new Set(bound.map(p => p.spec.nodeName)).size).toBe(intended.length);
      const chosenAzIds = new Set(placement.chosen.map(c => c.azId));
      for (const pod of bound) {
        const node = intended.find(n => n.name === pod.spec.nodeName)!;
        expect(chosenAzIds.has(node.labels[ZONE_ID_LABEL])).toBe(true);
      }

      // Control: the decoys are real, schedulable capacity. A pod keyed on the AZ *name*
      // (and type and capacity type) instead of the AZ-ID and cell lands on one of them.
      const c = placement.chosen[0];
      const sameNameDecoys = decoys.filter(d => d.labels[ZONE_NAME_LABEL] === c.azName && d.labels[ZONE_ID_LABEL] !== c.azId);
      expect(sameNameDecoys.length).toBeGreaterThan(0);
      await applier.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${intent}-name-keyed`, namespace: 'default', labels: { [TEST_LABEL]: `${intent}-control` } },
        spec: {
          nodeSelector: { [ZONE_NAME_LABEL]: c.azName, [INSTANCE_TYPE_LABEL]: c.instanceType, [CAPACITY_TYPE_LABEL]: c.capacityType },
          tolerations: compiled[intent].podScheduling.tolerations,
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'worker', image: 'registry.k8s.io/pause:3.10', resources: { limits: { 'nvidia.com/gpu': '1' } } }],
        },
      });
      const [control] = await waitForBinding(`${intent}-control`, 1);
      expect(decoys.map(d => d.name)).toContain(control.spec.nodeName);
    });
  });

  describe('(c) a gang waits behind its scheduling gate, then binds whole in one AZ-ID', () => {
    afterAll(async () => {
      await cleanUp();
    });

    it('tightly-coupled', async () => {
      const intent = 'tightly-coupled';
      const placement = placements[intent];
      const { intended, decoys } = await createNodes(intent, placement, inventory);
      expect(decoys.length).toBeGreaterThan(0);
      const pods = await createPods(intent, placement, compiled[intent], intended.length);
      expect(pods[0].spec.schedulingGates).toEqual([{ name: 'fabric.cloudspectra.io/gang' }]);

      // Gated: the scheduler does not even try. Check for a while, not once.
      for (let i = 0; i < 6; i++) {
        await sleep(500);
        const listed = await listPods(intent);
        expect(listed.filter(p => p.spec.nodeName)).toEqual([]);
      }
      const gated = await listPods(intent);
      for (const pod of gated) {
        expect(pod.status.conditions).toContainEqual(
          expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }),
        );
      }

      // The provider releases the whole gang at once; gates can only be removed.
      for (const pod of pods) {
        const response = await plane.request(
          'PATCH',
          `/api/v1/namespaces/default/pods/${pod.metadata.name}`,
          JSON.stringify({ spec: { schedulingGates: [] } }),
          { 'Content-Type': 'application/merge-patch+json' },
        );
        expect(response.status).toBe(200);
      }
      const bound = await waitForBinding(intent, pods.length);
      const nodes = bound.map(p => intended.find(n => n.name === p.spec.nodeName));
      expect(nodes.every(Boolean)).toBe(true);
      expect(new Set(nodes.map(n => n!.labels[ZONE_ID_LABEL]))).toEqual(new Set(['use1-az4']));
      expect(new Set(bound.map(p => p.spec.nodeName)).size).toBe(pods.length);
    });
  });

  type DecoyShape = Omit<ChosenOffering, 'nodes' | 'gpus' | 'score' | 'scoreBreakdown' | 'pricePerHour'>;

  interface TestNode {
    name: string;
    labels: Record<string, string>;
  }

  /**
   * One node per planned node, labelled as Karpenter and EKS label them, plus decoys a
   * name-keyed or loosely-keyed placement would fall for:
   * - another account's node whose AZ *name* is the chosen one but whose AZ-ID is not;
   * - the chosen cell, AZ-ID and type, but the wrong capacity type;
   * - a chosen cell in a chosen AZ-ID the plan did not pair with that cell.
   * Decoys have twice the GPUs, so the scheduler's own scoring would prefer them.
   */
  async function createNodes(testCase: string, placement: Placement, inv: Inventory) {
    const intended: TestNode[] = [];
    const decoys: TestNode[] = [];
    const island = compiled[testCase].podScheduling.labels[ISLAND_LABEL];
    let index = 0;
    const planned = (o: DecoyShape) =>
      placement.chosen.some(
        x => x.accountId === o.accountId && x.azId === o.azId && x.instanceType === o.instanceType && x.capacityType === o.capacityType,
      );
    const decoyKeys = new Set<string>();
    const add = async (list: TestNode[], o: DecoyShape, gpuFactor: number) => {
      if (list === decoys) {
        // A decoy must differ from every planned offering, and from the other decoys.
        const key = `${o.accountId}|${o.azId}|${o.instanceType}|${o.capacityType}`;
        if (planned(o) || decoyKeys.has(key)) return;
        decoyKeys.add(key);
      }
      const info = inv.instanceTypes.find(t => t.instanceType === o.instanceType)!;
      const name = `${testCase}-${list === intended ? 'n' : 'decoy'}-${index++}`;
      const labels: Record<string, string> = {
        [TEST_LABEL]: testCase,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        [ZONE_ID_LABEL]: o.azId,
        [ZONE_NAME_LABEL]: o.azName,
        [CAPACITY_TYPE_LABEL]: o.capacityType,
        [INSTANCE_TYPE_LABEL]: o.instanceType,
        [CELL_LABEL]: cellLabelValue(o),
        ...(island ? { [ISLAND_LABEL]: island } : {}),
      };
      const taints = [
        { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' },
        ...(island ? [{ key: ISLAND_LABEL, value: island, effect: 'NoSchedule' }] : []),
      ];
      await applier.create({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: { taints } });
      const resources = {
        cpu: String(info.vcpus),
        memory: `${info.memoryMiB}Mi`,
        pods: '110',
        'nvidia.com/gpu': String(info.acceleratorCount * gpuFactor),
      };
      const now = new Date().toISOString();
      const status = await plane.request(
        'PATCH',
        `/api/v1/nodes/${name}/status`,
        JSON.stringify({
          status: {
            capacity: resources,
            allocatable: resources,
            conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test node', lastHeartbeatTime: now, lastTransitionTime: now }],
          },
        }),
        { 'Content-Type': 'application/merge-patch+json' },
      );
      expect(status.status).toBe(200);
      list.push({ name, labels });
    };

    for (const c of placement.chosen) {
      for (let i = 0; i < c.nodes; i++) await add(intended, c, 1);
    }

    const chosenCells = [...new Set(placement.chosen.map(c => `${c.accountId}|${c.region}`))];
    for (const c of placement.chosen) {
      // Same AZ name in another account: a different physical zone.
      const other = inv.cells.find(
        cell => cell.region === c.region && cell.accountId !== c.accountId && cell.azMap[c.azName] && cell.azMap[c.azName] !== c.azId,
      );
      if (other) {
        await add(decoys, { ...c, accountId: other.accountId, azId: other.azMap[c.azName] }, 2);
      }
      await add(decoys, { ...c, capacityType: c.capacityType === 'spot' ? 'on-demand' : 'spot' }, 2);
      for (const key of chosenCells) {
        const [accountId, region] = key.split('|');
        if (region === c.region) {
          const azMap = inv.cells.find(x => x.accountId === accountId && x.region === region)!.azMap;
          const azName = Object.entries(azMap).find(([, id]) => id === c.azId)?.[0];
          if (azName) await add(decoys, { ...c, accountId, azName }, 2);
        }
      }
    }
    return { intended, decoys };
  }

  async function createPods(testCase: string, placement: Placement, artifacts: CompiledPlacement, count: number) {
    const scheduling = artifacts.podScheduling;
    const gpusPerNode = placement.chosen[0].gpus / placement.chosen[0].nodes;
    const pods: any[] = [];
    for (let i = 0; i < count; i++) {
      const gpu = String(gpusPerNode);
      pods.push(
        await applier.create<any>({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${testCase}-worker-${i}`,
            namespace: artifacts.namespace,
            labels: { ...scheduling.labels, [TEST_LABEL]: testCase },
          },
          spec: {
            ...(scheduling.nodeSelector ? { nodeSelector: scheduling.nodeSelector } : {}),
            affinity: scheduling.affinity,
            tolerations: scheduling.tolerations,
            ...(scheduling.topologySpreadConstraints ? { topologySpreadConstraints: scheduling.topologySpreadConstraints } : {}),
            ...(scheduling.schedulingGates ? { schedulingGates: scheduling.schedulingGates } : {}),
            terminationGracePeriodSeconds: 0,
            containers: [
              {
                name: 'worker',
                image: 'registry.k8s.io/pause:3.10',
                resources: {
                  requests: { cpu: '100m', memory: '128Mi', 'nvidia.com/gpu': gpu },
                  limits: { 'nvidia.com/gpu': gpu },
                },
              },
            ],
          },
        }),
      );
    }
    return pods;
  }

  async function listPods(testCase: string): Promise<any[]> {
    const response = await plane.request('GET', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`${TEST_LABEL}=${testCase}`)}`);
    expect(response.status).toBe(200);
    return response.body.items;
  }

  async function waitForBinding(testCase: string, count: number): Promise<any[]> {
    const deadline = Date.now() + 30_000;
    let pods: any[] = [];
    while (Date.now() < deadline) {
      pods = await listPods(testCase);
      if (pods.length === count && pods.every(p => p.spec.nodeName)) return pods;
      await sleep(250);
    }
    const pending = pods.filter(p => !p.spec.nodeName).map(p => `${p.metadata.name}: ${JSON.stringify(p.status.conditions)}`);
    throw new Error(`pods not bound within 30 s:\n${pending.join('\n')}`);
  }

  async function cleanUp() {
    const selector = encodeURIComponent(TEST_LABEL);
    const pods = await plane.request('DELETE', `/api/v1/namespaces/default/pods?labelSelector=${selector}&gracePeriodSeconds=0`);
    const nodes = await plane.request('DELETE', `/api/v1/nodes?labelSelector=${selector}`);
    expect([pods.status, nodes.status]).toEqual([200, 200]);
  }
});

function sleep(ms: number) {
  return new Promise(resolve => setTimeout(resolve, ms));
}
