// @ts-check
'use strict';

// Kubernetes test plane for CloudSpectra Fabric: a real etcd + kube-apiserver +
// kube-scheduler on 127.0.0.1 (no Docker, no kube-controller-manager), with the
// Karpenter CRDs installed. See README.md in this folder.
//
// CommonJS, Node >= 20 builtins only. Usage:
//
//   const { startControlPlane } = require('./test-tooling/kube/controlPlane');
//   const cp = await startControlPlane({ log: console.error });
//   // cp.server, cp.token, cp.kubeconfigPath, cp.crdVersion, cp.kubeVersion
//   await cp.stop();

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const versions = JSON.parse(fs.readFileSync(path.join(__dirname, 'versions.json'), 'utf8'));

/** Kubernetes release the binary is built from (versions.json), e.g. "1.37.2". */
const kubernetesVersion = versions.kubernetes;
/** github.com/aws/karpenter-provider-aws release the CRDs come from (versions.json), e.g. "1.15.2". */
const karpenterVersion = versions.karpenter;

const insecureAgent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });

// Runs a bash script of this folder. Its stderr is forwarded live (build progress stays
// visible) and its tail is kept for the error; the last non-empty stdout line is the
// result (a path).
/** @param {string} name @returns {Promise<string>} */
function runScript(name) {
  return new Promise((resolve, reject) => {
    const script = path.join(__dirname, name);
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      err = (err + d.toString('utf8')).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${script} failed (${signal || `exit code ${code}`}):\n${err.trim()}`));
        return;
      }
      const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
      if (!lines.length) reject(new Error(`${script} printed no path`));
      else resolve(lines[lines.length - 1]);
    });
  });
}

// Distinct free loopback ports: all listeners stay open until every port is chosen.
async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve(undefined));
      });
    }
    return servers.map((s) => /** @type {net.AddressInfo} */ (s.address()).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve()))));
  }
}

function tail(file, lines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch (err) {
    return `(no log: ${err.message})`;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Plain HTTP(S) request; resolves { status, headers, body } (body parsed when JSON).
 * @param {string} url
 * @param {{ method?: string, token?: string, body?: unknown, headers?: Record<string, string>, timeoutMs?: number }} [opts]
 * @returns {Promise<{ status: number, headers: import('node:http').IncomingHttpHeaders, body: any }>}
 */
function rawRequest(url, { method = 'GET', token, body, headers = {}, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    /** @type {Record<string, string | number>} */
    const h = { Accept: 'application/json', ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    if (payload !== undefined) {
      if (!h['Content-Type']) h['Content-Type'] = 'application/json';
      h['Content-Length'] = Buffer.byteLength(payload);
    }
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, {
      method,
      headers: h,
      agent: u.protocol === 'https:' ? insecureAgent : undefined,
      timeout: timeoutMs,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = text;
        if ((res.headers['content-type'] || '').includes('json')) {
          try { parsed = JSON.parse(text); } catch { /* keep text */ }
        }
        resolve({ status: res.statusCode, headers: res.headers, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms: ${method} ${url}`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

// Each component runs under a small bash guard in its own process group:
// - stop() signals the whole group;
// - the guard holds the write end of a pipe from this Node process on fd 3: when Node
//   dies in any way (even SIGKILL), the pipe closes and the guard SIGKILLs the component
//   (its state is throwaway; an apiserver whose etcd is gone would hang in a graceful
//   shutdown), so crashed/interrupted test runs do not leave etcd/apiservers behind.
const GUARD = [
  'exec 3<&0 </dev/null',
  '"$@" 3<&- & c=$!',
  '(read -r -u 3 _; kill -KILL "$c" 2>/dev/null) & g=$!',
  'wait "$c"; rc=$?',
  'kill "$g" 2>/dev/null',
  'exit "$rc"',
].join('\n');

function startProcess(name, bin, args, logFile) {
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `# ${new Date().toISOString()} ${bin} ${args.join(' ')}\n`);
  const child = spawn('bash', ['-c', GUARD, `fabric-${name}`, bin, ...args], {
    detached: true, // own process group, killed as a whole
    stdio: ['pipe', fd, fd],
    env: process.env,
  });
  fs.closeSync(fd);
  const proc = { name, child, pgid: child.pid, logFile, exited: null };
  child.on('exit', (code, signal) => { proc.exited = { code, signal }; });
  child.on('error', (err) => { proc.exited = { error: err.message }; });
  child.stdin.on('error', () => {}); // EPIPE once the guard is gone
  return proc;
}

// True while a process of the group is still running. On Linux, zombies do not count:
// a SIGKILLed component whose guard died first is re-parented to PID 1, which may reap
// it late, but it has already released its ports and files.
function groupAlive(pgid) {
  if (process.platform === 'linux') {
    try {
      for (const entry of fs.readdirSync('/proc')) {
        if (!/^[0-9]+$/.test(entry)) continue;
        let stat;
        try { stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8'); } catch { continue; }
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
      }
      return false;
    } catch { /* no usable /proc: fall back to kill(0) */ }
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function killGroup(pgid, signal) {
  try { process.kill(-pgid, signal); } catch { /* already gone */ }
}

async function stopProcess(proc, graceMs = 10000) {
  if (!proc || !groupAlive(proc.pgid)) return;
  if (graceMs > 0) {
    killGroup(proc.pgid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (groupAlive(proc.pgid) && Date.now() < deadline) await sleep(50);
  }
  if (groupAlive(proc.pgid)) {
    killGroup(proc.pgid, 'SIGKILL');
    while (groupAlive(proc.pgid)) await sleep(20);
  }
}

function describeExit(proc) {
  const e = proc.exited;
  if (!e) return 'running';
  if (e.error) return `failed to start: ${e.error}`;
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
}

// Polls check() until it returns a truthy value; fails fast when a watched process exits.
async function waitFor(what, check, { timeoutMs, watch = [], intervalMs = 200 }) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    for (const p of watch) {
      if (p.exited) {
        throw new Error(`${p.name} ${describeExit(p)} while waiting for ${what}. Last lines of ${p.logFile}:\n${tail(p.logFile)}`);
      }
    }
    try {
      const result = await check();
      if (result) return result;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline) {
      const logs = watch.map((p) => `--- ${p.name} (${p.logFile}):\n${tail(p.logFile)}`).join('\n');
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? ` (last error: ${last})` : ''}\n${logs}`);
    }
    await sleep(intervalMs);
  }
}

function kubeconfigYaml(server, token) {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fabric-test',
    '  cluster:',
    `    server: ${server}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: fabric-test-admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: fabric-test',
    '  context:',
    '    cluster: fabric-test',
    '    user: fabric-test-admin',
    '    namespace: default',
    'current-context: fabric-test',
    '',
  ].join('\n');
}

const TMP_PREFIX = 'fabric-kube-';
const OWNER_FILE = 'owner.pid';

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

// Removes temp dirs left behind by test processes that were killed before stop()
// (etcd preallocates ~60 MB of WAL per dir). Dirs without an owner.pid (kept on
// purpose: keepTmpDir or a failed start) and recent dirs are left alone.
function sweepStaleTmpDirs(log) {
  let entries = [];
  try { entries = fs.readdirSync(os.tmpdir()); } catch { return; }
  for (const entry of entries) {
    if (!entry.startsWith(TMP_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), entry);
    try {
      const ownerFile = path.join(dir, OWNER_FILE);
      const pid = Number(fs.readFileSync(ownerFile, 'utf8').trim());
      const ageMs = Date.now() - fs.statSync(ownerFile).mtimeMs;
      if (pid && !pidAlive(pid) && ageMs > 10 * 60 * 1000) {
        fs.rmSync(dir, { recursive: true, force: true });
        log(`kube test plane: removed stale ${dir} (owner ${pid} is gone)`);
      }
    } catch { /* not ours, no owner file, or already gone */ }
  }
}

/**
 * Starts etcd, kube-apiserver and kube-scheduler on free 127.0.0.1 ports, installs the
 * Karpenter CRDs and resolves once the apiserver is ready, every CRD is Established and
 * (by default) the scheduler is ready.
 *
 * @param {object} [opts]
 * @param {(msg: string) => void} [opts.log]  progress messages (default: none)
 * @param {number} [opts.timeoutMs=120000]   budget for each readiness wait
 * @param {boolean} [opts.waitForScheduler=true]  serve the scheduler's /readyz on a free port
 *   and wait for it (informers synced); false runs it with --secure-port=0 and does not wait
 * @param {boolean} [opts.installCrds=true]   install the Karpenter CRDs
 * @param {boolean} [opts.keepTmpDir=false]   keep the temp dir (logs, kubeconfig) after stop()
 * @returns {Promise<{server: string, token: string, kubeconfigPath: string, crdVersion: string,
 *   kubeVersion: string, stop: (opts?: {graceful?: boolean}) => Promise<void>, tmpDir: string, binary: string,
 *   crdDir: string, crds: string[], logs: {etcd: string, apiserver: string, scheduler: string},
 *   request: (method: string, path: string, body?: any, headers?: object) =>
 *     Promise<{status: number, headers: object, body: any}>}>}
 */
async function startControlPlane({
  log = () => {},
  timeoutMs = 120000,
  waitForScheduler = true,
  installCrds = true,
  keepTmpDir = false,
} = {}) {
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

  log(`kube test plane: ensuring Kubernetes v${kubernetesVersion} binary (build.sh) ...`);
  const binary = await runScript('build.sh');
  const crdDir = installCrds ? await runScript('crds.sh') : null;
  log(`kube test plane: binary ${binary}${crdDir ? `, CRDs ${crdDir}` : ''} (${elapsed()})`);

  sweepStaleTmpDirs(log);
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), TMP_PREFIX));
  if (!keepTmpDir) fs.writeFileSync(path.join(tmpDir, OWNER_FILE), `${process.pid}\n`);
  const procs = [];
  let stopped = false;

  const onExit = () => {
    for (const p of procs) killGroup(p.pgid, 'SIGKILL');
    if (!keepTmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  // Default: SIGKILL all three process groups at once (the state is a throwaway temp
  // dir; graceful shutdown costs ~6s). { graceful: true }: SIGTERM scheduler, then
  // apiserver, then etcd, each with a 10s grace period.
  async function stop({ graceful = false } = {}) {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    if (graceful) {
      for (const p of [...procs].reverse()) await stopProcess(p);
    } else {
      await Promise.all(procs.map((p) => stopProcess(p, 0)));
    }
    if (!keepTmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  }

  try {
    const [etcdClientPort, etcdPeerPort, apiPort, schedPort] = await freePorts(4);
    const token = crypto.randomBytes(24).toString('hex');
    const server = `https://127.0.0.1:${apiPort}`;

    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const p = (f) => path.join(tmpDir, f);
    fs.writeFileSync(p('sa.key'), privateKey, { mode: 0o600 });
    fs.writeFileSync(p('sa.pub'), publicKey);
    fs.writeFileSync(p('tokens.csv'), `${token},fabric-test-admin,fabric-test-admin,"system:masters"\n`, { mode: 0o600 });
    const kubeconfigPath = p('kubeconfig');
    fs.writeFileSync(kubeconfigPath, kubeconfigYaml(server, token), { mode: 0o600 });
    const logs = { etcd: p('etcd.log'), apiserver: p('kube-apiserver.log'), scheduler: p('kube-scheduler.log') };

    // etcd
    const etcdClient = `http://127.0.0.1:${etcdClientPort}`;
    const etcdPeer = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = startProcess('etcd', binary, [
      'etcd',
      '--name=default',
      `--data-dir=${p('etcd')}`,
      `--listen-client-urls=${etcdClient}`,
      `--advertise-client-urls=${etcdClient}`,
      `--listen-peer-urls=${etcdPeer}`,
      `--initial-advertise-peer-urls=${etcdPeer}`,
      `--initial-cluster=default=${etcdPeer}`,
      '--unsafe-no-fsync=true', // throwaway test data
      '--log-level=warn',
    ], logs.etcd);
    procs.push(etcd);
    await waitFor('etcd /health', async () => {
      const r = await rawRequest(`${etcdClient}/health`, { timeoutMs: 2000 });
      return r.status === 200;
    }, { timeoutMs, watch: [etcd], intervalMs: 100 });
    log(`kube test plane: etcd ready on ${etcdClient} (${elapsed()})`);

    // kube-apiserver (flags follow envtest's defaults; see the reference design)
    const apiserver = startProcess('kube-apiserver', binary, [
      'kube-apiserver',
      `--etcd-servers=${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${p('certs')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--authorization-mode=RBAC',
      // No kube-controller-manager runs, so: no "default" ServiceAccount (ServiceAccount
      // admission would reject every Pod), and nothing would ever remove the
      // node.kubernetes.io/not-ready:NoSchedule taint that TaintNodesByCondition puts on
      // every new Node (the scheduler would never bind). Nodes keep exactly the taints
      // a test gives them.
      '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${p('sa.pub')}`,
      `--service-account-signing-key-file=${p('sa.key')}`,
      `--token-auth-file=${p('tokens.csv')}`,
      '--enable-priority-and-fairness=false', // skips APF bootstrap config; faster start
      '--endpoint-reconciler-type=none', // single loopback apiserver; no kubernetes Endpoints churn
    ], logs.apiserver);
    procs.push(apiserver);
    await waitFor('kube-apiserver /readyz', async () => {
      const r = await rawRequest(`${server}/readyz`, { token, timeoutMs: 5000 });
      return r.status === 200;
    }, { timeoutMs, watch: [etcd, apiserver], intervalMs: 250 });
    const version = await rawRequest(`${server}/version`, { token });
    const kubeVersion = version.body && version.body.gitVersion;
    log(`kube test plane: kube-apiserver ${kubeVersion} ready on ${server} (${elapsed()})`);

    // kube-scheduler
    const schedArgs = [
      'kube-scheduler',
      `--kubeconfig=${kubeconfigPath}`,
      '--leader-elect=false',
    ];
    if (waitForScheduler) {
      schedArgs.push(
        '--bind-address=127.0.0.1',
        `--secure-port=${schedPort}`,
        `--cert-dir=${p('scheduler-certs')}`,
        `--authentication-kubeconfig=${kubeconfigPath}`,
        `--authorization-kubeconfig=${kubeconfigPath}`,
      );
    } else {
      schedArgs.push('--secure-port=0');
    }
    const scheduler = startProcess('kube-scheduler', binary, schedArgs, logs.scheduler);
    procs.push(scheduler);

    // Karpenter CRDs, as raw JSON (keeps x-kubernetes-int-or-string etc. verbatim)
    let crdVersion = null;
    const crds = [];
    if (crdDir) {
      const manifest = JSON.parse(fs.readFileSync(path.join(crdDir, 'manifest.json'), 'utf8'));
      crdVersion = manifest.karpenterProvider;
      for (const file of manifest.files) {
        const crd = JSON.parse(fs.readFileSync(path.join(crdDir, file), 'utf8'));
        const r = await rawRequest(`${server}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
          method: 'POST', token, body: crd, timeoutMs: 30000,
        });
        if (r.status !== 201) {
          throw new Error(`installing CRD ${crd.metadata.name} from ${file} failed: HTTP ${r.status} ${JSON.stringify(r.body)}`);
        }
        crds.push(crd.metadata.name);
      }
      for (const name of crds) {
        await waitFor(`CRD ${name} Established`, async () => {
          const r = await rawRequest(`${server}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`, { token });
          const conds = (r.body && r.body.status && r.body.status.conditions) || [];
          return conds.some((c) => c.type === 'Established' && c.status === 'True');
        }, { timeoutMs, watch: [etcd, apiserver], intervalMs: 100 });
      }
      log(`kube test plane: Karpenter ${crdVersion} CRDs established: ${crds.join(', ')} (${elapsed()})`);
    }

    if (waitForScheduler) {
      await waitFor('kube-scheduler /readyz', async () => {
        const r = await rawRequest(`https://127.0.0.1:${schedPort}/readyz`, { timeoutMs: 5000 });
        return r.status === 200;
      }, { timeoutMs, watch: [etcd, apiserver, scheduler], intervalMs: 200 });
      log(`kube test plane: kube-scheduler ready (${elapsed()})`);
    } else {
      await sleep(0);
      if (scheduler.exited) {
        throw new Error(`kube-scheduler ${describeExit(scheduler)}. Last lines of ${logs.scheduler}:\n${tail(logs.scheduler)}`);
      }
    }

    const request = (method, urlPath, body, headers) => rawRequest(`${server}${urlPath}`, {
      method, token, body, headers, timeoutMs: 30000,
    });

    return {
      server,
      token,
      kubeconfigPath,
      crdVersion,
      kubeVersion,
      stop,
      tmpDir,
      binary,
      crdDir,
      crds,
      logs,
      request,
    };
  } catch (err) {
    const keep = keepTmpDir;
    keepTmpDir = true; // keep the logs the error points at
    fs.rmSync(path.join(tmpDir, OWNER_FILE), { force: true }); // and never sweep them
    await stop();
    if (!keep) err.message += `\n(logs kept in ${tmpDir})`;
    throw err;
  }
}

module.exports = { startControlPlane, kubernetesVersion, karpenterVersion };
