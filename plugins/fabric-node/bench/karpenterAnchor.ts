/* eslint-disable no-console */
// Karpenter's own scheduling benchmark as the anchor other benchmarks divide by: built
// from Go modules (test-tooling/karpenter-bench) and run on this machine in this run.
// The karpenter-scheduling benchmark runs it and writes bench-results/karpenter-scheduling.json;
// a later benchmark of the same `npm run bench` (same context date) reuses those figures
// instead of spending another minute of both cores, and runs it itself otherwise. Never
// a remembered or typed-in number: when Go is missing or the run is skipped, the anchor
// says why and the ratio is left out.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  karpenterBenchAvailability,
  KarpenterBenchResult,
  runKarpenterSchedulingBenchmark,
} from '@internal/fabric-test-tooling';
import { BenchContext, median } from './benchKit';

/** The benchmark the issue names: 2 000 diverse pods over 400 instance types, one NodePool. */
export const KARPENTER_ANCHOR_BENCH = 'BenchmarkScheduling2000';
export const KARPENTER_RESULTS_NAME = 'karpenter-scheduling';
/** `npm run bench -- --skip-karpenter` (or FABRIC_BENCH_SKIP_KARPENTER=1, see SKIP_ENV) skips the Go build and run. */
export const SKIP_FLAG = '--skip-karpenter';

export interface KarpenterFigures {
  available: true;
  karpenterVersion: string;
  goVersion: string;
  bench: string;
  /** Median over the repetitions of Karpenter's own pods/sec metric. */
  podsPerSec: number;
  podsPerSecSamples: number[];
  /** Where pods/s comes from: Karpenter's b.ReportMetric("pods/sec"), or pods per op / s per op. */
  podsPerSecSource: 'reported' | 'derived';
  /** Median seconds per Solve of all the benchmark's pods. */
  secondsPerOp: number;
  podsPerOp: number;
  /** NodeClaims Karpenter's first Solve created. */
  nodes?: number;
  repetitions: number;
  benchtime: string;
  command: string;
  /** Wall time of the run, including Karpenter's untimed setup. */
  runWallSeconds: number;
  /** CPU seconds the run used (setup included): far below 2 × wall when the machine is busy. */
  runCpuSeconds: number;
  /** Seconds spent compiling in this run (0 when the cached binary was fresh). */
  buildWallSeconds: number;
  /** How long the cached binary's build took when it was compiled. */
  recordedBuildSeconds: number;
  /** Where these figures came from: run now, or read from this run's karpenter-scheduling results. */
  measuredBy: 'this benchmark' | 'karpenter-scheduling, earlier in this run';
  results: KarpenterBenchResult[];
}

export type KarpenterAnchor = KarpenterFigures | { available: false; reason: string };

export function karpenterSkipReason(): string | undefined {
  if (process.argv.includes(SKIP_FLAG)) return `${SKIP_FLAG} was given`;
  const availability = karpenterBenchAvailability();
  return availability.available ? undefined : availability.reason;
}

/** Figures of one benchmark over its repetitions: medians, and Karpenter's own samples. */
export function summarise(
  results: KarpenterBenchResult[],
  run: {
    karpenterVersion: string;
    goVersion: string;
    command: string;
    runWallSeconds: number;
    runCpuSeconds: number;
    buildWallSeconds: number;
    recordedBuildSeconds: number;
  },
  bench: string,
  benchtime: string,
): KarpenterFigures {
  const mine = results.filter(r => r.name === bench);
  if (!mine.length) throw new Error(`Karpenter's output has no ${bench} line`);
  return {
    available: true,
    karpenterVersion: run.karpenterVersion,
    goVersion: run.goVersion,
    bench,
    podsPerSec: median(mine.map(r => r.podsPerSec)),
    podsPerSecSamples: mine.map(r => r.podsPerSec),
    podsPerSecSource: mine.every(r => r.podsPerSecSource === 'reported') ? 'reported' : 'derived',
    secondsPerOp: median(mine.map(r => r.secondsPerOp)),
    podsPerOp: mine[0].podsPerOp,
    nodes: mine[0].nodes,
    repetitions: mine.length,
    benchtime,
    command: run.command,
    runWallSeconds: run.runWallSeconds,
    runCpuSeconds: run.runCpuSeconds,
    buildWallSeconds: run.buildWallSeconds,
    recordedBuildSeconds: run.recordedBuildSeconds,
    measuredBy: 'this benchmark',
    results: mine,
  };
}

/** Repetitions of the anchor: one in quick mode, three (median) in full mode. */
export function anchorRepetitions(context: BenchContext): number {
  return context.quick ? 1 : 3;
}

/**
 * Karpenter's BenchmarkScheduling2000 figures for this run: from this run's
 * karpenter-scheduling results when that benchmark ran earlier in the same `npm run bench`,
 * otherwise by building (once, cached) and running it now. Progress goes to stderr.
 */
export async function karpenterSchedulingAnchor(context: BenchContext): Promise<KarpenterAnchor> {
  const skip = karpenterSkipReason();
  if (skip) return { available: false, reason: skip };

  const earlier = join(context.resultsDir, `${KARPENTER_RESULTS_NAME}.json`);
  if (existsSync(earlier)) {
    const written = JSON.parse(readFileSync(earlier, 'utf8'));
    if (written.date === context.date && written.anchor?.available && written.anchor.bench === KARPENTER_ANCHOR_BENCH) {
      return { ...(written.anchor as KarpenterFigures), measuredBy: 'karpenter-scheduling, earlier in this run' };
    }
  }

  const benchtime = '1x';
  try {
    const run = await runKarpenterSchedulingBenchmark({
      bench: KARPENTER_ANCHOR_BENCH,
      benchtime,
      count: anchorRepetitions(context),
      log: line => console.error(`  karpenter: ${line}`),
    });
    return summarise(run.results, run, KARPENTER_ANCHOR_BENCH, benchtime);
  } catch (error) {
    return { available: false, reason: `Karpenter's benchmark failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** "12.3× Karpenter" or the reason there is no ratio. */
export function ratioToKarpenter(ourPerSecond: number, anchor: KarpenterAnchor): string {
  if (!anchor.available) return `— (Karpenter not run: ${anchor.reason})`;
  const ratio = ourPerSecond / anchor.podsPerSec;
  return `${ratio.toFixed(ratio < 10 ? 2 : 1)}×`;
}

export function describeAnchor(anchor: KarpenterAnchor): string {
  if (!anchor.available) return `Karpenter ${KARPENTER_ANCHOR_BENCH}: not run (${anchor.reason})`;
  return `Karpenter ${anchor.karpenterVersion} ${anchor.bench}: ${anchor.podsPerSec.toFixed(1)} pods/s (median of ${anchor.repetitions}, ${anchor.secondsPerOp.toFixed(2)} s per ${anchor.podsPerOp}-pod Solve, ${anchor.nodes ?? '?'} nodes; built with ${anchor.goVersion}; ${anchor.measuredBy})`;
}
