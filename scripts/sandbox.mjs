// `npm run sandbox`: the whole fabric loop on one machine. moto_server (3 member accounts ×
// 2 regions, behind the proxy that adds Service Quotas, spot prices and per-account AZ
// names), the hub cluster (kube-apiserver + kube-scheduler + KWOK, node join), the cells'
// networks and NodePools, then the portal whose backend runs the provisioner.
// `npm run sandbox:submit` (another terminal) submits examples/sandbox-workload.yaml.
// Ctrl-C stops everything.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiserver, ROOT, SAMPLE_WORKLOAD, startSandboxEstate } from './sandboxEstate.mjs';

const say = message => console.log(`[sandbox] ${message}`);
const verbose = process.env.FABRIC_SANDBOX_VERBOSE ? message => console.log(`[sandbox]   ${message}`) : () => {};

const started = Date.now();
let sandbox;
try {
  sandbox = await startSandboxEstate({ log: say, verbose, writeState: true });
} catch (error) {
  console.error(`[sandbox] could not start the estate: ${error.message}`);
  process.exit(1);
}
const { local } = sandbox;

say('starting the portal (backend with the provisioner, frontend on http://localhost:3000) …');
const portal = spawn(
  'yarn',
  [
    'backstage-cli', 'repo', 'start',
    '--config', path.join(ROOT, 'app-config.yaml'),
    '--config', path.join(ROOT, 'app-config.sandbox.yaml'),
    '--config', sandbox.configFile,
  ],
  {
    cwd: ROOT,
    detached: true, // its own process group: stopping it reaches the backend and the bundler
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      // moto accepts any key; these never leave this machine.
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      AWS_REGION: 'us-east-1',
    },
  },
);

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping the portal, the hub cluster and moto …');
  await stopPortal();
  await sandbox.stop().catch(error => console.error(`[sandbox] ${error.message}`));
  say('stopped');
  process.exit(code);
}
async function stopPortal() {
  const alive = () => {
    try {
      process.kill(-portal.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = s => {
    try {
      process.kill(-portal.pid, s);
    } catch {}
  };
  signal('SIGTERM');
  const deadline = Date.now() + 15_000;
  while (alive() && Date.now() < deadline) await sleep(250);
  if (alive()) signal('SIGKILL');
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
portal.on('exit', code => {
  if (!stopping) {
    console.error(`[sandbox] the portal exited (${code}); stopping`);
    stop(code ?? 1);
  }
});

// Wait for the backend and the frontend, then say what to do next.
const backendUp = () => fetch('http://localhost:7007/api/fabric/health').then(r => r.ok, () => false);
const frontendUp = () =>
  fetch('http://localhost:3000').then(
    async r => r.ok && (await r.text()).includes('<div id="root"'),
    () => false,
  );
while (!stopping && !((await backendUp()) && (await frontendUp()))) await sleep(2000);
const kubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
say(`ready after ${Math.round((Date.now() - started) / 1000)} s`);
say('');
say('  estate page:   http://localhost:3000/fabric   (the Nodes section shows NodeClaims, cells and $/h)');
say('  submit the sample workload (6 × 1-GPU inference pods and a 2-node training gang):');
say('      npm run sandbox:submit');
if (kubectl) say(`  or: kubectl --kubeconfig ${local.plane.kubeconfigPath} apply -f ${path.relative(ROOT, SAMPLE_WORKLOAD)}`);
say(`  watch it:      kubectl --kubeconfig ${local.plane.kubeconfigPath} get pods,nodeclaims,nodes -A${kubectl ? '' : '   (if you have kubectl)'}`);
say('  Ctrl-C stops everything.');
say('');

// Progress lines: the pods, claims and nodes as they change.
const api = apiserver(local.plane);
let last = '';
while (!stopping) {
  try {
    const [pods, claims, nodes] = await Promise.all([
      api.request('GET', '/api/v1/namespaces/sandbox/pods'),
      api.request('GET', '/apis/karpenter.sh/v1/nodeclaims'),
      api.request('GET', '/api/v1/nodes'),
    ]);
    const phases = {};
    for (const pod of pods.body.items ?? []) {
      const gated = (pod.spec.schedulingGates ?? []).length > 0;
      const phase = gated ? 'Gated' : pod.status?.phase ?? 'Pending';
      phases[phase] = (phases[phase] ?? 0) + 1;
    }
    const cells = new Set((nodes.body.items ?? []).map(n => n.metadata.labels?.['fabric.cloudspectra.io/cell']).filter(Boolean));
    const line = (pods.body.items ?? []).length
      ? `pods ${Object.entries(phases).map(([p, n]) => `${n} ${p}`).join(', ')} · ${(claims.body.items ?? []).length} NodeClaims · ` +
        `${(nodes.body.items ?? []).length} nodes in ${cells.size} cells${cells.size ? ` (${[...cells].sort().join(', ')})` : ''}`
      : '';
    if (line && line !== last) say(line);
    last = line;
  } catch {
    // The hub cluster is going away (Ctrl-C); the loop ends with it.
  }
  await sleep(2000);
}
