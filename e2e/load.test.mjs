// The backend under load: the real backend (`yarn workspace backend start`, as `npm start`
// runs it) on the sandbox's AWS estate against a local moto_server, in apply mode, takes
// 50 concurrent users for FABRIC_LOAD_SECONDS (60 by default) of capacity, estate and
// placement reads and placement requests, while discovery runs over and over
// (POST /refresh) and the peering mesh of 10 tagged VPCs is applied and removed over and
// over (POST /mesh/apply, DELETE /mesh, POST /plans/:id/apply), so an apply is in flight
// for most of the window. Every request is valid: any 5xx, connection error, timeout or
// 4xx fails the test, and so does a refresh that does not answer 200 or an apply that
// does not end `applied`.
//
// The figures are printed, never asserted (speed is measured, not promised): each
// route's req/s and p50/p95/p99 latency, and from a probe inside the backend process
// (test-tooling/load/eventLoopProbe.cjs, perf_hooks.monitorEventLoopDelay) the event-loop
// delay (p50, p99, max) and RSS at the start and end of the window.
//
//   FABRIC_LOAD_SECONDS=20 bash scripts/fabric node --test e2e/load.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  CLIENT_TIMEOUT_SECONDS,
  formatSummary,
  GET,
  guestToken,
  hammer,
  POST,
  startProbedBackend,
  summarize,
} from './load.mjs';
import { ROOT } from './portal.mjs';

const require = createRequire(import.meta.url);
const { startMotoServer } = require('../test-tooling/moto/motoServer.js');
const { EC2Client, CreateVpcCommand } = require('@aws-sdk/client-ec2');
const { STSClient, AssumeRoleCommand } = require('@aws-sdk/client-sts');

const LOAD_SECONDS = Number(process.env.FABRIC_LOAD_SECONDS ?? 60);
const USERS = 50;
/** The fabric's mesh opt-in tag (MESH_VPC_TAG in plugins/fabric-node/src/network/meshVpcs.ts). */
const MESH_VPC_TAG = 'fabric.cloudspectra.io/mesh';
const MESH_VPCS_PER_CELL = 2;
const HUB_CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

/** The sandbox's estate (app-config.sandbox.yaml), in apply mode, against this moto_server. */
function sandboxFabric(endpoint) {
  const { fabric } = parse(
    fs.readFileSync(path.join(ROOT, 'app-config.sandbox.yaml'), 'utf8'),
  );
  return {
    ...fabric,
    estate: { ...fabric.estate, mode: 'apply' },
    aws: { ...fabric.aws, endpoint },
  };
}

/** Tagged VPCs in every cell of the estate, created in each account through its role. */
async function createMeshVpcs(fabric) {
  const { endpoint } = fabric.aws;
  let octet = 64;
  let created = 0;
  for (const account of fabric.estate.accounts) {
    const sts = new STSClient({
      endpoint,
      region: 'us-east-1',
      credentials: HUB_CREDENTIALS,
    });
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: account.roleArn,
        RoleSessionName: 'load-test',
        ExternalId: account.externalId,
      }),
    );
    sts.destroy();
    for (const region of account.regions ?? fabric.estate.defaultRegions) {
      const ec2 = new EC2Client({
        endpoint,
        region,
        credentials: {
          accessKeyId: Credentials.AccessKeyId,
          secretAccessKey: Credentials.SecretAccessKey,
          sessionToken: Credentials.SessionToken,
        },
      });
      for (let i = 0; i < MESH_VPCS_PER_CELL; i++) {
        await ec2.send(
          new CreateVpcCommand({
            CidrBlock: `10.${octet++}.0.0/16`,
            TagSpecifications: [
              {
                ResourceType: 'vpc',
                Tags: [{ Key: MESH_VPC_TAG, Value: 'true' }],
              },
            ],
          }),
        );
        created++;
      }
      ec2.destroy();
    }
  }
  return created;
}

/**
 * Discovery and the mesh, each in a loop until `stop()`: what the platform team does while
 * the users read and place. Every answer and every apply's end is recorded.
 */
function backgroundWork(backendUrl, token) {
  let stopping = false;
  const events = { refreshes: [], applies: [], problems: [] };
  const call = async (method, route, body) => {
    const res = await fetch(`${backendUrl}/api/fabric${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(5 * 60_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  // A loop that throws (the backend went away) records why instead of rejecting unheard.
  const recorded = loop =>
    loop().catch(error => events.problems.push(`${error.message}`));

  const discovery = recorded(async () => {
    while (!stopping) {
      const startedAt = Date.now();
      const res = await call('POST', '/refresh');
      events.refreshes.push({
        startedAt,
        endedAt: Date.now(),
        status: res.status,
        ...res.body,
      });
      if (res.status !== 200)
        events.problems.push(
          `POST /refresh answered ${res.status}: ${JSON.stringify(res.body)}`,
        );
    }
  });

  // From the request that starts it (the mesh is read and planned before it answers) to its end.
  const applyUntilDone = async (what, startedAt, started) => {
    if (started.status !== 202) {
      events.problems.push(
        `${what} answered ${started.status}: ${JSON.stringify(started.body)}`,
      );
      return;
    }
    let view = started.body;
    while (view.status === 'applying' || view.status === 'planned') {
      await sleep(500);
      const res = await call('GET', `/plans/${started.body.id}`);
      if (res.status !== 200) {
        events.problems.push(
          `GET /plans/${started.body.id} answered ${res.status}`,
        );
        return;
      }
      view = res.body;
    }
    events.applies.push({
      what,
      startedAt,
      endedAt: Date.now(),
      status: view.status,
      steps: view.steps.length,
    });
    if (view.status !== 'applied') {
      const failed = view.steps
        .filter(s => s.status === 'failed')
        .map(s => `${s.key}: ${s.error}`);
      events.problems.push(
        `${what} ended ${view.status}: ${failed.join('; ')}`,
      );
    }
  };

  // Apply, remove, apply again: an apply in flight for as long as the load lasts. The one
  // running when the load ends is waited for, so every apply is seen to its end.
  const mesh = recorded(async () => {
    while (!stopping && events.problems.length === 0) {
      await applyUntilDone(
        'mesh apply',
        Date.now(),
        await call('POST', '/mesh/apply', {}),
      );
      if (stopping) break;
      const removalStartedAt = Date.now();
      const removal = await call('DELETE', '/mesh');
      if (removal.status !== 201) {
        events.problems.push(
          `DELETE /mesh answered ${removal.status}: ${JSON.stringify(
            removal.body,
          )}`,
        );
        break;
      }
      await applyUntilDone(
        'mesh removal',
        removalStartedAt,
        await call('POST', `/plans/${removal.body.id}/apply`),
      );
    }
  });

  return {
    events,
    stop: async () => {
      stopping = true;
      await Promise.all([discovery, mesh]);
      return events;
    },
  };
}

/** Seconds of [from, to] covered by at least one of the intervals. */
function coveredSeconds(intervals, from, to) {
  let covered = 0;
  let reached = from;
  for (const { startedAt, endedAt } of [...intervals].sort(
    (a, b) => a.startedAt - b.startedAt,
  )) {
    const start = Math.max(startedAt, reached);
    const end = Math.min(endedAt, to);
    if (end > start) covered += end - start;
    reached = Math.max(reached, end);
  }
  return covered / 1000;
}

describe(
  'the backend under load',
  { timeout: (LOAD_SECONDS + 8 * 60) * 1000 },
  () => {
    const cleanups = [];
    after(async () => {
      for (const clean of cleanups.reverse()) await clean();
    });

    test(`${USERS} users for ${LOAD_SECONDS} s of reads and placements while discovery and a mesh apply run: no errors`, async () => {
      const moto = await startMotoServer();
      cleanups.push(() => moto.stop());
      const fabric = sandboxFabric(moto.endpoint);
      const vpcs = await createMeshVpcs(fabric);
      const backend = await startProbedBackend({
        name: 'load',
        env: {
          APP_CONFIG_fabric: JSON.stringify(fabric),
          // moto accepts any key; these never leave this machine.
          AWS_ACCESS_KEY_ID: HUB_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: HUB_CREDENTIALS.secretAccessKey,
          AWS_REGION: 'us-east-1',
        },
      });
      cleanups.push(() => backend.stop());
      const token = await guestToken(backend.backendUrl);

      const entityRef = 'component:default/llm-pretraining';
      const placement = POST('/api/fabric/placements', {
        entityRef,
        intent: 'balanced',
        gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 8 },
      });
      // Every route answers before the load starts, so the window measures load, not the first call.
      const first = await fetch(`${backend.backendUrl}${placement.path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        },
        body: placement.body,
      });
      assert.equal(
        first.status,
        201,
        `a placement before the load: ${await first.text()}`,
      );
      const mix = [
        [GET('/api/fabric/capacity'), 13],
        [GET('/api/fabric/estate'), 12],
        [
          GET(
            `/api/fabric/placements?entityRef=${encodeURIComponent(entityRef)}`,
          ),
          12,
        ],
        [placement, 13],
      ];
      assert.equal(
        mix.reduce((sum, [, users]) => sum + users, 0),
        USERS,
      );

      const rssBefore = await backend.probe.start();
      const background = backgroundWork(backend.backendUrl, token);
      const windowStart = Date.now();
      let runs;
      try {
        runs = await Promise.all(
          mix.map(([route, connections]) =>
            hammer({
              url: backend.backendUrl,
              connections,
              seconds: LOAD_SECONDS,
              route,
              token,
            }),
          ),
        );
      } catch (error) {
        await background.stop();
        throw error;
      }
      const windowEnd = Date.now();
      const eventLoop = await backend.probe.stop();
      const events = await background.stop();

      const summaries = runs.map(summarize);
      const all = summarize({
        route: { label: `all ${USERS} users` },
        connections: USERS,
        seconds: LOAD_SECONDS,
        latencies: runs.flatMap(r => r.latencies),
        bytes: runs.reduce((sum, r) => sum + r.bytes, 0),
        statusCounts: runs.reduce((acc, r) => {
          for (const [status, n] of Object.entries(r.statusCounts))
            acc[status] = (acc[status] ?? 0) + n;
          return acc;
        }, {}),
        result: runs.reduce(
          (acc, r) => ({
            errors: acc.errors + r.result.errors,
            timeouts: acc.timeouts + r.result.timeouts,
          }),
          {
            errors: 0,
            timeouts: 0,
          },
        ),
      });
      const meshApplies = events.applies.filter(a => a.what === 'mesh apply');
      const windowSeconds = (windowEnd - windowStart) / 1000;
      console.log(
        [
          `# load: ${USERS} users for ${LOAD_SECONDS} s on the sandbox estate (moto_server, apply mode, ${vpcs} mesh VPCs); client timeout ${CLIENT_TIMEOUT_SECONDS} s`,
          ...[...summaries, all].map(s => `#   ${formatSummary(s)}`),
          `#   discovery: ${
            events.refreshes.length
          } refreshes, running ${coveredSeconds(
            events.refreshes,
            windowStart,
            windowEnd,
          ).toFixed(0)} of ${windowSeconds.toFixed(0)} s` +
            ` (${events.refreshes
              .map(r => `${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s`)
              .join(', ')})`,
          `#   mesh: ${meshApplies.length} applies and ${
            events.applies.length - meshApplies.length
          } removals ended (${events.applies
            .map(
              a =>
                `${a.what.replace('mesh ', '')} ${a.steps} steps ${(
                  (a.endedAt - a.startedAt) /
                  1000
                ).toFixed(1)} s ${a.status}`,
            )
            .join(', ')}), in flight ${coveredSeconds(
            events.applies,
            windowStart,
            windowEnd,
          ).toFixed(0)} of ${windowSeconds.toFixed(0)} s`,
          `#   backend event loop (pid ${eventLoop.pid}, ${eventLoop.samples} samples, beyond its ${eventLoop.resolutionMs} ms timer): ` +
            `mean ${eventLoop.meanMs} ms, p50 ${eventLoop.p50Ms} ms, p99 ${eventLoop.p99Ms} ms, max ${eventLoop.maxMs} ms`,
          `#   backend memory: RSS ${eventLoop.rssStartMiB} MiB at the start, ${eventLoop.rssEndMiB} MiB at the end, peak ${eventLoop.rssPeakMiB} MiB; ` +
            `heap ${eventLoop.heapStartMiB} → ${eventLoop.heapEndMiB} MiB (process RSS before the window ${rssBefore.now.rssMiB} MiB)`,
        ].join('\n'),
      );

      assert.deepEqual(
        events.problems,
        [],
        'discovery and the mesh applies went through under load',
      );
      for (const s of summaries) {
        assert.ok(s.requests > 0, `${s.route}: no answer at all`);
        assert.equal(s.connectionErrors, 0, `${s.route}: connection errors`);
        assert.equal(
          s.timeouts,
          0,
          `${s.route}: no answer within ${CLIENT_TIMEOUT_SECONDS} s`,
        );
        const notSuccess = Object.keys(s.statusCounts).filter(
          status => !/^2\d\d$/.test(status),
        );
        assert.deepEqual(
          notSuccess,
          [],
          `${
            s.route
          }: every request is valid, so every answer is a 2xx (${JSON.stringify(
            s.statusCounts,
          )})`,
        );
      }
      // The load met the background work: discovery and a mesh apply ran inside the window.
      assert.ok(
        events.refreshes.some(
          r =>
            r.startedAt < windowEnd &&
            r.endedAt > windowStart &&
            r.status === 200,
        ),
        'no discovery ran during the load',
      );
      assert.ok(
        meshApplies.some(
          a => a.startedAt < windowEnd && a.status === 'applied' && a.steps > 0,
        ),
        'no mesh apply with steps ran during the load',
      );
      assert.ok(
        eventLoop.samples > 0,
        'the probe inside the backend measured its event loop',
      );
    });
  },
);
