/* eslint-disable no-console */
// Karpenter's own scheduling benchmark, built from Go modules and run on this machine:
// sigs.k8s.io/karpenter pkg/controllers/provisioning/scheduling, build tag
// test_performance (see test-tooling/karpenter-bench). It is the anchor the placement and
// provisioner benchmarks divide by; this benchmark prints Karpenter's figures on their own
// and records them in bench-results/karpenter-scheduling.json for the rest of the run.
//
//   npm run bench -- karpenter-scheduling [--quick]
//   npm run bench -- --skip-karpenter          (or FABRIC_BENCH_SKIP_KARPENTER=1): no Go build, no figures
//   npm run bench -- karpenter-scheduling --karpenter-variants='BenchmarkScheduling(1000|5000)$'
//
// Quick mode: BenchmarkScheduling2000 once. Full mode: three times (median), then the
// other pod counts once each to show how Karpenter's pods/s changes with the batch size.
// Figures, never assertions: the machines differ.
import { runKarpenterSchedulingBenchmark } from '@internal/fabric-test-tooling';
import { benchContext, describeMachine, TableRow, writeResults } from './benchKit';
import {
  anchorRepetitions,
  KARPENTER_ANCHOR_BENCH,
  KARPENTER_RESULTS_NAME,
  KarpenterAnchor,
  karpenterSkipReason,
  summarise,
} from './karpenterAnchor';

const DEFAULT_VARIANTS = 'BenchmarkScheduling(100|500|1000|5000)$';

async function main() {
  const context = benchContext();
  console.log(`Karpenter's scheduling benchmark, ${context.quick ? 'quick' : 'full'} mode`);
  console.log(`machine: ${describeMachine(context.machine)}; commit ${context.commit}`);

  const skip = karpenterSkipReason();
  if (skip) {
    console.log(`not run: ${skip}. Nothing is measured, so no Karpenter figure or ratio is printed this run.`);
    writeResults(context, KARPENTER_RESULTS_NAME, {
      anchor: { available: false, reason: skip } satisfies KarpenterAnchor,
      table: [{ case: `Karpenter ${KARPENTER_ANCHOR_BENCH}`, figure: `not run: ${skip}`, anchor: '—', ratio: '—' }],
    });
    return;
  }

  const log = (line: string) => console.log(`  ${line}`);
  const benchtime = '1x';
  const repetitions = anchorRepetitions(context);
  console.log(`${KARPENTER_ANCHOR_BENCH}: ${repetitions} repetition(s) of one timed Solve each (-test.benchtime=${benchtime} -test.count=${repetitions})`);
  const run = await runKarpenterSchedulingBenchmark({ bench: KARPENTER_ANCHOR_BENCH, benchtime, count: repetitions, log });
  const anchor = summarise(run.results, run, KARPENTER_ANCHOR_BENCH, benchtime);
  console.log(
    `build: ${run.buildWallSeconds ? `compiled now in ${run.buildWallSeconds.toFixed(0)} s` : `cached binary (its build took ${run.recordedBuildSeconds} s)`}; ` +
      `Karpenter ${run.karpenterVersion}, ${run.goVersion}, ${run.goos}/${run.goarch}, cpu ${run.cpu}`,
  );
  console.log(
    `run: ${run.runWallSeconds.toFixed(1)} s wall and ${run.runCpuSeconds.toFixed(1)} CPU-seconds, including Karpenter's untimed setup of each repetition ` +
      `(a busy machine shows as CPU-seconds well below 2 × wall)`,
  );

  const variantsFlag = process.argv.find(a => a.startsWith('--karpenter-variants='));
  let variants = context.quick ? '' : DEFAULT_VARIANTS;
  if (variantsFlag) variants = variantsFlag.slice('--karpenter-variants='.length);
  const variantResults = variants
    ? (await runKarpenterSchedulingBenchmark({ bench: variants, benchtime, count: 1, log })).results
    : [];

  const all = [...anchor.results, ...variantResults];
  console.log(`\n${'benchmark'.padEnd(28)} ${'pods'.padStart(6)} ${'nodes'.padStart(6)} ${'s/Solve'.padStart(8)} ${'pods/s'.padStart(8)}  source`);
  for (const r of all) {
    console.log(
      `${r.name.padEnd(28)} ${String(r.podsPerOp).padStart(6)} ${String(r.nodes ?? '?').padStart(6)} ${r.secondsPerOp.toFixed(2).padStart(8)} ${r.podsPerSec.toFixed(1).padStart(8)}  ${r.podsPerSecSource === 'reported' ? "Karpenter's pods/sec metric" : 'pods / (ns/op)'}`,
    );
  }
  console.log(
    `\n${KARPENTER_ANCHOR_BENCH}: ${anchor.podsPerSec.toFixed(1)} pods/s (median of ${anchor.repetitions}; samples ${anchor.podsPerSecSamples.map(s => s.toFixed(1)).join(', ')}). ` +
      'Later benchmarks of this run reuse these figures.',
  );

  const table: TableRow[] = [
    {
      case: `Karpenter ${run.karpenterVersion} ${KARPENTER_ANCHOR_BENCH} (${anchor.podsPerOp} pods, 400 instance types, 1 NodePool)`,
      figure: `${anchor.podsPerSec.toFixed(1)} pods/s, ${anchor.secondsPerOp.toFixed(2)} s per Solve, ${anchor.nodes ?? '?'} nodes`,
      anchor: '— (this is the anchor)',
      ratio: '1×',
    },
    ...variantResults.map(r => ({
      case: `Karpenter ${run.karpenterVersion} ${r.name}`,
      figure: `${r.podsPerSec.toFixed(1)} pods/s, ${r.secondsPerOp.toFixed(2)} s per Solve`,
      anchor: KARPENTER_ANCHOR_BENCH,
      ratio: `${(r.podsPerSec / anchor.podsPerSec).toFixed(2)}×`,
    })),
  ];
  const path = writeResults(context, KARPENTER_RESULTS_NAME, {
    // The two figures at the top level too, for readers that want just the number.
    podsPerSecond: anchor.podsPerSec,
    pods: anchor.podsPerOp,
    anchor,
    variants: variantResults,
    build: { karpenterVersion: run.karpenterVersion, goVersion: run.goVersion, binary: run.binary, buildWallSeconds: run.buildWallSeconds, recordedBuildSeconds: run.recordedBuildSeconds },
    table,
  });
  console.log(`results: ${path}`);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
