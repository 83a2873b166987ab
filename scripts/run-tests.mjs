// The whole test suite, as `npm test` runs it (through scripts/fabric, on Node 24):
//
//   1. preflight   the real peers the suites need are present (moto, Go, Chromium)
//   2. typecheck   tsc over the whole monorepo
//   3. lint        backstage-cli repo lint
//   4. kube prep   builds the Kubernetes test plane and KWOK from Go modules (cached by
//                  version) and fetches the pinned Karpenter CRDs
//   5. unit+peers  jest over every package: engine against moto_server and a real
//                  kube-apiserver, store on SQLite (and PostgreSQL when a connection
//                  string is set), REST API, scaffolder actions, portal components
//   6. browser     the real portal in headless Chromium, and the real backend restarted,
//                  under load and recorded for egress (e2e/*.test.mjs)
//
// Every step runs even when an earlier one failed, so one run shows every problem.
// The last line is `N passed, N failed`; the exit code is non-zero on any failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });

const only = process.argv.slice(2);
const wants = step => only.length === 0 || only.includes(step);
const totals = { passed: 0, failed: 0 };
const summary = [];

function banner(text) {
  console.log(`\n\x1b[1;36m━━ ${text}\x1b[0m`);
}

function run(command, args, options = {}) {
  return new Promise(resolve => {
    const started = Date.now();
    const child = spawn(command, args, {
      cwd: root,
      stdio: options.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
      env: { ...process.env, ...options.env },
    });
    let out = '';
    child.stdout?.on('data', chunk => {
      out += chunk;
      if (options.echo) process.stdout.write(chunk);
    });
    child.on('close', code => resolve({ code: code ?? 1, out, seconds: (Date.now() - started) / 1000 }));
  });
}

function record(step, passed, failed, seconds, note = '') {
  totals.passed += passed;
  totals.failed += failed;
  summary.push({ step, passed, failed, seconds, note });
}

/** A step that is one check: it passes or fails as a whole. */
async function check(step, command, args, options) {
  banner(step);
  const { code, seconds } = await run(command, args, options);
  record(step, code === 0 ? 1 : 0, code === 0 ? 0 : 1, seconds);
  return code === 0;
}

function preflight() {
  banner('preflight');
  const problems = [];
  const moto = spawnSync('python3', ['-c', 'import moto.server, flask_cors; print(moto.__version__)'], {
    encoding: 'utf8',
  });
  if (moto.status !== 0) {
    problems.push('moto_server: `python3 -c "import moto.server, flask_cors"` failed; install moto[server] 5.2.x');
  } else {
    console.log(`moto ${moto.stdout.trim()}`);
  }
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) {
    problems.push('Go is required to build the Kubernetes test plane: install Go >= 1.26 (apt-get install golang, or go.dev)');
  } else {
    console.log(go.stdout.trim());
  }
  if (!existsSync('/usr/bin/chromium')) {
    problems.push("Chromium is required for the browser tests: apt-get install -y chromium");
  } else {
    console.log('chromium at /usr/bin/chromium');
  }
  const pgVars = Object.keys(process.env).filter(k => /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(k));
  console.log(
    pgVars.length
      ? `PostgreSQL: store tests also run on ${pgVars.join(', ').replace(/BACKSTAGE_TEST_DATABASE_|_CONNECTION_STRING/g, '')}`
      : 'PostgreSQL: no connection string set; store tests run on SQLite only (.ci/run provides PostgreSQL)',
  );
  console.log(`node ${process.version}`);
  for (const problem of problems) console.error(`\x1b[31m✘ ${problem}\x1b[0m`);
  record('preflight', problems.length === 0 ? 1 : 0, problems.length, 0, problems.join('; '));
  return problems.length === 0;
}

async function jest() {
  banner('jest: unit tests and real peers (moto_server, kube-apiserver, SQLite/PostgreSQL)');
  const report = join(results, 'jest.json');
  rmSync(report, { force: true });
  const { code, seconds } = await run(
    'yarn',
    ['backstage-cli', 'repo', 'test', '--json', `--outputFile=${report}`, '--verbose'],
    { env: { CI: 'true' } },
  );
  if (!existsSync(report)) {
    record('jest', 0, 1, seconds, `jest exited ${code} without a report`);
    return;
  }
  const json = JSON.parse(readFileSync(report, 'utf8'));
  // A suite that fails to load has no test results; count it as a failure too.
  const brokenSuites = json.testResults.filter(s => s.status === 'failed' && s.assertionResults.length === 0).length;
  record('jest', json.numPassedTests, json.numFailedTests + brokenSuites, seconds, `${json.numTotalTestSuites} suites`);
  if (json.numPendingTests > 0) {
    record('jest (skipped)', 0, json.numPendingTests, 0, 'skipped tests hide failures');
  }
  if (code !== 0 && json.numFailedTests + brokenSuites === 0) {
    record('jest (exit code)', 0, 1, 0, `jest exited ${code}`);
  }
}

async function browser() {
  banner('browser: the real portal in headless Chromium');
  const { code, out, seconds } = await run(
    'node',
    ['--test', '--test-reporter=tap', '--test-concurrency=1', 'e2e/*.test.mjs'],
    { capture: true, echo: true },
  );
  const count = name => Number(out.match(new RegExp(`^# ${name} (\\d+)`, 'm'))?.[1] ?? 0);
  const passed = count('pass');
  const failed = count('fail') + count('cancelled');
  record('browser', passed, failed || (code !== 0 || passed === 0 ? 1 : 0), seconds);
}

async function main() {
  const started = Date.now();
  if (wants('preflight')) preflight();
  if (wants('typecheck')) await check('typecheck', 'yarn', ['tsc']);
  if (wants('lint')) await check('lint', 'yarn', ['backstage-cli', 'repo', 'lint']);
  if (wants('kube')) {
    await check('kube prep: Kubernetes test plane, KWOK and Karpenter CRDs', 'bash', ['-c',
      'test-tooling/kube/build.sh >/dev/null && test-tooling/kube/kwok/build.sh >/dev/null && test-tooling/kube/crds.sh >/dev/null']);
  }
  if (wants('jest')) await jest();
  if (wants('browser')) await browser();

  banner('summary');
  for (const s of summary) {
    const mark = s.failed ? '\x1b[31m✘\x1b[0m' : '\x1b[32m✔\x1b[0m';
    console.log(`${mark} ${s.step.padEnd(56)} ${String(s.passed).padStart(4)} passed ${String(s.failed).padStart(3)} failed ${s.seconds.toFixed(0).padStart(5)} s ${s.note}`);
  }
  console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const line = `${totals.passed} passed, ${totals.failed} failed`;
  writeFileSync(join(results, 'summary.txt'), `${line}\n`);
  console.log(line);
  process.exit(totals.failed === 0 && totals.passed > 0 ? 0 : 1);
}

main();
