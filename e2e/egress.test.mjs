// Nothing phones home: the real backend (`yarn workspace backend start`, as `npm start`
// runs it) with every Node process's outbound connections and name lookups recorded by
// test-tooling/egress/record.cjs (a NODE_OPTIONS preload, inherited by child processes).
// Every fabric route, the scaffolder's actions (real tasks and a dry run) and a few
// catalog routes are exercised as the guest; then every recorded destination must be on
// loopback and be the backend itself, the configured AWS endpoint or the hook's own
// self-check. SQLite is a file: the database is no destination at all.
//
// Two configurations: the demo default (app-config.yaml), and the sandbox's aws estate
// (app-config.sandbox.yaml's accounts) against a moto_server on loopback.
//
//   bash scripts/fabric node --test e2e/egress.test.mjs
//
// EGRESS_CANARY_LOOKUP=example.invalid makes every hooked process look that name up at
// start — a planted call home, which this test must then report as a failure.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { ROOT, startPortal } from './portal.mjs';

const require = createRequire(import.meta.url);
const { startMotoServer } = require('../test-tooling/moto/motoServer.js');
const RECORDER = path.join(ROOT, 'test-tooling/egress/record.cjs');
const PLATFORM_TEAM = 'group:default/platform-team';

/** 127.0.0.0/8, ::1 (also IPv4-mapped), and the name localhost. */
function isLoopback(host) {
  const h = String(host)
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' ||
    h === '::1' ||
    /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    /^0:0:0:0:0:0:0:1$/.test(h)
  );
}

/** Listens on loopback for the preload's self-check: one line "egress-self-check <pid>" per hooked process. */
async function startSelfCheckListener() {
  const pids = new Set();
  const server = net.createServer(socket => {
    let text = '';
    socket.on('data', chunk => (text += chunk));
    socket.on('end', () => {
      const pid = /^egress-self-check (\d+)/.exec(text)?.[1];
      if (pid) pids.add(Number(pid));
    });
    socket.on('error', () => {});
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    pids,
    close: () => new Promise(r => server.close(r)),
  };
}

function readRecords(file) {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line => JSON.parse(line));
}

async function guestToken(backendUrl) {
  const res = await fetch(`${backendUrl}/api/auth/guest/refresh`, {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  assert.equal(res.status, 200, 'guest sign-in');
  return (await res.json()).backstageIdentity.token;
}

/** Calls every fabric route, real scaffolder tasks of every template, a dry run and catalog reads. */
async function exercise(backendUrl, token) {
  const statuses = [];
  const call = async (method, route, body) => {
    const res = await fetch(`${backendUrl}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    statuses.push({
      call: `${method} ${route.split('?')[0]}`,
      status: res.status,
    });
    return { status: res.status, body: json };
  };
  const fabric = (method, route, body) =>
    call(method, `/api/fabric${route}`, body);
  const unknownId = '00000000-0000-4000-8000-000000000000';

  await fabric('GET', '/health');
  await fabric('GET', '/estate');
  await fabric('POST', '/refresh');
  await fabric('GET', '/capacity');
  await fabric(
    'GET',
    '/capacity?family=p5&efaOnly=true&intent=tightly-coupled',
  );
  const placed = await fabric('POST', '/placements', {
    entityRef: 'component:default/llm-pretraining',
    intent: 'tightly-coupled',
    gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
  });
  const placementId = placed.body?.id ?? unknownId;
  await fabric(
    'GET',
    '/placements?entityRef=component%3Adefault%2Fllm-pretraining',
  );
  await fabric('GET', `/placements/${placementId}`);
  const provisioned = await fabric(
    'POST',
    `/placements/${placementId}/provision`,
  );
  await fabric('POST', '/workloads', {
    name: 'egress-check',
    owner: 'group:default/ml-research',
    intent: 'tightly-coupled',
    gpu: 'p5',
  });
  await fabric('GET', '/workloads');
  const network = {
    networkAccountId: '444444444444',
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    subnetCidr: '10.80.16.0/22',
  };
  const island = await fabric('POST', '/islands', {
    placementId,
    id: 'egress-island',
    ...network,
  });
  const islandId = island.body?.subject ?? 'egress-island';
  await fabric('POST', `/islands/${islandId}/apply`);
  await fabric('DELETE', `/islands/${islandId}`);
  const meshPlan = await fabric('POST', '/mesh/plan', {});
  await fabric('POST', '/mesh/apply', {});
  await fabric('DELETE', '/mesh');
  const plans = await fabric('GET', '/plans');
  const planId =
    meshPlan.body?.id ??
    provisioned.body?.id ??
    plans.body?.items?.[0]?.id ??
    unknownId;
  await fabric('GET', `/plans/${planId}`);
  await fabric('POST', `/plans/${planId}/apply`);

  // The catalog, and the scaffolder, which reads templates from the catalog over HTTP.
  await call('GET', '/api/catalog/entities/by-query?limit=20');
  await call('GET', '/api/catalog/entity-facets?facet=kind');
  let template;
  for (
    const deadline = Date.now() + 90_000;
    Date.now() < deadline;
    await sleep(500)
  ) {
    template = await call(
      'GET',
      '/api/catalog/entities/by-name/template/default/gpu-capacity-check',
    );
    if (template.status === 200) break;
  }
  await call('GET', '/api/scaffolder/v2/actions');
  await call(
    'GET',
    '/api/scaffolder/v2/templates/default/template/gpu-workload/parameter-schema',
  );
  await call('POST', '/api/scaffolder/v2/dry-run', {
    template: template.body,
    values: { gpu: 'H100', intent: 'tightly-coupled', region: 'us-east-1' },
    secrets: {},
    directoryContents: [],
  });
  const tasks = [
    [
      'gpu-capacity-check',
      { gpu: 'H100', intent: 'tightly-coupled', region: 'us-east-1' },
    ],
    [
      'gpu-workload',
      {
        name: 'egress-run',
        owner: 'group:default/ml-research',
        intent: 'tightly-coupled',
        gpu: 'p5',
        totalGpus: 8,
        gpusPerNode: 8,
      },
    ],
    [
      'training-island',
      {
        source: 'spec',
        islandId: 'egress-use1-az4',
        region: 'us-east-1',
        azId: 'use1-az4',
        instanceType: 'p5.48xlarge',
        members: ['111111111111', '222222222222'],
        ...network,
        vpcCidr: '10.80.0.0/16',
      },
    ],
    [
      'enroll-account',
      {
        accountId: '222222222222',
        name: 'ml-research',
        role: 'member',
        regions: ['us-east-1'],
        hubAccountId: '111111111111',
        hubRoleName: 'cloudspectra-fabric-hub',
      },
    ],
  ];
  for (const [name, values] of tasks) {
    const created = await call('POST', '/api/scaffolder/v2/tasks', {
      templateRef: `template:default/${name}`,
      values,
    });
    if (created.status !== 201) continue;
    for (
      const deadline = Date.now() + 60_000;
      Date.now() < deadline;
      await sleep(500)
    ) {
      const task = await call(
        'GET',
        `/api/scaffolder/v2/tasks/${created.body.id}`,
      );
      if (['completed', 'failed', 'cancelled'].includes(task.body?.status)) {
        statuses.push({ call: `task ${name}`, status: task.body.status });
        break;
      }
    }
  }
  return statuses;
}

/**
 * Starts the backend with the recorder preloaded and `env` added, exercises it, stops it,
 * and returns what was recorded.
 */
async function recordRun(name, env) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fabric-egress-${name}-`));
  const recordFile = path.join(dir, 'egress.jsonl');
  const selfCheck = await startSelfCheckListener();
  const saved = { ...process.env };
  // startPortal starts the backend with this process's environment.
  Object.assign(process.env, {
    // The guest signs in as a member of the platform team, so the routes that only the
    // platform team may call (discovery on request, islands, the mesh) do their work
    // rather than stop at a 403.
    APP_CONFIG_auth_providers_guest_ownershipEntityRefs: JSON.stringify([
      'user:development/guest',
      PLATFORM_TEAM,
    ]),
    ...env,
    NODE_OPTIONS: `${
      process.env.NODE_OPTIONS ?? ''
    } --require ${RECORDER}`.trim(),
    EGRESS_RECORD_FILE: recordFile,
    EGRESS_SELF_CHECK: `127.0.0.1:${selfCheck.port}`,
  });
  const started = Date.now();
  let portal;
  try {
    portal = await startPortal({
      backendOnly: true,
      dataDir: path.join(dir, 'data'),
    });
  } finally {
    process.env = saved;
  }
  try {
    const token = await guestToken(portal.backendUrl);
    const statuses = await exercise(portal.backendUrl, token);
    return {
      statuses,
      backendPort: Number(new URL(portal.backendUrl).port),
      selfCheckPort: selfCheck.port,
      selfCheckPids: selfCheck.pids,
      records: () => readRecords(recordFile),
      logFile: portal.logFile,
      started,
      cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  } finally {
    await portal.stop();
    await selfCheck.close();
  }
}

/** "host:port" for connections, "dns <host>" for lookups. */
function destination(record) {
  if (['connect', 'tls', 'udp'].includes(record.kind))
    return `${record.kind} ${record.host}:${record.port}`;
  return `${record.kind} ${record.host}`;
}

/** allowedPorts: loopback port → what listens there, for the printed list. */
function checkEgress(run, { allowedPorts, label }) {
  const records = run.records();
  const outbound = records.filter(
    r =>
      ['connect', 'tls', 'udp'].includes(r.kind) || r.kind.startsWith('dns.'),
  );
  const named = r =>
    allowedPorts.has(Number(r.port))
      ? `${destination(r)} (${allowedPorts.get(Number(r.port))})`
      : destination(r);
  const distinct = [...new Set(outbound.map(named))].sort();
  const processes = records.filter(r => r.kind === 'process');
  const spawns = [
    ...new Set(records.filter(r => r.kind === 'spawn').map(r => r.file)),
  ];
  const seconds = ((Date.now() - run.started) / 1000).toFixed(0);
  const requests = run.statuses.filter(s => typeof s.status === 'number');
  console.log(
    `# egress ${label}: ${outbound.length} outbound connections/lookups from ${processes.length} hooked processes in ${seconds} s; ` +
      `${requests.length} requests (${[...new Set(requests.map(s => s.status))]
        .sort()
        .join('/')})\n` +
      `#   distinct destinations: ${distinct.join(', ') || '(none)'}\n` +
      `#   child processes spawned: ${spawns.join(', ') || '(none)'}\n` +
      `#   requests: ${run.statuses
        .map(s => `${s.call} ${s.status}`)
        .join(', ')}`,
  );

  // The hook is live: every hooked process reached the self-check listener through the
  // wrapped connect, and the backend's own process is among them.
  assert.ok(
    processes.length >= 1,
    `the recorder loaded in no process (log ${run.logFile})`,
  );
  assert.ok(
    run.selfCheckPids.size >= 1,
    'no hooked process reached the self-check listener',
  );
  for (const pid of run.selfCheckPids) {
    assert.ok(
      records.some(
        r =>
          r.pid === pid && r.kind === 'connect' && r.port === run.selfCheckPort,
      ),
      `process ${pid} connected to the self-check listener, but its connection was not recorded`,
    );
  }
  const servers = requests.filter(s => s.status >= 500);
  assert.deepEqual(
    servers,
    [],
    'every exercised route answers without a server error',
  );

  const unexpected = outbound.filter(r => {
    if (!isLoopback(r.host)) return true;
    return (
      ['connect', 'tls', 'udp'].includes(r.kind) &&
      !allowedPorts.has(Number(r.port))
    );
  });
  assert.deepEqual(
    [
      ...new Set(
        unexpected.map(
          r =>
            `${destination(r)} (pid ${r.pid}${
              r.stack?.length ? `, from ${r.stack.join(' < ')}` : ''
            })`,
        ),
      ),
    ],
    [],
    `${label}: connections or lookups to something other than the backend, the AWS endpoint or the self-check`,
  );
  return { outbound, distinct };
}

describe('nothing phones home', { timeout: 12 * 60_000 }, () => {
  const cleanups = [];
  after(async () => {
    for (const clean of cleanups.reverse()) await clean();
  });

  test(
    'the demo default (app-config.yaml) connects to nothing but itself',
    { timeout: 6 * 60_000 },
    async () => {
      const run = await recordRun('demo', {});
      cleanups.push(run.cleanup);
      const { outbound } = checkEgress(run, {
        label: 'demo',
        allowedPorts: new Map([
          [run.backendPort, 'the backend itself'],
          [run.selfCheckPort, 'self-check'],
        ]),
      });
      // The backend's outbound calls to itself (the scaffolder reading templates from the
      // catalog) are recorded: the hook sees the backend's real traffic.
      assert.ok(
        outbound.some(r => r.kind === 'connect' && r.port === run.backendPort),
        'no recorded call from the backend to itself: the hook missed real traffic',
      );
      const selfCallers = new Set(
        outbound.filter(r => r.port === run.backendPort).map(r => r.pid),
      );
      assert.ok(
        [...selfCallers].every(pid => run.selfCheckPids.has(pid)),
        `the backend process (${[...selfCallers]}) did not pass the self-check`,
      );
    },
  );

  test(
    'the sandbox aws estate connects only to its AWS endpoint (moto_server) and itself',
    { timeout: 6 * 60_000 },
    async () => {
      const moto = await startMotoServer();
      cleanups.push(() => moto.stop());
      const sandbox = parse(
        fs.readFileSync(path.join(ROOT, 'app-config.sandbox.yaml'), 'utf8'),
      );
      const run = await recordRun('sandbox', {
        APP_CONFIG_fabric: JSON.stringify({
          ...sandbox.fabric,
          aws: { ...sandbox.fabric.aws, endpoint: moto.endpoint },
        }),
        // moto accepts any key; these never leave this machine.
        AWS_ACCESS_KEY_ID: 'sandbox',
        AWS_SECRET_ACCESS_KEY: 'sandbox',
        AWS_REGION: 'us-east-1',
      });
      cleanups.push(run.cleanup);
      const motoPort = Number(new URL(moto.endpoint).port);
      const { outbound } = checkEgress(run, {
        label: 'sandbox',
        allowedPorts: new Map([
          [run.backendPort, 'the backend itself'],
          [run.selfCheckPort, 'self-check'],
          [motoPort, 'fabric.aws.endpoint'],
        ]),
      });
      assert.ok(
        outbound.some(r => r.kind === 'connect' && r.port === motoPort),
        `no recorded connection to the AWS endpoint ${moto.endpoint}: discovery did not run, or the hook missed it`,
      );
      await moto.stop();
    },
  );
});
