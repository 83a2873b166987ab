/* eslint-disable no-console */
// The portal's REST API under load: the real backend, started as `npm start` starts it
// (SQLite, the demo estate, plan-only), driven by autocannon with 50 concurrent
// connections, one route at a time: GET /capacity, GET /estate, POST /placements, then
// GET /placements?entityRef= over what they stored. The anchor is the same backend's
// GET /api/catalog/entities (Backstage's own catalog, the read every portal page makes)
// in the same run. Each route gets a short warm-up that is not counted. The backend's
// event-loop delay and RSS over the measured window come from a probe inside its process
// (test-tooling/load/eventLoopProbe.cjs).
// `npm run bench -- [--quick] api`. Figures, never assertions: the machines differ.
import { join, resolve } from 'node:path';
// The benchmarks' shared kit lives beside the engine's benchmarks; it is no package export.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { benchContext, describeMachine, TableRow, writeResults } from '../../fabric-node/bench/benchKit';

const ROOT = resolve(__dirname, '../../..');
const CONNECTIONS = 50;

interface Summary {
  route: string;
  requests: number;
  perSecond: number;
  kibPerAnswer: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
  connectionErrors: number;
  timeouts: number;
  serverErrors: number;
  clientErrors: number;
  statusCounts: Record<string, number>;
}

async function main() {
  const context = benchContext();
  const seconds = context.quick ? 10 : 30;
  const warmupSeconds = context.quick ? 1 : 3;
  // The load helpers are shared with the load test (e2e/load.test.mjs), an ES module.
  const load = await import(join(ROOT, 'e2e/load.mjs'));
  const entityRef = 'component:default/llm-pretraining';
  const anchor = load.GET('/api/catalog/entities');
  // The list after the placements, so it reads a full page (50 stored placements) as a
  // portal that has been used does, not an empty list.
  const routes = [
    load.GET('/api/fabric/capacity'),
    load.GET('/api/fabric/estate'),
    load.POST('/api/fabric/placements', {
      entityRef,
      intent: 'tightly-coupled',
      gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
    }),
    load.GET(`/api/fabric/placements?entityRef=${encodeURIComponent(entityRef)}`),
  ];
  console.log(
    `portal API under load, ${context.quick ? 'quick' : 'full'} mode: ${CONNECTIONS} connections, ${seconds} s per route after ${warmupSeconds} s of warm-up`,
  );
  console.log(`machine: ${describeMachine(context.machine)}; commit ${context.commit}`);

  const backend = await load.startProbedBackend({ name: 'bench-api' });
  console.log(`backend (demo estate, SQLite) ready in ${(backend.startupMs / 1000).toFixed(0)} s at ${backend.backendUrl}`);
  const summaries: Summary[] = [];
  let eventLoop: Record<string, number>;
  try {
    const token = await load.guestToken(backend.backendUrl);
    await backend.probe.start();
    // The anchor first and last: its two runs show how much the machine drifted meanwhile.
    for (const route of [anchor, ...routes, anchor]) {
      await load.hammer({ url: backend.backendUrl, connections: CONNECTIONS, seconds: warmupSeconds, route, token });
      const summary: Summary = load.summarize(
        await load.hammer({ url: backend.backendUrl, connections: CONNECTIONS, seconds, route, token }),
      );
      summaries.push(summary);
      console.log(load.formatSummary(summary));
    }
    eventLoop = await backend.probe.stop();
  } finally {
    await backend.stop();
  }

  const [anchorFirst, ...rest] = summaries;
  const anchorLast = rest.pop()!;
  const anchorPerSecond = (anchorFirst.perSecond + anchorLast.perSecond) / 2;
  const anchorP50 = (anchorFirst.p50 + anchorLast.p50) / 2;
  console.log(
    `anchor GET /api/catalog/entities: ${anchorFirst.perSecond.toFixed(0)} req/s before, ${anchorLast.perSecond.toFixed(0)} req/s after; ratios against their mean`,
  );
  console.log(
    `backend event loop over the whole run: p50 ${eventLoop.p50Ms} ms, p99 ${eventLoop.p99Ms} ms, max ${eventLoop.maxMs} ms beyond its ${eventLoop.resolutionMs} ms timer; ` +
      `RSS ${eventLoop.rssStartMiB} → ${eventLoop.rssEndMiB} MiB (peak ${eventLoop.rssPeakMiB})`,
  );
  const ms = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
  const describe = (s: Summary) =>
    `${s.perSecond.toFixed(0)} req/s, p50/p95/p99 ${ms(s.p50)}/${ms(s.p95)}/${ms(s.p99)} ms, ${s.errors} errors, ${s.kibPerAnswer.toFixed(0)} KiB/answer`;
  const anchorText = `GET /api/catalog/entities ${anchorPerSecond.toFixed(0)} req/s, p50 ${ms(anchorP50)} ms`;
  const table: TableRow[] = [
    ...rest.map(s => ({
      case: `${s.route}, ${CONNECTIONS} connections`,
      figure: describe(s),
      anchor: anchorText,
      ratio: `${(s.perSecond / anchorPerSecond).toFixed(2)}× the anchor's req/s, ${(s.p50 / anchorP50).toFixed(2)}× its p50`,
    })),
    {
      case: 'backend event loop and memory over the run',
      figure: `p99 ${eventLoop.p99Ms} ms, max ${eventLoop.maxMs} ms; RSS ${eventLoop.rssStartMiB} → ${eventLoop.rssEndMiB} MiB`,
      anchor: '—',
      ratio: '—',
    },
  ];
  const path = writeResults(context, 'api', {
    connections: CONNECTIONS,
    secondsPerRoute: seconds,
    warmupSeconds,
    clientTimeoutSeconds: load.CLIENT_TIMEOUT_SECONDS,
    table,
    routes: summaries,
    eventLoop,
  });
  console.log(`results: ${path}`);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
