// The real backend under load, shared by the load test (e2e/load.test.mjs) and the API
// benchmark (plugins/fabric-backend/bench/api.bench.ts): start the backend as `npm start`
// does with the event-loop probe preloaded, sign in as the guest, and drive routes with
// autocannon, collecting every response's status and latency.
//
//   const backend = await startProbedBackend({ env });  // { backendUrl, probe, stop, ... }
//   const token = await guestToken(backend.backendUrl);
//   const result = await hammer({ url, connections: 50, seconds: 30, route: GET('/api/fabric/capacity'), token });
//   summarize(result)  // { requests, perSecond, p50, p95, p99, errors, statusCounts, ... }

import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startPortal } from './portal.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

export const PROBE = path.join(ROOT, 'test-tooling/load/eventLoopProbe.cjs');
export const PLATFORM_TEAM = 'group:default/platform-team';
/** A client gives up on an answer after this long; a request that takes longer counts as an error. */
export const CLIENT_TIMEOUT_SECONDS = 60;

export async function guestToken(backendUrl) {
  const res = await fetch(`${backendUrl}/api/auth/guest/refresh`, {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  if (res.status !== 200)
    throw new Error(`guest sign-in answered ${res.status}`);
  return (await res.json()).backstageIdentity.token;
}

/**
 * Starts the real backend (`yarn workspace backend start`) on its own SQLite directory with
 * the event-loop probe preloaded into its processes, `env` added to its environment. The
 * guest signs in as a member of the platform team, so the routes only that team may call
 * (discovery on request, the mesh) do their work.
 */
export async function startProbedBackend({ env = {}, name = 'load' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fabric-${name}-`));
  const probeDir = path.join(dir, 'probe');
  fs.mkdirSync(probeDir);
  const saved = { ...process.env };
  // startPortal starts the backend with this process's environment.
  Object.assign(process.env, {
    APP_CONFIG_auth_providers_guest_ownershipEntityRefs: JSON.stringify([
      'user:development/guest',
      PLATFORM_TEAM,
    ]),
    ...env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${PROBE}`.trim(),
    EVENT_LOOP_PROBE_DIR: probeDir,
  });
  let portal;
  try {
    portal = await startPortal({
      backendOnly: true,
      dataDir: path.join(dir, 'data'),
    });
  } finally {
    process.env = saved;
  }
  return {
    ...portal,
    probe: eventLoopWindow(probeDir),
    stop: async () => {
      await portal.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The probe's measured window: `start()` and `stop()` mark it (the probe notices within a
 * second), `figures()` reads the backend process's figures for it. The backend process is
 * the probed process that listens on a TCP port; `yarn` and the CLI that start it do not.
 */
function eventLoopWindow(probeDir) {
  const read = () =>
    fs
      .readdirSync(probeDir)
      .filter(f => /^\d+\.json$/.test(f))
      .map(f => {
        try {
          return JSON.parse(fs.readFileSync(path.join(probeDir, f), 'utf8'));
        } catch {
          return undefined;
        }
      })
      .filter(Boolean);
  const waitFor = async predicate => {
    for (let i = 0; i < 100; i++) {
      const backend = read()
        .filter(p => p.listening)
        .sort((a, b) => b.now.rssMiB - a.now.rssMiB)[0];
      if (backend && predicate(backend)) return backend;
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(
      `the event-loop probe did not answer in ${probeDir}: ${JSON.stringify(
        read(),
      )}`,
    );
  };
  return {
    processes: read,
    start: async () => {
      fs.writeFileSync(path.join(probeDir, 'start'), '');
      return waitFor(p => p.window);
    },
    stop: async () => {
      fs.writeFileSync(path.join(probeDir, 'stop'), '');
      const backend = await waitFor(p => p.window?.figures);
      return {
        pid: backend.pid,
        resolutionMs: backend.resolutionMs,
        ...backend.window,
        ...backend.window.figures,
      };
    },
  };
}

export const GET = (
  pathAndQuery,
  label = `GET ${pathAndQuery.split('?')[0]}`,
) => ({ label, method: 'GET', path: pathAndQuery });
export const POST = (pathOnly, body, label = `POST ${pathOnly}`) => ({
  label,
  method: 'POST',
  path: pathOnly,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});

/**
 * Runs `connections` clients against one route for `seconds`, each sending its next
 * request when the last one answered, and records every answer's status and latency
 * (autocannon's own percentiles stop short of p95).
 */
export async function hammer({ url, connections, seconds, route, token }) {
  const latencies = [];
  const statusCounts = {};
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    timeout: CLIENT_TIMEOUT_SECONDS,
    headers: { authorization: `Bearer ${token}` },
    requests: [
      {
        method: route.method,
        path: route.path,
        body: route.body,
        headers: route.headers,
      },
    ],
  });
  let bytes = 0;
  instance.on(
    'response',
    (_client, statusCode, responseBytes, responseTimeMs) => {
      latencies.push(responseTimeMs);
      bytes += responseBytes;
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
    },
  );
  const result = await instance;
  return {
    route,
    connections,
    seconds,
    latencies,
    statusCounts,
    bytes,
    result,
  };
}

function percentile(sorted, share) {
  if (sorted.length === 0) return NaN;
  return sorted[
    Math.min(
      sorted.length - 1,
      Math.max(0, Math.ceil(share * sorted.length) - 1),
    )
  ];
}

/** The figures of one `hammer` run; `errors` counts connection errors, timeouts and 5xx. */
export function summarize({
  route,
  connections,
  seconds,
  latencies,
  statusCounts,
  bytes = 0,
  result,
}) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const serverErrors = Object.entries(statusCounts)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, n]) => sum + n, 0);
  const clientErrors = Object.entries(statusCounts)
    .filter(([status]) => Number(status) >= 400 && Number(status) < 500)
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    route: route.label,
    connections,
    seconds,
    requests: sorted.length,
    perSecond: sorted.length / seconds,
    kibPerAnswer: sorted.length ? bytes / sorted.length / 1024 : 0,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN,
    // autocannon counts a timeout also as an error: connection errors are the rest.
    connectionErrors: result.errors - result.timeouts,
    timeouts: result.timeouts,
    serverErrors,
    clientErrors,
    errors: result.errors + serverErrors,
    statusCounts,
  };
}

export function formatSummary(s) {
  const ms = v =>
    Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : v.toFixed(0)}` : '—';
  const statuses = Object.entries(s.statusCounts)
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');
  return (
    `${s.route.padEnd(34)} ${String(s.requests).padStart(7)} req ${s.perSecond
      .toFixed(0)
      .padStart(6)} req/s ` +
    `p50 ${ms(s.p50).padStart(5)} p95 ${ms(s.p95).padStart(5)} p99 ${ms(
      s.p99,
    ).padStart(5)} max ${ms(s.max).padStart(6)} ms  ${s.kibPerAnswer
      .toFixed(0)
      .padStart(5)} KiB/answer  ` +
    `errors ${s.errors} (conn ${s.connectionErrors}, timeouts ${s.timeouts}, 5xx ${s.serverErrors})  4xx ${s.clientErrors}  [${statuses}]`
  );
}
