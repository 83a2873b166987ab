/* eslint-disable no-console */
// Measures the peering mesh end to end through the real engine against moto_server: a
// full mesh of N tagged VPCs over 3 accounts × 2 regions (N(N−1)/2 peerings), read with
// loadMeshTopology, planned with planMesh, applied with applyPlan and the mesh executors
// under the process's AWS rate limits. The anchor is the least time EC2's mutating bucket
// (50 burst, +5/s per account-region) allows for the plan's mutating calls; "waited" is
// the time the apply actually spent in that bucket, so the rest is the engine's own
// one-step-at-a-time work and the endpoint's answers. Then the same plan again with no
// checkpoints, where every step is found by its probe and nothing is created.
// `npm run bench -- [--quick] mesh`. Figures, never assertions: the machines differ.
import { CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { startMotoServer } from '@internal/fabric-test-tooling';
import { AwsClientFactory, AwsRateLimits, EC2_MUTATING_BUCKET, EC2_NON_MUTATING_BUCKET, RequestLimiter } from '../src/aws';
import { parseFabricConfig } from '../src/estate';
import { loadMeshTopology, meshExecutors, MESH_VPC_TAG, planMesh } from '../src/network';
import { applyPlan, executorRegistry, InMemoryCheckpointStore, Plan } from '../src/plan';
import { benchContext, describeMachine, TableRow, writeResults } from './benchKit';

const seconds = (startedNs: bigint) => Number(process.hrtime.bigint() - startedNs) / 1e9;

const ACCOUNTS = ['222222222222', '333333333333', '444444444444'];
const REGIONS = ['us-east-1', 'us-west-2'];
const CELLS: CellRef[] = ACCOUNTS.flatMap(accountId => REGIONS.map(region => ({ accountId, region })));

/**
 * Counts the calls a limiter lets through, by bucket key (`ec2-mutating:<account>/<region>`),
 * in order, and the time they waited for a token.
 */
class CountingLimiter implements RequestLimiter {
  readonly calls = new Map<string, number>();
  readonly order: string[] = [];
  waitedSeconds = 0;
  constructor(private readonly inner: RequestLimiter) {}
  async acquire(key: string, signal?: AbortSignal): Promise<void> {
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    this.order.push(key);
    const started = process.hrtime.bigint();
    await this.inner.acquire(key, signal);
    this.waitedSeconds += seconds(started);
  }
  total(): number {
    return [...this.calls.values()].reduce((sum, n) => sum + n, 0);
  }
}

/**
 * The least time the calls take, in the order a one-step-at-a-time apply makes them, if
 * everything but the wait for tokens took no time: buckets keep refilling while another
 * cell's calls go out, so this lies between the `max` and the `sum` of {@link bucketBound}.
 */
function sequentialBound(order: string[], bucket: { capacity: number; refillPerSecond: number }): number {
  const tokens = new Map<string, { left: number; at: number }>();
  let now = 0;
  for (const key of order) {
    const state = tokens.get(key) ?? { left: bucket.capacity, at: 0 };
    state.left = Math.min(bucket.capacity, state.left + (now - state.at) * bucket.refillPerSecond);
    if (state.left < 1) {
      now += (1 - state.left) / bucket.refillPerSecond;
      state.left = 1;
    }
    state.left -= 1;
    state.at = now;
    tokens.set(key, state);
  }
  return now;
}

/**
 * The least time a token bucket lets `calls` requests per key through, starting full:
 * past the burst, each call waits for its refill. Keys are account-regions; `max` is the
 * true lower bound (every cell must get its calls through), `sum` what a strictly
 * sequential apply would wait if no bucket refilled while another cell's steps ran.
 */
function bucketBound(calls: Map<string, number>, bucket: { capacity: number; refillPerSecond: number }) {
  const perKey = [...calls.values()].map(n => Math.max(0, (n - bucket.capacity) / bucket.refillPerSecond));
  return { max: Math.max(0, ...perKey), sum: perKey.reduce((s, b) => s + b, 0) };
}


const config = parseFabricConfig({
  estate: {
    source: 'aws',
    defaultRegions: REGIONS,
    accounts: ACCOUNTS.map((id, i) => ({
      id,
      name: ['ml-research', 'ml-inference', 'ml-batch'][i],
      roleArn: `arn:aws:iam::${id}:role/fabric-member`,
    })),
  },
});
const accountOf = (accountId: string) => config.estate.accounts.find(a => a.id === accountId)!;

async function main() {
  const context = benchContext();
  const sizes = context.quick ? [6, 12] : [6, 12, 24];
  console.log(`peering mesh on moto_server, ${context.quick ? 'quick' : 'full'} mode: N = ${sizes.join(', ')} VPCs over ${ACCOUNTS.length} accounts × ${REGIONS.length} regions`);
  console.log(`machine: ${describeMachine(context.machine)}; commit ${context.commit}`);
  const moto = await startMotoServer();
  const results = [];
  try {
    for (const n of sizes) {
      await moto.reset();
      results.push(await benchMesh(moto.endpoint, n));
    }
  } finally {
    await moto.stop();
  }

  console.log(
    `${'N'.padStart(3)} ${'peerings'.padStart(8)} ${'steps'.padStart(6)} ${'read ms'.padStart(8)} ${'plan ms'.padStart(8)} ${'apply s'.padStart(8)} ${'s/peering'.padStart(9)} ${'mutating'.padStart(8)} ${'bound s max/seq/sum'.padStart(19)} ${'waited s'.padStart(8)} ${'apply/max'.padStart(9)} ${'apply/seq'.padStart(9)} ${'re-apply s'.padStart(10)} ${'read bound s'.padStart(12)}`,
  );
  for (const r of results) {
    console.log(
      `${String(r.vpcs).padStart(3)} ${String(r.peerings).padStart(8)} ${String(r.steps).padStart(6)} ${r.topologyMs.toFixed(0).padStart(8)} ${r.planMs.toFixed(1).padStart(8)} ${r.applySeconds.toFixed(1).padStart(8)} ${r.secondsPerPeering.toFixed(3).padStart(9)} ${String(r.mutatingCalls).padStart(8)} ${`${r.mutatingBoundSeconds.toFixed(1)} / ${r.mutatingSequentialBoundSeconds.toFixed(1)} / ${r.mutatingBoundSumSeconds.toFixed(1)}`.padStart(19)} ${r.mutatingWaitSeconds.toFixed(1).padStart(8)} ${ratioText(r.applySeconds, r.mutatingBoundSeconds).padStart(9)} ${ratioText(r.applySeconds, r.mutatingSequentialBoundSeconds).padStart(9)} ${r.reapplySeconds.toFixed(1).padStart(10)} ${r.reapplyReadBoundSeconds.toFixed(1).padStart(12)}`,
    );
  }
  console.log(
    'bound: the busiest account-region\'s wait for mutating tokens past the 50 burst (max), the same calls replayed in apply order (seq), ' +
      'and every account-region\'s wait added up (sum); waited: the apply\'s actual time in the mutating bucket; — : within the burst.',
  );

  const table: TableRow[] = results.flatMap(r => [
    {
      case: `mesh apply, ${r.vpcs} VPCs (${r.peerings} peerings, ${r.steps} steps)`,
      figure: `${r.applySeconds.toFixed(1)} s, ${r.secondsPerPeering.toFixed(2)} s/peering; plan ${r.planMs.toFixed(0)} ms after a ${r.topologyMs.toFixed(0)} ms read`,
      anchor: `mutating bucket: ${r.mutatingCalls} calls, ≥ ${r.mutatingBoundSeconds.toFixed(1)} s (busiest account-region; ${r.mutatingSequentialBoundSeconds.toFixed(1)} s in apply order, ${r.mutatingBoundSumSeconds.toFixed(1)} s summed); waited ${r.mutatingWaitSeconds.toFixed(1)} s`,
      ratio: `${ratioText(r.applySeconds, r.mutatingBoundSeconds)} the bound, ${ratioText(r.applySeconds, r.mutatingSequentialBoundSeconds)} the in-order bound`,
    },
    {
      case: `mesh re-apply, ${r.vpcs} VPCs (probes only)`,
      figure: `${r.reapplySeconds.toFixed(1)} s, ${r.reapplyReadCalls} describe calls, 0 created`,
      anchor: `first apply ${r.applySeconds.toFixed(1)} s; read bucket ≥ ${r.reapplyReadBoundSeconds.toFixed(1)} s`,
      ratio: `${(r.reapplySeconds / r.applySeconds).toFixed(2)}× the first apply`,
    },
  ]);
  const path = writeResults(context, 'mesh', {
    accounts: ACCOUNTS.length,
    regions: REGIONS.length,
    mutatingBucket: EC2_MUTATING_BUCKET,
    nonMutatingBucket: EC2_NON_MUTATING_BUCKET,
    table,
    cases: results,
  });
  console.log(`results: ${path}`);
}

function ratioText(figure: number, bound: number): string {
  return bound > 0 ? `${(figure / bound).toFixed(2)}×` : '—';
}

async function benchMesh(endpoint: string, n: number) {
  const factory = new AwsClientFactory({
    endpoint,
    hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
    maxAttempts: 1,
  });
  try {
    const ec2 = (cell: CellRef): EC2Client => factory.ec2(cell, accountOf(cell.accountId));
    // n / 6 tagged VPCs per cell, /16s of 10.0.0.0/8 that never overlap.
    for (let i = 0; i < n; i++) {
      await ec2(CELLS[i % CELLS.length]).send(
        new CreateVpcCommand({
          CidrBlock: `10.${64 + i}.0.0/16`,
          TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: MESH_VPC_TAG, Value: 'true' }] }],
        }),
      );
    }

    const readStarted = process.hrtime.bigint();
    const topology = await loadMeshTopology({ config, clients: factory, accountOf });
    const topologyMs = seconds(readStarted) * 1e3;
    if (topology.vpcs.length !== n) throw new Error(`found ${topology.vpcs.length} mesh VPCs, expected ${n}`);
    const planStarted = process.hrtime.bigint();
    const mesh = planMesh({
      vpcs: topology.vpcs,
      existingPeerings: topology.existingPeerings,
      routeCounts: topology.routeCounts,
      quotas: topology.quotas,
      ownerTag: 'platform-team',
    });
    const planMs = seconds(planStarted) * 1e3;
    const peerings = (n * (n - 1)) / 2;
    if (mesh.planned.length !== peerings) {
      throw new Error(`planned ${mesh.planned.length} peerings for ${n} VPCs, expected ${peerings}: ${JSON.stringify(mesh.refused)}`);
    }

    const executors = executorRegistry(meshExecutors({ clients: factory, accountOf, pollIntervalMs: 10 }));
    // One set of buckets per size, full at the start, shared by both applies as a process's are.
    const limits = new AwsRateLimits();
    const mutating = new CountingLimiter(limits.mutating);
    const reads = new CountingLimiter(limits.nonMutating);
    const applyStarted = process.hrtime.bigint();
    const applied = await applyPlan(mesh.plan, {
      executors,
      checkpoints: new InMemoryCheckpointStore(),
      limiter: mutating,
      readLimiter: reads,
    });
    const applySeconds = seconds(applyStarted);
    if (applied.status !== 'done') throw new Error(`apply of ${n} VPCs ${applied.status} at ${applied.failedStep}`);
    const mutatingBound = bucketBound(mutating.calls, EC2_MUTATING_BUCKET);

    const reapply = await probeOnlyApply({ ...mesh.plan, id: `${mesh.plan.id}-again` }, executors, limits);

    const cellCalls = Object.fromEntries([...mutating.calls.entries()].map(([key, calls]) => [key.replace(/^ec2-mutating:/, ''), calls]));
    return {
      vpcs: n,
      vpcsPerCell: n / CELLS.length,
      peerings,
      steps: mesh.plan.steps.length,
      topologyMs,
      planMs,
      applySeconds,
      secondsPerPeering: applySeconds / peerings,
      mutatingCalls: mutating.total(),
      mutatingCallsPerCell: cellCalls,
      mutatingBoundSeconds: mutatingBound.max,
      mutatingBoundSumSeconds: mutatingBound.sum,
      mutatingSequentialBoundSeconds: sequentialBound(mutating.order, EC2_MUTATING_BUCKET),
      mutatingWaitSeconds: mutating.waitedSeconds,
      applyReadCalls: reads.total(),
      reapplySeconds: reapply.seconds,
      reapplyReadCalls: reapply.readCalls,
      reapplyReadBoundSeconds: reapply.readBound,
    };
  } finally {
    factory.destroy();
  }
}

/**
 * The same steps under a new plan id with no checkpoints: every probe finds its resource,
 * so nothing is created and no mutating token is spent. Its read bound starts from
 * full buckets, a lower bound since the first apply has spent some.
 */
async function probeOnlyApply(plan: Plan, executors: ReturnType<typeof executorRegistry>, limits: AwsRateLimits) {
  const mutating = new CountingLimiter(limits.mutating);
  const reads = new CountingLimiter(limits.nonMutating);
  const started = process.hrtime.bigint();
  const result = await applyPlan(plan, { executors, checkpoints: new InMemoryCheckpointStore(), limiter: mutating, readLimiter: reads });
  const elapsed = seconds(started);
  if (result.status !== 'done') throw new Error(`re-apply ${result.status} at ${result.failedStep}`);
  if (result.steps.some(s => s.via !== 'probe') || mutating.total() > 0) {
    throw new Error('the re-apply ran a step: the probes did not find what the first apply made');
  }
  return { seconds: elapsed, readCalls: reads.total(), readBound: bucketBound(reads.calls, EC2_NON_MUTATING_BUCKET).max };
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
