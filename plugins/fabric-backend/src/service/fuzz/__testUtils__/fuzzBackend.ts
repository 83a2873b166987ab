import { mockServices, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import fc from 'fast-check';
import { Knex } from 'knex';
import request from 'supertest';
import { fabricPlugin } from '../../../plugin';

/**
 * A fixed seed, so CI replays the same cases every run; FUZZ_SEED picks another
 * sequence and FUZZ_RUNS raises the count (e.g. FUZZ_RUNS=20000 before a release).
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 1313);
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

/** The tables a refused request must leave byte for byte as they were. */
const FABRIC_TABLES = ['fabric_placements', 'fabric_plans', 'fabric_plan_steps', 'fabric_workloads'];

const EVERYTHING = new Set([
  'fabric.capacity.read',
  'fabric.placement.create',
  'fabric.mesh.manage',
  'fabric.island.manage',
]);

/** One generated request, sent as written: the body is raw text, so it can be anything. */
export interface FuzzRequest {
  method: 'get' | 'post' | 'delete';
  /** Path under /api/fabric, query string included, already URL-encoded. */
  path: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** The answer to one generated request, and what the checks found wrong with it. */
export interface FuzzOutcome {
  status: number;
  body: any;
  problems: string[];
}

/** Words that show a 400 says what is wrong: a field of the surface, or the body itself. */
const BODY_WORDS = /Request body|\(request\)|JSON object|'[^']+'|""|\S+ is not a known field/;

export interface FuzzBackend {
  server: any;
  knex: Knex;
  /** Sends one request and checks it: never a 5xx, a JSON 4xx naming the field, nothing stored when refused. */
  send(surface: string, req: FuzzRequest, fieldWords: RegExp): Promise<FuzzOutcome>;
  /**
   * Runs a property over `arbitrary` with the suite's seed and run count, counting the
   * cases; resolves to the first failing request and what was wrong with it, if any.
   */
  fuzz<T>(
    surface: string,
    arbitrary: fc.Arbitrary<T>,
    toRequest: (value: T) => FuzzRequest,
    fieldWords: RegExp,
  ): Promise<string | undefined>;
  /** Cases run and statuses seen per surface, for the summary. */
  counts: Map<string, { cases: number; statuses: Record<number, number>; requestMs: number; snapshotMs: number }>;
  /** Deletes every stored record, so a surface starts from a small database. */
  clear(): Promise<void>;
  /**
   * Takes the tables as they are now as the state to compare with, and as the fixtures
   * to keep: what a successful case stores is removed after it.
   */
  remember(): Promise<void>;
  stop(): Promise<void>;
}

async function snapshot(knex: Knex): Promise<string> {
  const parts: string[] = [];
  for (const table of FABRIC_TABLES) {
    const rows = await knex(table).select();
    // Row order is not part of the state: sort the serialised rows.
    parts.push(
      `${table}\n${rows
        .map(r => JSON.stringify(r))
        .sort()
        .join('\n')}`,
    );
  }
  return parts.join('\n\n');
}

async function storedKeys(knex: Knex) {
  return {
    placements: (await knex('fabric_placements').pluck('id')) as string[],
    plans: (await knex('fabric_plans').pluck('id')) as string[],
    workloads: (await knex('fabric_workloads').pluck('entity_ref')) as string[],
  };
}

/** The fabric on the demo estate (plan-only), a permission policy that allows everything, on SQLite. */
export async function startFuzzBackend(databases: TestDatabases): Promise<FuzzBackend> {
  const knex = await databases.init('SQLITE_3');
  const permissions = mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(r => ({ result: EVERYTHING.has(r.permission.name) ? AuthorizeResult.ALLOW : AuthorizeResult.DENY })),
  });
  const { server } = await startTestBackend({
    features: [fabricPlugin, permissions.factory, mockServices.database.factory({ knex })],
  });
  // Discovery runs at start; wait for the first inventory so every case sees the same estate.
  for (let i = 0; i < 200; i++) {
    const health = await request(server).get('/api/fabric/health');
    if (health.body.discovery !== 'pending') break;
    await new Promise(r => setTimeout(r, 50));
  }

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);

  let state = await snapshot(knex);
  let baseline = await storedKeys(knex);
  /**
   * Removes what a successful case stored, so the tables stay the size of the fixtures and
   * snapshots stay cheap whatever the run count (a mesh plan alone has hundreds of steps).
   */
  const prune = async () => {
    await knex('fabric_plan_steps').whereNotIn('plan_id', baseline.plans).delete();
    await knex('fabric_plans').whereNotIn('id', baseline.plans).delete();
    await knex('fabric_placements').whereNotIn('id', baseline.placements).delete();
    await knex('fabric_workloads').whereNotIn('entity_ref', baseline.workloads).delete();
  };
  const counts: FuzzBackend['counts'] = new Map();

  const send: FuzzBackend['send'] = async (surface, req, fieldWords) => {
    let call = request(server)[req.method](`/api/fabric${req.path}`);
    for (const [name, value] of Object.entries(req.headers ?? {})) call = call.set(name, value);
    if (req.contentType !== undefined) call = call.set('Content-Type', req.contentType);
    if (req.body !== undefined) call = call.send(req.body);
    const started = performance.now();
    const res = await call;
    const answered = performance.now();
    const problems: string[] = [];
    if (res.status < 300) await prune();
    const after = await snapshot(knex);
    const count = counts.get(surface) ?? { cases: 0, statuses: {}, requestMs: 0, snapshotMs: 0 };
    count.requestMs += answered - started;
    count.snapshotMs += performance.now() - answered;
    if (res.status >= 500) problems.push(`answered ${res.status}`);
    if (res.status >= 400) {
      const error = res.body?.error;
      if (!/^application\/json/.test(String(res.headers['content-type']))) {
        problems.push(`a ${res.status} that is not JSON (${res.headers['content-type']})`);
      } else if (typeof error?.name !== 'string' || typeof error?.message !== 'string' || !error.message) {
        problems.push(`a ${res.status} without { error: { name, message } }`);
      } else if (res.status === 400 && !fieldWords.test(error.message) && !BODY_WORDS.test(error.message)) {
        problems.push(`a 400 that names no field: ${error.message}`);
      }
      if (after !== state) problems.push(`a refused request (${res.status}) changed the database`);
    }
    // A request that succeeded may store what it planned; later refusals are compared with that.
    state = after;
    if (unhandled.length) problems.push(`unhandled rejection: ${String(unhandled.splice(0)[0])}`);
    count.cases += 1;
    count.statuses[res.status] = (count.statuses[res.status] ?? 0) + 1;
    counts.set(surface, count);
    return { status: res.status, body: res.body, problems };
  };

  return {
    server,
    knex,
    send,
    counts,
    async fuzz(surface, arbitrary, toRequest, fieldWords) {
      let failure: string | undefined;
      const details = await fc.check(
        fc.asyncProperty(arbitrary, async value => {
          const req = toRequest(value);
          const outcome = await send(surface, req, fieldWords);
          if (outcome.problems.length && !failure) {
            failure =
              `${req.method.toUpperCase()} ${req.path.slice(0, 300)} (${req.contentType ?? 'no content type'}` +
              `${req.headers ? `, ${JSON.stringify(req.headers)}` : ''}) ` +
              `body ${JSON.stringify((req.body ?? '').slice(0, 400))}: ${outcome.problems.join('; ')}; ` +
              `answer ${outcome.status} ${JSON.stringify(outcome.body).slice(0, 400)}`;
          }
          return outcome.problems.length === 0;
        }),
        // Each case is a request: stop at the first failure and report it as sent, unshrunk.
        { seed: FUZZ_SEED, numRuns: FUZZ_RUNS, endOnFailure: true },
      );
      return details.failed
        ? `${surface} failed (seed ${details.seed}, path ${details.counterexamplePath}): ${
            failure ?? details.errorInstance
          }`
        : undefined;
    },
    async clear() {
      for (const table of [...FABRIC_TABLES].reverse()) await knex(table).delete();
      state = await snapshot(knex);
      baseline = await storedKeys(knex);
    },
    async remember() {
      state = await snapshot(knex);
      baseline = await storedKeys(knex);
    },
    async stop() {
      process.off('unhandledRejection', onUnhandled);
    },
  };
}

/** The per-surface figures, printed once at the end of a fuzz file. */
export function summary(counts: FuzzBackend['counts']): string {
  const lines = [...counts].map(
    ([surface, { cases, statuses, requestMs, snapshotMs }]) =>
      `${surface.padEnd(34)} ${String(cases).padStart(6)} cases ${(requestMs / 1000)
        .toFixed(1)
        .padStart(6)} s requests ` +
      `${(snapshotMs / 1000).toFixed(1).padStart(5)} s table snapshots  ${Object.entries(statuses)
        .map(([status, n]) => `${status}×${n}`)
        .join(' ')}`,
  );
  return `Fuzzed REST surfaces (seed ${FUZZ_SEED}):\n${lines.join('\n')}`;
}
