/* eslint-disable no-console */
// What every benchmark shares: the run's mode, the machine it ran on, median timing of
// interleaved cases, and the results file in bench-results/. scripts/bench.mjs passes the
// context in FABRIC_BENCH_CONTEXT; run on its own, a benchmark works it out itself.
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the run started: the machines are shared. */
  loadAverage: number[];
}

export interface BenchContext {
  quick: boolean;
  resultsDir: string;
  date: string;
  commit: string;
  machine: MachineInfo;
}

/** One line of the table `npm run bench` prints and the README shows. */
export interface TableRow {
  case: string;
  figure: string;
  anchor: string;
  ratio: string;
}

export function benchContext(): BenchContext {
  const passed = process.env.FABRIC_BENCH_CONTEXT;
  if (passed) return JSON.parse(passed) as BenchContext;
  const root = resolve(__dirname, '../../..');
  return {
    quick: process.argv.includes('--quick'),
    resultsDir: join(root, 'bench-results'),
    date: new Date().toISOString(),
    commit: gitCommit(root),
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
      loadAverage: loadavg().map(l => Number(l.toFixed(2))),
    },
  };
}

function gitCommit(root: string): string {
  try {
    const commit = execSync('git rev-parse --short HEAD', { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain', { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}+uncommitted` : commit;
  } catch {
    return 'unknown';
  }
}

export interface TimedCase {
  label: string;
  run: () => void;
}

/**
 * Times the cases in rounds, each round running every case once, and returns each
 * case's milliseconds per run (take the median: a busy machine adds outliers). Interleaving keeps the ratios between cases fair when
 * the machine's load changes during the run.
 */
export function timeInRounds(cases: TimedCase[], warmupRounds: number, rounds: number): Map<string, number[]> {
  for (let round = 0; round < warmupRounds; round++) for (const c of cases) c.run();
  const samples = new Map<string, number[]>(cases.map(c => [c.label, []]));
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      const started = process.hrtime.bigint();
      c.run();
      samples.get(c.label)!.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  return samples;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The value below which the given share of the samples fall (nearest rank). */
export function quantile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))];
}

/** Writes bench-results/<name>.json and returns its path. */
export function writeResults(
  context: BenchContext,
  name: string,
  body: { table: TableRow[] } & Record<string, unknown>,
): string {
  mkdirSync(context.resultsDir, { recursive: true });
  const path = join(context.resultsDir, `${name}.json`);
  const { resultsDir: _omitted, ...run } = context;
  writeFileSync(path, `${JSON.stringify({ benchmark: name, ...run, mode: context.quick ? 'quick' : 'full', ...body }, null, 2)}\n`);
  return path;
}

export function describeMachine(machine: MachineInfo): string {
  return `${machine.cores} cores, ${machine.cpuModel}, node ${machine.node}, ${machine.platform}, load ${machine.loadAverage.join(' ')}`;
}
