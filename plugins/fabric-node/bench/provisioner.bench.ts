/* eslint-disable no-console */
// Measures the provisioner's decide-and-bin-pack step: 2 000 pending GPU pods of mixed
// intents (throughput, inference, training, zone-pinned, gangs of 4 × p5) over a
// simulated 100-cell estate, in pods per second (median of several runs). No AWS: the
// inventory is the demo estate's cells copied under new account IDs.
//
// Beside it, Karpenter's own scheduling benchmark (sigs.k8s.io/karpenter
// pkg/controllers/provisioning/scheduling, BenchmarkScheduling2000, built from Go modules):
// from the karpenter-scheduling benchmark earlier in the same `npm run bench`, or run here
// (see karpenterAnchor.ts). `--skip-karpenter` leaves the ratio out and says why.
import { NodeSelectorRequirement } from '../src/compile/karpenter';
import { InsufficientCapacityCache } from '../src/placement/InsufficientCapacityCache';
import { decide, DecideInput } from '../src/provisioner/decide';
import { PendingPod } from '../src/provisioner/types';
import { gpuPod, poolsForEstate, syntheticEstate, DEMO_NOW } from '../src/provisioner/__testUtils__/estateFixture';
import { benchContext, describeMachine, median, quantile, TableRow, timeInRounds, writeResults } from './benchKit';
import { describeAnchor, karpenterSchedulingAnchor, ratioToKarpenter } from './karpenterAnchor';

const CELLS = 100;
const PODS = 2000;
const FAMILY = 'karpenter.k8s.aws/instance-family';
const ZONE_ID = 'topology.k8s.aws/zone-id';
const CAPACITY = 'karpenter.sh/capacity-type';

/** A mix shaped after the fabric's intents; deterministic so runs compare. */
function pendingPods(count: number): PendingPod[] {
  const pods: PendingPod[] = [];
  const family = (values: string[]): NodeSelectorRequirement => ({ key: FAMILY, operator: 'In', values });
  let gangIndex = 0;
  for (let i = 0; pods.length < count; i++) {
    const intent = i % 20;
    if (intent < 8) {
      pods.push(gpuPod(`throughput-${i}`, { gpus: 1, cpu: 3, memoryGiB: 12, terms: [[family(['g5', 'g6', 'g6e'])]] }));
    } else if (intent < 13) {
      pods.push(gpuPod(`inference-${i}`, { gpus: 4, cpu: 20, memoryGiB: 96, terms: [[family(['g6e', 'g5']), { key: CAPACITY, operator: 'In', values: ['on-demand'] }]] }));
    } else if (intent < 16) {
      pods.push(gpuPod(`training-${i}`, { gpus: 8, cpu: 64, memoryGiB: 512, terms: [[family(['p4d', 'p4de', 'p5', 'p5e', 'p5en'])]] }));
    } else if (intent < 18) {
      pods.push(gpuPod(`pinned-${i}`, { gpus: 2, cpu: 8, memoryGiB: 64, terms: [[{ key: ZONE_ID, operator: 'In', values: ['use1-az4', 'usw2-az2'] }]] }));
    } else {
      const gang = { name: `gang-${gangIndex++}`, size: 4 };
      for (let rank = 0; rank < 4 && pods.length < count; rank++) {
        pods.push(gpuPod(`${gang.name}-rank-${rank}`, { gpus: 8, cpu: 150, memoryGiB: 1500, efa: 32, terms: [[family(['p5', 'p5e', 'p5en'])]], gang }));
      }
    }
  }
  return pods.slice(0, count);
}

const context = benchContext();
const inventory = syntheticEstate(CELLS);
const pools = poolsForEstate(inventory);
const pods = pendingPods(PODS);
const input = (): DecideInput => ({
  pods,
  ...pools,
  inventory,
  insufficientCapacity: new InsufficientCapacityCache(),
  inFlight: [],
  nodePoolUsage: {},
  now: DEMO_NOW,
});

const warmupRounds = context.quick ? 2 : 5;
const rounds = context.quick ? 5 : 15;
console.log(`provisioner decide, ${context.quick ? 'quick' : 'full'} mode: median of ${rounds} runs after ${warmupRounds} warm-up runs`);
console.log(`machine: ${describeMachine(context.machine)}; commit ${context.commit}`);
const label = `${PODS} pending GPU pods, ${CELLS} cells`;
const samples = timeInRounds([{ label, run: () => decide(input()) }], warmupRounds, rounds).get(label)!;
const ms = median(samples);
// CPU time of this process per run: on a shared, loaded machine wall time includes waiting
// for a core, which says nothing about the algorithm.
const cpuSamples: number[] = [];
for (let i = 0; i < rounds; i++) {
  const before = process.cpuUsage();
  decide(input());
  const used = process.cpuUsage(before);
  cpuSamples.push((used.user + used.system) / 1000);
}
const cpuMs = median(cpuSamples);
const podsPerSecond = (PODS / ms) * 1000;
const decision = decide(input());
const nodes = decision.claims.length;
const placed = decision.claims.reduce((n, c) => n + c.podUids.length, 0);
console.log(
  `${label}: ${ms.toFixed(1)} ms (p25–p75 ${quantile(samples, 0.25).toFixed(1)}–${quantile(samples, 0.75).toFixed(1)}), ` +
    `${podsPerSecond.toFixed(0)} pods/s; CPU ${cpuMs.toFixed(1)} ms/run (${((PODS / cpuMs) * 1000).toFixed(0)} pods per CPU-second); ${inventory.offerings.length} offerings, ${pools.nodePools.length} NodePools; ` +
    `${placed} pods on ${nodes} NodeClaims (${decision.gangs.length} gangs), ${decision.unschedulable.length} unschedulable`,
);

async function printBesideKarpenter() {
  const karpenter = await karpenterSchedulingAnchor(context);
  console.log(describeAnchor(karpenter));
  const ratio = ratioToKarpenter(podsPerSecond, karpenter);
  console.log(`fabric decide ÷ Karpenter: ${ratio} (goal ≥ 5×)`);

  const table: TableRow[] = [
    {
      case: `provisioner decide, ${label}`,
      figure: `${podsPerSecond.toFixed(0)} pods/s (${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU)`,
      anchor: karpenter.available
        ? `Karpenter ${karpenter.karpenterVersion} ${karpenter.bench}: ${karpenter.podsPerSec.toFixed(1)} pods/s`
        : `Karpenter not run: ${karpenter.reason}`,
      ratio: karpenter.available ? ratio : '—',
    },
  ];
  const path = writeResults(context, 'provisioner', {
    rounds,
    warmupRounds,
    table,
    pods: PODS,
    cells: CELLS,
    offerings: inventory.offerings.length,
    msMedian: ms,
    cpuMsMedian: cpuMs,
    podsPerSecond,
    nodeClaims: nodes,
    podsPlaced: placed,
    unschedulable: decision.unschedulable.length,
    karpenter,
  });
  console.log(`results: ${path}`);
}

printBesideKarpenter().catch(error => {
  console.error(error);
  process.exit(1);
});
