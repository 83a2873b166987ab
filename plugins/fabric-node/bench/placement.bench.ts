/* eslint-disable no-console */
// The placement engine (planPlacement) over a workload shaped like Karpenter's
// BenchmarkScheduling2000, on a 100-cell estate (25 accounts × 4 regions, synthetic but
// shaped like the demo), beside Karpenter's own benchmark run on this machine in the same
// command (see karpenterAnchor.ts). `npm run bench -- placement [--quick] [--skip-karpenter]`.
//
// BenchmarkScheduling2000 (sigs.k8s.io/karpenter scheduling_benchmark_test.go) schedules
// 2 000 pods in five kinds of 400: no constraint; topology spread over zones; topology
// spread over hostnames; self-affinity to one zone; anti-affinity on hostname (one per
// node). Requests are drawn from 5 CPU sizes (100m–1500m) and 6 memory sizes. It packs
// them in one Solve onto new nodes of 400 fake instance types, each offered spot and
// on-demand in 2–3 zones: one NodePool, one cluster, i.e. one account-region.
//
// Here the same five kinds become 400 placement requests each, with the constraint they
// carry mapped onto the nearest thing a PlacementRequest can say, and the 5 sizes onto
// GPU counts. Each request is decided on its own against the whole estate, as
// POST /placements decides it. So the figures are comparable as "scheduling decisions
// per second on this machine", and not as the same problem: see COMPARABILITY below.
// Figures, never assertions: the machines differ.
import { Placement } from '@internal/backstage-plugin-fabric-common';
import { planPlacement } from '../src/placement';
import { benchContext, describeMachine, median, quantile, TableRow, timeInRounds, writeResults } from './benchKit';
import { describeAnchor, karpenterSchedulingAnchor, ratioToKarpenter } from './karpenterAnchor';
import { KARPENTER_SHAPED_KINDS as KINDS, karpenterShapedRequests } from './karpenterShapedWorkload';
import { syntheticEstate } from './syntheticEstate';

const COMPARABILITY = [
  'Comparable: both decide 2 000 workloads of the same five constraint kinds, on this machine in this command, timed without setup (Karpenter tries nodes in parallel on both cores, GOMAXPROCS=2; planPlacement runs on one).',
  'Not the same problem: Karpenter bin-packs 2 000 small CPU pods jointly onto new nodes of 400 instance types in one account-region (one Solve, pods share nodes, topology tracked across pods);',
  'planPlacement decides each GPU request on its own over every offering of 100 cells (account × region), with quota, spot policy, price and placement-score ranking, and explains every rejected offering.',
  'A placement may be several nodes in several cells; a Karpenter pod is a slot on one node. Decisions/s and pods/s are both "items decided per second", not the same unit of work.',
];

async function main() {
  const context = benchContext();
  const POD_COUNT = 2000;
  const inventory = syntheticEstate({ accounts: 25 });
  const requests = karpenterShapedRequests(POD_COUNT);
  const now = new Date(inventory.takenAt);
  let last: Placement[] = [];
  // CPU time beside wall time: on a shared machine the wall time includes waiting for a core.
  const cpuMsPerBatch: number[] = [];
  const decideAll = () => {
    const cpu = process.cpuUsage();
    last = requests.map(({ request }) => planPlacement(request, inventory, { now }));
    const used = process.cpuUsage(cpu);
    cpuMsPerBatch.push((used.user + used.system) / 1000);
  };

  // One batch is tens of seconds on 2 cores, so the warm-up is a slice of it (enough for
  // the JIT), and quick mode times a single batch.
  const warmupRequests = 100;
  const rounds = context.quick ? 1 : 3;
  console.log(
    `placement engine on a Karpenter-shaped batch, ${context.quick ? 'quick' : 'full'} mode: median of ${rounds} batch(es) after a warm-up of ${warmupRequests} decisions`,
  );
  console.log(`machine: ${describeMachine(context.machine)}; commit ${context.commit}`);
  console.log(
    `estate: ${inventory.cells.length} cells (25 accounts × 4 regions), ${inventory.offerings.length} offerings of ${inventory.instanceTypes.length} types; ${requests.length} requests`,
  );
  for (const { request } of requests.slice(0, warmupRequests)) planPlacement(request, inventory, { now });
  const samples = timeInRounds([{ label: 'batch', run: decideAll }], 0, rounds).get('batch')!;
  const msPerBatch = median(samples);
  const decisionsPerSec = requests.length / (msPerBatch / 1000);

  const byKind = KINDS.map(kind => {
    const mine = last.filter((_, i) => requests[i].kind === kind);
    const count = (status: Placement['status']) => mine.filter(p => p.status === status).length;
    return {
      karpenter: kind.karpenter,
      fabric: kind.fabric,
      requests: mine.length,
      placed: count('placed'),
      cannotPlaceNow: count('cannot-place-now'),
      refused: count('refused'),
      gpusPlaced: mine.reduce((sum, p) => sum + p.totals.gpus, 0),
      cellsUsed: median(mine.filter(p => p.status === 'placed').map(p => new Set(p.chosen.map(c => `${c.accountId}|${c.region}`)).size)),
    };
  });
  console.log(`\n${'Karpenter pod kind'.padEnd(42)} ${'becomes'.padEnd(66)} placed  cannot  refused  median cells`);
  for (const k of byKind) {
    console.log(
      `${k.karpenter.padEnd(42)} ${k.fabric.padEnd(66)} ${String(k.placed).padStart(6)}  ${String(k.cannotPlaceNow).padStart(6)}  ${String(k.refused).padStart(7)}  ${String(k.cellsUsed ?? 0).padStart(12)}`,
    );
  }
  const spread = samples.length > 1 ? ` (p25–p75 ${quantile(samples, 0.25).toFixed(0)}–${quantile(samples, 0.75).toFixed(0)} ms)` : '';
  console.log(
    `\nplanPlacement: ${msPerBatch.toFixed(0)} ms per ${requests.length}-request batch${spread}, ` +
      `${(msPerBatch / requests.length).toFixed(2)} ms per decision, ${decisionsPerSec.toFixed(1)} decisions/s; ` +
      `CPU ${median(cpuMsPerBatch).toFixed(0)} ms per batch (${(requests.length / (median(cpuMsPerBatch) / 1000)).toFixed(0)} decisions per CPU-second)`,
  );

  const anchor = await karpenterSchedulingAnchor(context);
  console.log(describeAnchor(anchor));
  const ratio = ratioToKarpenter(decisionsPerSec, anchor);
  console.log(`ratio: ${ratio} (our decisions/s ÷ Karpenter's pods/s; the goal is at least 5× while searching every cell)`);
  for (const line of COMPARABILITY) console.log(`  ${line}`);

  const table: TableRow[] = [
    {
      case: `placement engine, ${requests.length} Karpenter-shaped GPU requests over ${inventory.cells.length} cells`,
      figure: `${decisionsPerSec.toFixed(1)} decisions/s, ${(msPerBatch / 1000).toFixed(1)} s per batch, ${(requests.length / (median(cpuMsPerBatch) / 1000)).toFixed(1)} per CPU-second`,
      anchor: anchor.available
        ? `Karpenter ${anchor.karpenterVersion} ${anchor.bench}: ${anchor.podsPerSec.toFixed(1)} pods/s`
        : `Karpenter not run: ${anchor.reason}`,
      ratio: anchor.available ? `${ratio} Karpenter's pods/s` : '—',
    },
  ];
  const path = writeResults(context, 'placement', {
    warmupRequests,
    rounds,
    estate: { cells: inventory.cells.length, offerings: inventory.offerings.length, instanceTypes: inventory.instanceTypes.length },
    msPerBatch,
    msSamples: samples,
    cpuMsPerBatch,
    decisionsPerSec,
    byKind,
    karpenter: anchor,
    comparability: COMPARABILITY,
    table,
  });
  console.log(`results: ${path}`);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
