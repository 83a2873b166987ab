/* eslint-disable no-console */
// Pending-to-Running latency of the whole provisioner loop on one machine, every peer real
// as in the provisioner's end-to-end tests: a kube-apiserver + kube-scheduler hub cluster
// with KWOK as the kubelet, moto behind the fault proxy (Service Quotas, spot prices,
// per-account AZ names) with 3 member accounts × 2 regions reached through AssumeRole, and
// node join turning each launched instance into a Node. 200 GPU pods are created at once;
// each pod's latency is from its creation to the moment it is seen Running.
//
// What it includes: batching (1 s idle), decide, NodeClaim writes, CreateFleet through the
// token buckets sized like EC2's (2 launches/s per account × region), node join's 1 s poll,
// KWOK's node start and the scheduler. What it does not: a real instance boot (minutes on
// EC2) or a real kubelet.
import { KubeObject, RESOURCES } from '../src/kubernetes/KubernetesClient';
import { cellPool, startHubEstate } from '../src/provisioner/__testUtils__/hubEstate';
import { benchContext, describeMachine, median, quantile, TableRow, writeResults } from './benchKit';

const context = benchContext();
const PODS = context.quick ? 60 : 200;

async function main() {
  console.log(`provisioner pending → Running, ${PODS} pods, ${context.quick ? 'quick' : 'full'} mode`);
  console.log(`machine: ${describeMachine(context.machine)}; commit ${context.commit}`);
  const estate = await startHubEstate({
    accountIds: ['222222222222', '333333333333', '444444444444'],
    regions: ['us-east-1', 'us-west-2'],
    gpuFamilies: ['g6e'],
    quotas: { 'L-3819A6DF': 768, 'L-DB2E81BA': 768 },
    spotPrices: { 'g6e.xlarge': 0.6, 'g6e.2xlarge': 0.8, 'g6e.4xlarge': 1.1, 'g6e.12xlarge': 3.2, 'g6e.48xlarge': 9.5 },
  });
  try {
    const inventory = await estate.inventory();
    for (const cell of estate.cells) {
      const status = inventory.cells.find(c => c.accountId === cell.accountId && c.region === cell.region)!;
      for (const object of cellPool(cell, Object.values(status.azMap).sort().slice(0, 3))) {
        const resource = object.kind === 'NodePool' ? RESOURCES.nodePools : RESOURCES.fabricNodeClasses;
        await estate.client.create(resource, object);
      }
    }
    await estate.startProvisioner('bench');

    const createdAt = new Map<string, number>();
    const started = Date.now();
    for (let i = 0; i < PODS; i++) {
      const name = `latency-${i}`;
      await estate.client.create(RESOURCES.pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', labels: { 'fabric.cloudspectra.io/placement': 'latency' } },
        spec: {
          containers: [{ name: 'worker', image: 'registry.example/worker:1', resources: { requests: { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } } }],
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        },
      });
      createdAt.set(name, Date.now());
    }
    const runningAt = new Map<string, number>();
    const deadline = Date.now() + 900_000;
    while (runningAt.size < PODS && Date.now() < deadline) {
      const pods = (await estate.client.list<KubeObject>(RESOURCES.pods, { namespace: 'default', labelSelector: 'fabric.cloudspectra.io/placement=latency' })).items;
      const now = Date.now();
      for (const pod of pods) if (pod.status?.phase === 'Running' && !runningAt.has(pod.metadata.name)) runningAt.set(pod.metadata.name, now);
      await new Promise(r => setTimeout(r, 250));
    }
    const latencies = [...runningAt].map(([name, at]) => (at - createdAt.get(name)!) / 1000);
    const wall = (Math.max(...runningAt.values()) - started) / 1000;
    const p50 = median(latencies);
    const p95 = quantile(latencies, 0.95);
    const claims = (await estate.client.list<KubeObject>(RESOURCES.nodeClaims)).items.length;
    console.log(
      `${runningAt.size}/${PODS} pods Running; pending → Running p50 ${p50.toFixed(1)} s, p95 ${p95.toFixed(1)} s, max ${Math.max(...latencies).toFixed(1)} s; ` +
        `all Running ${wall.toFixed(1)} s after the first was created; ${claims} NodeClaims`,
    );
    const table: TableRow[] = [
      {
        case: `provisioner pending → Running, ${PODS} pods, 3 accounts × 2 regions (test plane + moto)`,
        figure: `p50 ${p50.toFixed(1)} s, p95 ${p95.toFixed(1)} s`,
        anchor: `all Running after ${wall.toFixed(1)} s`,
        ratio: '—',
      },
    ];
    console.log(`results: ${writeResults(context, 'provisioner-latency', { table, pods: PODS, running: runningAt.size, p50, p95, wall, claims })}`);
  } finally {
    await estate.stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
