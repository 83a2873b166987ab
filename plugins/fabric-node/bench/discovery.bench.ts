/* eslint-disable no-console */
// Measures estate discovery, the real engine (discoverEstate with the real SDK), on
// moto_server behind a proxy that adds 40–80 ms to every call: a scan with the configured
// concurrency against a sequential scan (one cell at a time), and against the per-cell
// critical path, the longest chain of calls one cell must make one after another, which
// no concurrency can beat. It also checks, from the calls that reached the proxy, that no
// cell ever spent more than its token bucket allows. `npm run bench -- [--quick] discovery`.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CellRef, cellId, Inventory } from '@internal/backstage-plugin-fabric-common';
import { startMotoServer } from '@internal/fabric-test-tooling';
import { AccountCredentialsRef, AwsClientFactory, AwsRateLimits, EC2_NON_MUTATING_BUCKET } from '../src/aws';
import { discoverEstate, DiscoveryClients } from '../src/discovery/aws';
import { parseFabricConfig } from '../src/estate';
import { benchContext, describeMachine, TableRow, writeResults } from './benchKit';
import { CELL_HEADER, LocalAnswer, ProxiedRequest, startLatencyProxy } from './latencyProxy';

const MIN_DELAY_MS = 40;
const MAX_DELAY_MS = 80;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1', 'us-east-2', 'eu-central-1', 'ap-southeast-2', 'eu-north-1'];
/** Every account's applied GPU vCPU quota, as the proxy answers GetServiceQuota. */
const APPLIED_VCPU_QUOTA = 768;

/**
 * What moto lacks, answered by the proxy after the same injected delay, so these calls
 * cost what they cost against AWS: GetServiceQuota (moto has no EC2 quotas) with one
 * applied value; GetSpotPlacementScores and DescribeCapacityReservations (HTTP 500 in
 * moto) with "none". Everything else is moto's real answer.
 */
function answerWhatMotoLacks(operation: string, body: string): LocalAnswer | undefined {
  const ec2Empty = (action: string, set: string): LocalAnswer => ({
    contentType: 'text/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?><${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>bench</requestId><${set}/></${action}Response>`,
  });
  switch (operation) {
    case 'servicequotas:GetServiceQuota': {
      const { ServiceCode, QuotaCode } = JSON.parse(body) as { ServiceCode: string; QuotaCode: string };
      return {
        contentType: 'application/x-amz-json-1.1',
        body: JSON.stringify({ Quota: { ServiceCode, QuotaCode, Value: APPLIED_VCPU_QUOTA } }),
      };
    }
    case 'ec2:GetSpotPlacementScores':
      return ec2Empty('GetSpotPlacementScores', 'spotPlacementScoreSet');
    case 'ec2:DescribeCapacityReservations':
      return ec2Empty('DescribeCapacityReservations', 'capacityReservationSet');
    default:
      return undefined;
  }
}

/** The factory's clients, each tagging its requests with its cell for the proxy's counts. */
function clientsTaggingCells(factory: AwsClientFactory): DiscoveryClients {
  const tagged = new WeakSet<object>();
  const tag = <C extends EC2Client | ServiceQuotasClient>(client: C, cell: CellRef): C => {
    if (!tagged.has(client)) {
      tagged.add(client);
      (client.middlewareStack as EC2Client['middlewareStack']).add(
        next => async args => {
          (args.request as { headers: Record<string, string> }).headers[CELL_HEADER] = cellId(cell);
          return next(args);
        },
        { step: 'build', name: 'tagBenchCell' },
      );
    }
    return client;
  };
  return {
    credentialsFor: account => factory.credentialsFor(account),
    ec2: (cell: CellRef, account: AccountCredentialsRef) => tag(factory.ec2(cell, account), cell),
    serviceQuotas: (cell: CellRef, account: AccountCredentialsRef) => tag(factory.serviceQuotas(cell, account), cell),
  };
}

/**
 * The longest chain of one cell's calls in which each starts after the previous answered,
 * weighted by each call's time as the proxy saw it (injected delay + moto's own time).
 * Read from a run where the cell had the machine to itself, non-overlap means dependency.
 */
function longestChain(requests: ProxiedRequest[]): { calls: number; ms: number } {
  const sorted = [...requests].sort((a, b) => a.finishedAt - b.finishedAt);
  const best: Array<{ calls: number; ms: number }> = [];
  sorted.forEach((r, i) => {
    let before = { calls: 0, ms: 0 };
    for (let j = 0; j < i; j++) if (sorted[j].finishedAt <= r.arrivedAt && best[j].ms > before.ms) before = best[j];
    best.push({ calls: before.calls + 1, ms: before.ms + (r.finishedAt - r.arrivedAt) });
  });
  return best.reduce((a, b) => (b.ms > a.ms ? b : a), { calls: 0, ms: 0 });
}

/**
 * The most tokens a bucket of `capacity` refilled at `refillPerSecond` must have held for
 * these arrivals: max over every window of (calls in it − refill over it). At most
 * `capacity` means the calls never outran the bucket.
 */
function tokensNeeded(arrivals: number[], refillPerSecond: number): number {
  const times = [...arrivals].sort((a, b) => a - b);
  let needed = 0;
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) {
      needed = Math.max(needed, j - i + 1 - (refillPerSecond * (times[j] - times[i])) / 1000);
    }
  }
  return needed;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

async function main() {
  const context = benchContext();
  const accountCount = context.quick ? 5 : 20;
  const regions = REGIONS.slice(0, context.quick ? 4 : 8);
  const accounts = Array.from({ length: accountCount }, (_, k) => {
    const id = String(210000000000 + k);
    return { id, name: `bench-${k}`, roleArn: `arn:aws:iam::${id}:role/fabric-member`, externalId: 'fabric-bench' };
  });
  console.log(
    `discovery, ${context.quick ? 'quick' : 'full'} mode: ${accountCount} accounts × ${regions.length} regions on moto_server, ${MIN_DELAY_MS}–${MAX_DELAY_MS} ms per call`,
  );
  console.log(`machine: ${describeMachine(context.machine)}; commit ${context.commit}`);

  const moto = await startMotoServer();
  const proxy = await startLatencyProxy({
    upstream: moto.endpoint,
    minDelayMs: MIN_DELAY_MS,
    maxDelayMs: MAX_DELAY_MS,
    answerLocally: answerWhatMotoLacks,
  });
  try {
    const configOf = (accountsScanned: typeof accounts) =>
      parseFabricConfig({
        estate: { source: 'aws', defaultRegions: regions, gpuFamilies: ['p5', 'g6e', 'trn1'], accounts: accountsScanned },
        aws: { endpoint: proxy.endpoint },
      });
    const config = configOf(accounts);
    const configuredConcurrency = config.aws.concurrency;

    /** One scan with fresh credentials, clients and buckets, as a new backend would make it. */
    const scan = async (scanned: ReturnType<typeof configOf>, concurrency: number) => {
      const factory = new AwsClientFactory({
        endpoint: proxy.endpoint,
        hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      });
      const rateLimits = new AwsRateLimits();
      const cellFinishedAt = new Map<string, number>();
      const lowestTokens = new Map<string, number>();
      const watchBuckets = setInterval(() => {
        for (const cell of scanned.estate.accounts.flatMap(a => regions.map(region => cellId({ accountId: a.id, region })))) {
          for (const key of [`ec2:${cell}`, `servicequotas:${cell}`]) {
            lowestTokens.set(key, Math.min(lowestTokens.get(key) ?? Infinity, rateLimits.nonMutating.available(key)));
          }
        }
      }, 20);
      // The proxy shares this process's event loop with the SDK: its lag is part of ms/call.
      const eventLoopDelay = monitorEventLoopDelay({ resolution: 10 });
      eventLoopDelay.enable();
      proxy.clear();
      const startedAt = performance.now();
      let inventory: Inventory;
      try {
        inventory = await discoverEstate({
          config: scanned,
          concurrency,
          clients: clientsTaggingCells(factory),
          limiter: rateLimits.nonMutating,
          logger: {
            info: (message, meta) => {
              if (message === 'Discovered cell') cellFinishedAt.set(String(meta?.cell), performance.now() - startedAt);
            },
            warn: () => {},
          },
        });
      } finally {
        clearInterval(watchBuckets);
        eventLoopDelay.disable();
        factory.destroy();
      }
      const eventLoopLagMs = eventLoopDelay.mean / 1e6 - 10;
      return { wallMs: performance.now() - startedAt, eventLoopLagMs, inventory, requests: proxy.requests, cellFinishedAt, lowestTokens };
    };

    // moto builds each account-region's backend (default VPC, instance-type data) on its
    // first call: an untimed scan of the whole estate pays that, so neither timed scan does.
    await scan(config, configuredConcurrency);

    const sequential = await scan(config, 1);
    const concurrent = await scan(config, configuredConcurrency);

    const cells = config.estate.accounts.flatMap(a => regions.map(region => cellId({ accountId: a.id, region })));
    const perCell = cells.map(cell => {
      const calls = sequential.requests.filter(r => r.cell === cell);
      return { cell, calls: calls.length, chain: longestChain(calls) };
    });
    const longest = perCell.reduce((a, b) => (b.chain.ms > a.chain.ms ? b : a));
    const meanCallMs = mean(sequential.requests.map(r => r.finishedAt - r.arrivedAt));
    const criticalPathMs = longest.chain.ms;
    const concurrencyBoundMs = Math.max(criticalPathMs, sequential.wallMs / configuredConcurrency);
    const cellSoloMs = [...sequential.cellFinishedAt.values()].sort((a, b) => a - b).map((t, i, all) => t - (all[i - 1] ?? 0));

    const { capacity, refillPerSecond } = EC2_NON_MUTATING_BUCKET;
    const buckets = (run: typeof sequential) =>
      cells.flatMap(cell =>
        ['ec2', 'servicequotas'].map(service => ({
          key: `${service}:${cell}`,
          calls: run.requests.filter(r => r.cell === cell && r.operation.startsWith(`${service}:`)).length,
          tokensNeeded: tokensNeeded(
            run.requests.filter(r => r.cell === cell && r.operation.startsWith(`${service}:`)).map(r => r.arrivedAt),
            refillPerSecond,
          ),
          lowestTokensLeft: run.lowestTokens.get(`${service}:${cell}`) ?? capacity,
        })),
      );
    const concurrentBuckets = buckets(concurrent);
    const worstBucket = concurrentBuckets.reduce((a, b) => (b.tokensNeeded > a.tokensNeeded ? b : a));
    const overspent = [...buckets(sequential), ...concurrentBuckets].filter(b => b.tokensNeeded > capacity);
    const lowestLeft = Math.min(...concurrentBuckets.map(b => b.lowestTokensLeft));

    const summarize = (name: string, run: typeof sequential) => ({
      case: name,
      wallMs: Math.round(run.wallMs),
      requests: run.requests.length,
      meanCallMs: mean(run.requests.map(r => r.finishedAt - r.arrivedAt)),
      meanUpstreamMs: mean(run.requests.map(r => r.finishedAt - r.arrivedAt - r.delayMs)),
      eventLoopLagMs: run.eventLoopLagMs,
      answeredByProxy: run.requests.filter(r => r.answeredLocally).length,
      freshCells: run.inventory.cells.filter(c => c.fresh).length,
      staleCells: run.inventory.cells.filter(c => !c.fresh).map(c => `${cellId(c)}: ${c.error}`),
      offerings: run.inventory.offerings.length,
      warnings: [...new Set(run.inventory.cells.flatMap(c => c.warnings ?? []))],
    });
    const runs = [summarize('sequential (concurrency 1)', sequential), summarize(`concurrent (concurrency ${configuredConcurrency})`, concurrent)];
    const speedUp = sequential.wallMs / concurrent.wallMs;

    console.log(
      `\n${'scan'.padEnd(28)} ${'seconds'.padStart(8)} ${'calls'.padStart(6)} ${'ms/call'.padStart(8)} ${'of it moto'.padStart(11)} ${'loop lag'.padStart(9)} ${'fresh cells'.padStart(12)} ${'offerings'.padStart(10)}`,
    );
    for (const r of runs) {
      console.log(
        `${r.case.padEnd(28)} ${(r.wallMs / 1000).toFixed(2).padStart(8)} ${String(r.requests).padStart(6)} ${r.meanCallMs.toFixed(1).padStart(8)} ${r.meanUpstreamMs.toFixed(1).padStart(11)} ${r.eventLoopLagMs.toFixed(1).padStart(9)} ${`${r.freshCells}/${cells.length}`.padStart(12)} ${String(r.offerings).padStart(10)}`,
      );
      for (const w of r.warnings) console.log(`  warning: ${w}`);
      for (const s of r.staleCells) console.log(`  stale: ${s}`);
    }
    console.log(
      `ms/call: at the proxy, injected ${MIN_DELAY_MS}–${MAX_DELAY_MS} ms + moto's own time, which includes the bench process's event-loop lag (the proxy runs in it); ${(sequential.requests.length / cells.length).toFixed(1)} calls per cell (STS AssumeRole once per account included)`,
    );
    console.log(
      `critical path: cell ${longest.cell}, ${longest.chain.calls} of its ${longest.calls} calls in sequence, ${criticalPathMs.toFixed(0)} ms as measured ` +
        `(${longest.chain.calls} × mean ${meanCallMs.toFixed(0)} ms = ${(longest.chain.calls * meanCallMs).toFixed(0)} ms); a cell alone took ${Math.min(...cellSoloMs).toFixed(0)}–${Math.max(...cellSoloMs).toFixed(0)} ms`,
    );
    console.log(
      `speed-up ${speedUp.toFixed(1)}× with concurrency ${configuredConcurrency}; ` +
        `bound max(critical path, sequential / ${configuredConcurrency}) = ${(concurrencyBoundMs / 1000).toFixed(2)} s, concurrent scan at ${(concurrent.wallMs / concurrencyBoundMs).toFixed(2)}× it; ` +
        `${(concurrent.wallMs / criticalPathMs).toFixed(1)}× the critical path`,
    );
    console.log(
      `token buckets (${capacity} tokens, ${refillPerSecond}/s per cell): ${overspent.length === 0 ? 'no cell exceeded its bucket' : `${overspent.length} EXCEEDED: ${overspent.map(b => b.key).join(', ')}`}; ` +
        `most needed ${worstBucket.tokensNeeded.toFixed(1)} tokens (${worstBucket.key}, ${worstBucket.calls} calls); lowest tokens left seen ${lowestLeft.toFixed(1)}`,
    );

    const table: TableRow[] = [
      {
        case: `discovery, ${accountCount} accounts × ${regions.length} regions, concurrency ${configuredConcurrency}`,
        figure: `${(concurrent.wallMs / 1000).toFixed(2)} s, ${concurrent.requests.length} calls`,
        anchor: `sequential scan ${(sequential.wallMs / 1000).toFixed(2)} s`,
        ratio: `${speedUp.toFixed(1)}× faster`,
      },
      {
        case: 'discovery vs the bound',
        figure: `${(concurrent.wallMs / 1000).toFixed(2)} s`,
        anchor: `max(critical path ${(criticalPathMs / 1000).toFixed(2)} s, sequential / ${configuredConcurrency})`,
        ratio: `${(concurrent.wallMs / concurrencyBoundMs).toFixed(2)}× the bound`,
      },
      {
        case: 'discovery token buckets',
        figure: `most needed ${worstBucket.tokensNeeded.toFixed(1)} tokens in one cell`,
        anchor: `bucket of ${capacity} + ${refillPerSecond}/s`,
        ratio: overspent.length === 0 ? 'no cell exceeded' : `${overspent.length} exceeded`,
      },
    ];
    const path = writeResults(context, 'discovery', {
      accounts: accountCount,
      regions,
      delayMs: [MIN_DELAY_MS, MAX_DELAY_MS],
      configuredConcurrency,
      runs,
      speedUp,
      meanCallMs,
      criticalPath: { cell: longest.cell, callsInChain: longest.chain.calls, callsOfCell: longest.calls, ms: criticalPathMs },
      concurrencyBoundMs,
      cellSoloMs: { min: Math.min(...cellSoloMs), max: Math.max(...cellSoloMs) },
      buckets: { capacity, refillPerSecond, overspent, worst: worstBucket, lowestTokensLeft: lowestLeft },
      table,
    });
    console.log(`results: ${path}`);
  } finally {
    await proxy.stop();
    await moto.stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
