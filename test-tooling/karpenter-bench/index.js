// @ts-check
'use strict';

// Runs Karpenter's own scheduling benchmark (sigs.k8s.io/karpenter,
// pkg/controllers/provisioning/scheduling, build tag test_performance), compiled from Go
// modules by build.sh, and parses Go's benchmark output into figures. Node builtins only.

const { spawn, spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

/** Set to skip Karpenter's benchmark (no Go on the machine, or no time for a cold build). */
const SKIP_ENV = 'FABRIC_BENCH_SKIP_KARPENTER';
const CPU_MARK = '__karpenter_bench_cpu_seconds__';

/**
 * Whether the benchmark can run here, and if not, why. Never throws.
 * @returns {{ available: true } | { available: false, reason: string }}
 */
function karpenterBenchAvailability() {
  const skip = process.env[SKIP_ENV];
  if (skip && skip !== '0' && skip !== 'false') {
    return { available: false, reason: `${SKIP_ENV}=${skip} is set` };
  }
  const go = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    return {
      available: false,
      reason: 'Go is not installed (or not on PATH); Karpenter\'s benchmark is compiled from Go modules with Go >= 1.26',
    };
  }
  return { available: true };
}

/**
 * Compiles the benchmark's test binary (once per Karpenter version and go.sum; cached in
 * ~/.cache/cloudspectra-fabric/karpenter-bench/v<version>/). Progress goes to `log`.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<{ binary: string, karpenterVersion: string, goVersion: string, buildSeconds: number, built: boolean }>}
 */
async function buildKarpenterSchedulingBenchmark(options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  let built = false;
  const binary = await new Promise((resolve, reject) => {
    const script = path.join(__dirname, 'build.sh');
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-4000);
      for (const line of d.split('\n').filter(Boolean)) {
        if (line.includes('compiling')) built = true;
        log(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
      if (code !== 0 || !lines.length) {
        reject(new Error(`${script} failed (${signal || `exit code ${code}`}):\n${err.trim()}`));
      } else {
        resolve(lines[lines.length - 1]);
      }
    });
  });
  const infoPath = binary.replace(/scheduling\.test$/, 'scheduling.test.build.json');
  const info = existsSync(infoPath) ? JSON.parse(readFileSync(infoPath, 'utf8')) : {};
  return {
    binary,
    karpenterVersion: info.karpenterVersion ?? `v${path.basename(path.dirname(binary)).replace(/^v/, '')}`,
    goVersion: info.goVersion ?? 'unknown',
    buildSeconds: info.buildSeconds ?? NaN,
    built,
  };
}

/**
 * Parses Go's benchmark output: the header (goos, goarch, pkg, cpu) and every result line,
 * `BenchmarkScheduling2000-2  1  13923456789 ns/op  143.6 pods/sec  2000 pods  97 nodes ...`.
 * pods/s is Karpenter's own "pods/sec" metric when the benchmark reports it (it does:
 * b.ReportMetric over the timed Solve loop); otherwise pods per op over seconds per op,
 * with pods per op taken from the "pods" metric or the benchmark's name.
 * @param {string} output
 */
function parseGoBenchmarkOutput(output) {
  /** @type {Record<string, string>} */
  const header = {};
  const results = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const head = /^(goos|goarch|pkg|cpu):\s*(.*)$/.exec(line);
    if (head) {
      header[head[1]] = head[2];
      continue;
    }
    const m = /^(Benchmark\S*?)(?:-(\d+))?\s+(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const fields = m[4].trim().split(/\s+/);
    /** @type {Record<string, number>} */
    const metrics = {};
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const value = Number(fields[i]);
      if (Number.isFinite(value)) metrics[fields[i + 1]] = value;
    }
    const nsPerOp = metrics['ns/op'];
    if (nsPerOp === undefined) continue;
    const named = /(\d+)$/.exec(m[1]);
    const podsPerOp = metrics.pods ?? (named ? Number(named[1]) : NaN);
    const reported = metrics['pods/sec'];
    results.push({
      name: m[1],
      procs: m[2] ? Number(m[2]) : 1,
      iterations: Number(m[3]),
      nsPerOp,
      secondsPerOp: nsPerOp / 1e9,
      podsPerOp,
      nodes: metrics.nodes,
      podsPerSec: reported ?? podsPerOp / (nsPerOp / 1e9),
      podsPerSecSource: reported !== undefined ? 'reported' : 'derived',
      bytesPerOp: metrics['B/op'],
      allocsPerOp: metrics['allocs/op'],
      metrics,
    });
  }
  return { header, results };
}

/**
 * Builds (if needed) and runs one of Karpenter's scheduling benchmarks and returns its
 * figures. `bench` is a benchmark name (anchored) or a -test.bench regular expression;
 * `benchtime` is Go's (`1x` = the timed loop once; BenchmarkScheduling2000 takes ~15 s per
 * op on 2 cores). `count` repeats the benchmark (-test.count) so a median can be taken.
 * Throws when Go is missing or the run fails: call karpenterBenchAvailability() first.
 * @param {{ bench?: string, benchtime?: string, count?: number, log?: (line: string) => void, extraArgs?: string[] }} [options]
 */
async function runKarpenterSchedulingBenchmark(options = {}) {
  const bench = options.bench ?? 'BenchmarkScheduling2000';
  const benchtime = options.benchtime ?? '1x';
  const count = options.count ?? 1;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const availability = karpenterBenchAvailability();
  if (!availability.available) throw new Error(`Karpenter's scheduling benchmark cannot run: ${availability.reason}`);

  const buildStarted = process.hrtime.bigint();
  const build = await buildKarpenterSchedulingBenchmark({ log });
  const buildWallSeconds = Number(process.hrtime.bigint() - buildStarted) / 1e9;

  const pattern = /^[A-Za-z0-9_]+$/.test(bench) ? `^${bench}$` : bench;
  const args = [
    '-test.run=^$',
    `-test.bench=${pattern}`,
    `-test.benchtime=${benchtime}`,
    `-test.count=${count}`,
    '-test.benchmem',
    ...(options.extraArgs ?? []),
  ];
  const runStarted = process.hrtime.bigint();
  let runCpuSeconds = NaN;
  const output = await new Promise((resolve, reject) => {
    // The working directory is the cache folder: the package's profiling test writes files.
    // bash's `time` reports the CPU the binary used: on a shared machine its wall time
    // includes waiting for a core, and the two together say how busy the machine was.
    const child = spawn('bash', ['-c', `TIMEFORMAT='${CPU_MARK} %3U %3S'; time "$@"`, 'bash', build.binary, ...args], {
      cwd: path.dirname(build.binary),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    let pending = '';
    child.stdout.on('data', (d) => {
      out += d;
      // Go prints a result line in two writes (the name, then the figures): log whole lines.
      const lines = (pending + d).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.startsWith('Benchmark'))) log(line.replace(/\s+/g, ' '));
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const cpu = new RegExp(`${CPU_MARK} ([\\d.]+) ([\\d.]+)`).exec(err);
      if (cpu) runCpuSeconds = Number(cpu[1]) + Number(cpu[2]);
      if (code !== 0) reject(new Error(`${build.binary} ${args.join(' ')} failed (${signal || `exit code ${code}`}):\n${(out + err).slice(-4000).trim()}`));
      else resolve(out);
    });
  });
  const runWallSeconds = Number(process.hrtime.bigint() - runStarted) / 1e9;
  const { header, results } = parseGoBenchmarkOutput(output);
  if (!results.length) throw new Error(`no benchmark matched ${pattern}:\n${output.slice(-2000)}`);
  return {
    karpenterVersion: build.karpenterVersion,
    goVersion: build.goVersion,
    binary: build.binary,
    /** Seconds this call spent compiling (0 when the cached binary was fresh). */
    buildWallSeconds: build.built ? buildWallSeconds : 0,
    /** How long the binary's own build took when it was compiled (from its build record). */
    recordedBuildSeconds: build.buildSeconds,
    runWallSeconds,
    /** CPU seconds (user + system) the binary used over the whole run, setup included. */
    runCpuSeconds,
    command: [build.binary, ...args].join(' '),
    cpu: header.cpu,
    goos: header.goos,
    goarch: header.goarch,
    pkg: header.pkg,
    results,
    output,
  };
}

module.exports = {
  SKIP_ENV,
  karpenterBenchAvailability,
  buildKarpenterSchedulingBenchmark,
  parseGoBenchmarkOutput,
  runKarpenterSchedulingBenchmark,
};
