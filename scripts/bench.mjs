// Runs the benchmarks (TypeScript, through Backstage's own Node transform), then prints
// one table of every benchmark's figures, anchors and ratios. Figures, never pass/fail.
//
//   npm run bench                     every plugins/*/bench/*.bench.ts, full mode
//   npm run bench -- --quick          fewer repetitions (the whole set in a few minutes)
//   npm run bench -- capacity         only benchmarks whose file name contains "capacity"
//   npm run bench -- karpenter-scheduling   (case and dashes ignored: karpenterScheduling.bench.ts)
//   npm run bench -- --skip-karpenter       no Go build or run of Karpenter's benchmark (no Go here)
//
// Each benchmark writes bench-results/<name>.json (git-ignored) with the machine, the
// commit and a `table` of rows { case, figure, anchor, ratio } that this script prints.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const selected = args.filter(a => !a.startsWith('--'));
const resultsDir = join(root, 'bench-results');

const benches = [];
for (const dir of ['plugins', 'packages']) {
  for (const pkg of readdirSync(join(root, dir))) {
    const benchDir = join(root, dir, pkg, 'bench');
    if (!existsSync(benchDir)) continue;
    for (const file of readdirSync(benchDir)) {
      if (!file.endsWith('.bench.ts')) continue;
      if (selected.length && !selected.some(name => matchesName(file, name))) continue;
      benches.push(join(benchDir, file));
    }
  }
}
if (benches.length === 0) {
  console.error(`no benchmark matches ${selected.join(', ')}`);
  process.exit(1);
}

const context = {
  quick,
  resultsDir,
  date: new Date().toISOString(),
  commit: gitCommit(),
  machine: {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    loadAverage: loadavg().map(l => Number(l.toFixed(2))),
  },
};

const startedAt = Date.now();
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench.slice(root.length)}`);
  const result = spawnSync(
    process.execPath,
    ['--require', join(root, 'node_modules', '@backstage/cli/config/nodeTransform.cjs'), bench, ...args],
    { stdio: 'inherit', cwd: root, env: { ...process.env, FABRIC_BENCH_CONTEXT: JSON.stringify(context) } },
  );
  if (result.status !== 0) {
    console.error(`${basename(bench)} failed (exit ${result.status ?? result.signal})`);
    failed++;
  }
}

// The table of this run: only results files the benchmarks above have just written.
const rows = [];
if (existsSync(resultsDir)) {
  for (const file of readdirSync(resultsDir).filter(f => f.endsWith('.json')).sort()) {
    const path = join(resultsDir, file);
    if (statSync(path).mtimeMs < startedAt) continue;
    const { benchmark, table = [] } = JSON.parse(readFileSync(path, 'utf8'));
    for (const row of table) rows.push({ benchmark, ...row });
  }
}
if (rows.length) {
  const { cores, cpuModel, node } = context.machine;
  console.log(`\n== summary (${quick ? 'quick' : 'full'} mode, ${cores} cores, ${cpuModel}, node ${node}, commit ${context.commit})\n`);
  console.log('| benchmark | case | figure | anchor | ratio |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.benchmark} | ${r.case} | ${r.figure} | ${r.anchor} | ${r.ratio} |`);
  console.log(`\nresults in ${resultsDir.slice(root.length)}/`);
}
process.exit(failed ? 1 : 0);

// A benchmark is named in dashes (karpenter-scheduling) and its file in camelCase.
function matchesName(file, name) {
  const plain = s => s.toLowerCase().replace(/[-_]/g, '');
  return plain(file).includes(plain(name));
}

function gitCommit() {
  try {
    const commit = execSync('git rev-parse --short HEAD', { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain', { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}+uncommitted` : commit;
  } catch {
    return 'unknown';
  }
}
