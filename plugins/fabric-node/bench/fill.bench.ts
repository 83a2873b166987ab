/* eslint-disable no-console */
// Pooled fill rate and cost on real spot traces: p3.2xlarge availability measured every
// 195 s for 45 days in 9 zones of us-east-1, us-east-2 and us-west-2, and how many of 16
// nodes three zones could hold (Wu et al., "Can't Be Late", NSDI 2024; bench/data/spot-traces).
// Replayed through planPlacement, compilePlacement and decide with the ICE cache, for one
// account in us-east-1, one account in all three regions, and the pooled demo estate. The
// anchor is the oracle computed from the same traces: a zone of the scope could launch.
// See docs/spot-traces.md for what is measured and what is assumed.
import { planPlacement } from '../src/placement/planPlacement';
import { demoAccounts } from '../src/estate';
import { benchContext, describeMachine, TableRow, writeResults } from './benchKit';
import { DemandOptions, gangRequest, NodePoolLayout, replay, ReplayResult, throughputStream } from './fill/fillReplay';
import { loadZoneTraces, SINGLE_NODE_DIR, SIXTEEN_NODE_DIR, SpotAvailability } from './fill/spotTraces';
import { accountAzMap, MEASURING_ACCOUNT, Scope, toAzTraces, TraceEstate } from './fill/traceEstate';

const context = benchContext();
const single = new SpotAvailability(toAzTraces(loadZoneTraces(SINGLE_NODE_DIR)));
const gang = new SpotAvailability(toAzTraces(loadZoneTraces(SIXTEEN_NODE_DIR)));
const tickSeconds = single.traces[0].gapSeconds;
const traceSeconds = single.shortestSpanSeconds();
const QUICK_DAYS = 7;
const durationSeconds = context.quick ? QUICK_DAYS * 86400 : traceSeconds;
const start = new Date('2023-02-15T00:00:00Z');

const demand: DemandOptions = {
  throughputJobsPerHour: 3.2,
  throughputHours: [2, 8],
  gangNodes: 16,
  gangRunHours: 6,
  gangWindowSeconds: gang.shortestSpanSeconds(),
  seed: 12,
};

const research = demoAccounts.find(a => a.name === 'ml-research')!.id;
const gpuAccounts = demoAccounts.filter(a => a.role !== 'network').map(a => a.id);
const allRegions = [...new Set(single.traces.map(t => t.region))].sort();
const scenarios: Array<{ key: string; label: string; scope: Scope; oracleQuoted: number }> = [
  { key: 'a', label: '(a) one account, us-east-1', scope: { accounts: [research], regions: ['us-east-1'] }, oracleQuoted: 71.3 },
  { key: 'b', label: '(b) one account, 3 regions', scope: { accounts: [research], regions: allRegions }, oracleQuoted: 99.2 },
  { key: 'c', label: `(c) pooled estate, ${gpuAccounts.length} accounts × 3 regions`, scope: { accounts: gpuAccounts, regions: allRegions }, oracleQuoted: 99.2 },
];

const days = (seconds: number) => seconds / 86400;
const pct = (share: number) => `${(100 * share).toFixed(1)} %`;
const hours = (gpuSeconds: number) => Math.round(gpuSeconds / 3600);

console.log(
  `spot fill replay, ${context.quick ? `quick mode: the first ${QUICK_DAYS} days` : 'full mode: every day'} of ${days(traceSeconds).toFixed(1)} days, one tick every ${tickSeconds} s`,
);
console.log(`machine: ${describeMachine(context.machine)}; commit ${context.commit}`);
console.log('traces: Wu et al., "Can\'t Be Late: Optimizing Spot Instance Savings under Deadlines", NSDI 2024 (skypilot-org/spot-traces)');

// The oracle straight from the traces, over their whole span, beside the figures the issue quotes.
const zonesOf = (region?: string) => single.traces.filter(t => !region || t.region === region).map(t => t.azId);
const fullOracle = (azIds: string[]) => single.shareOfTicksWithAny(azIds, 1, traceSeconds, tickSeconds);
const perZone = single.traces.map(t => ({ zone: t.zoneName, share: fullOracle([t.azId]) })).sort((a, b) => a.share - b.share);
const traceOracles = {
  worstZone: perZone[0],
  bestZone: perZone[perZone.length - 1],
  byRegion: Object.fromEntries(allRegions.map(r => [r, fullOracle(zonesOf(r))])),
  anyZone: fullOracle(zonesOf()),
  gangAnyZone: gang.shareOfTicksWithAny(gang.traces.map(t => t.azId), demand.gangNodes, gang.shortestSpanSeconds(), gang.traces[0].gapSeconds),
};
console.log(
  `oracle over all ${days(traceSeconds).toFixed(1)} days (a tick counts when a zone could launch one): any of the 9 zones ${pct(traceOracles.anyZone)} (issue: 99.2 %), ` +
    `${allRegions.map(r => `any of ${r} ${pct(traceOracles.byRegion[r])}`).join(', ')} (issue: us-east-1 71.3 %); ` +
    `worst zone ${traceOracles.worstZone.zone} ${pct(traceOracles.worstZone.share)}, best ${traceOracles.bestZone.zone} ${pct(traceOracles.bestZone.share)}; ` +
    `16 of 16 nodes in one of the 3 gang zones ${pct(traceOracles.gangAnyZone)} of the ${days(gang.shortestSpanSeconds()).toFixed(1)} days all three cover`,
);
const researchNames = single.traces
  .filter(t => t.region === 'us-east-1')
  .map(t => `${t.zoneName} = ${t.azId} = ${Object.entries(accountAzMap(research, 'us-east-1')).find(([, id]) => id === t.azId)![0]} in ml-research`);
console.log(`zones: the traces name zones of the measuring account, read through ${MEASURING_ACCOUNT}'s map; ${researchNames.join(', ')}`);
const stream = throughputStream(demand, durationSeconds);
console.log(
  `demand: ${stream.length} throughput jobs (1 GPU, ${demand.throughputHours.join('–')} h of work, ${demand.throughputJobsPerHour}/h), ` +
    `and back-to-back ${demand.gangRunHours}-hour runs of a ${demand.gangNodes}-node gang for the first ${days(Math.min(demand.gangWindowSeconds, durationSeconds)).toFixed(1)} days`,
);
const gangPlacement = planPlacement(gangRequest(scenarios[2].scope, demand.gangNodes), new TraceEstate(scenarios[2].scope, zonesOf()).inventoryAt(start, new Map()), { now: start });
console.log(`gang placement: ${gangPlacement.status} (${gangPlacement.refusalRule ?? 'no rule'}); its pods go to decide with the gang gate alone, one AZ-ID all or nothing`);

type Variant = 'spot-over-on-demand' | 'one-per-cell' | 'move-back-to-spot';
const variants: Array<{ variant: Variant; layout: NodePoolLayout; moveBackToSpot: boolean; label: string }> = [
  { variant: 'spot-over-on-demand', layout: 'spot-over-on-demand', moveBackToSpot: false, label: 'a spot NodePool over an on-demand NodePool per cell' },
  { variant: 'one-per-cell', layout: 'one-per-cell', moveBackToSpot: false, label: 'one NodePool per cell allowing spot and on-demand' },
  {
    variant: 'move-back-to-spot',
    layout: 'spot-over-on-demand',
    moveBackToSpot: true,
    label: 'spot over on-demand, and (not in the engine yet) on-demand nodes replaced by spot when a zone opens',
  },
];

interface ScenarioRun {
  key: string;
  label: string;
  variant: Variant;
  scope: Scope;
  oracleQuoted: number;
  result: ReplayResult;
  seconds: number;
  windowTickOracle: number;
}
const runs: ScenarioRun[] = [];
for (const { variant, layout, moveBackToSpot, label: variantLabel } of variants) {
  console.log(`\n-- NodePools: ${variantLabel}`);
  for (const scenario of scenarios) {
    const started = process.hrtime.bigint();
    const result = replay({ scope: scenario.scope, single, gang, tickSeconds, durationSeconds, demand, start, nodePoolLayout: layout, moveBackToSpot });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const estateAzIds = new Set(new TraceEstate(scenario.scope, zonesOf()).inventoryAt(start, new Map()).offerings.map(o => o.azId));
    const windowTickOracle = single.shareOfTicksWithAny(zonesOf().filter(id => estateAzIds.has(id)), 1, durationSeconds, tickSeconds);
    checkAccounts(scenario.label, result);
    runs.push({ ...scenario, variant, result, seconds, windowTickOracle });
    report(scenario.label, result, windowTickOracle, seconds);
  }
}

/** The replay's books must balance, and spot can never beat the oracle; a broken harness stops here. */
function checkAccounts(label: string, r: ReplayResult) {
  for (const [part, seconds] of [['throughput', r.throughput], ['gang', r.gang]] as const) {
    const served = seconds.spot + seconds.onDemand + seconds.waiting;
    if (Math.abs(served - seconds.requested) > 1e-6 * Math.max(1, seconds.requested)) {
      throw new Error(`${label}, ${part}: ${served} GPU-seconds served or waiting, ${seconds.requested} requested`);
    }
    if (seconds.spot > seconds.oracle + 1e-6) throw new Error(`${label}, ${part}: spot ${seconds.spot} GPU-seconds beat the oracle's ${seconds.oracle}`);
  }
}

function report(label: string, r: ReplayResult, windowTickOracle: number, seconds: number) {
  const spotShare = r.total.spot / r.total.requested;
  const oracle = r.total.oracle / r.total.requested;
  const share = (part: number, whole: number) => pct(whole ? part / whole : 0);
  console.log(
    `${label}: ${hours(r.total.requested)} GPU-h requested; on spot ${pct(spotShare)} (oracle ${pct(oracle)}, gap ${(100 * (oracle - spotShare)).toFixed(1)} points; goal ≤ 1), ` +
      `on-demand fallback ${hours(r.total.onDemand)} GPU-h, waiting ${hours(r.total.waiting)} GPU-h; cost ${(r.cost / r.allOnDemandCost).toFixed(2)}× all-on-demand ($${Math.round(r.cost)} vs $${Math.round(r.allOnDemandCost)})`,
  );
  console.log(
    `  throughput: spot ${share(r.throughput.spot, r.throughput.requested)} of ${hours(r.throughput.requested)} GPU-h (oracle ${share(r.throughput.oracle, r.throughput.requested)}; ticks with a zone open ${pct(windowTickOracle)}), ` +
      `on-demand ${hours(r.throughput.onDemand)} GPU-h, ${r.interruptions.throughputJobs} interruptions absorbed; ${r.jobs.throughputFinished}/${r.jobs.throughput} jobs finished`,
  );
  console.log(
    `  gang: spot ${share(r.gang.spot, r.gang.requested)} of ${hours(r.gang.requested)} GPU-h (oracle ${share(r.gang.oracle, r.gang.requested)}), ` +
      `on-demand ${hours(r.gang.onDemand)} GPU-h, ${r.interruptions.gangRuns} interruptions absorbed (${r.interruptions.nodes - r.interruptions.throughputJobs} nodes); ${r.jobs.gangRunsFinished}/${r.jobs.gangRuns} runs finished`,
  );
  console.log(
    `  engine: ${r.calls.planPlacement} planPlacement, ${r.calls.decide} decide calls; ${r.iceAnswers} ICE answers cached; ` +
      `${r.launches.spot} spot and ${r.launches.onDemand} on-demand launches (${r.launches.onDemandWhileSpotOpen} of them while a zone had spot)` +
      `${r.movedBackToSpot ? `, ${r.movedBackToSpot} moved back to spot` : ''}; replay took ${seconds.toFixed(1)} s`,
  );
  const waiting = Object.entries(r.waitingReasons).sort((a, b) => b[1] - a[1]).slice(0, 3);
  if (waiting.length) console.log(`  waiting (job-ticks): ${waiting.map(([why, n]) => `${why} ${n}`).join('; ')}`);
}

const variantSuffix: Record<Variant, string> = {
  'spot-over-on-demand': '',
  'one-per-cell': ', one NodePool per cell',
  'move-back-to-spot': ', on-demand moved back to spot (what-if)',
};
const row = ({ label, variant, result: r, oracleQuoted, windowTickOracle }: ScenarioRun): TableRow => {
  const share = (part: number, whole: number) => pct(whole ? part / whole : 0);
  const spotShare = r.total.spot / r.total.requested;
  const oracle = r.total.oracle / r.total.requested;
  const gap = 100 * (oracle - spotShare);
  return {
    case: `spot fill ${label}${variantSuffix[variant]}, ${context.quick ? QUICK_DAYS : days(durationSeconds).toFixed(0)} days`,
    figure:
      `spot ${pct(spotShare)} of ${hours(r.total.requested)} GPU-h (throughput ${share(r.throughput.spot, r.throughput.requested)}, gang ${share(r.gang.spot, r.gang.requested)}); ` +
      `on-demand ${hours(r.total.onDemand)} GPU-h; ${r.interruptions.throughputJobs + r.interruptions.gangRuns} interruptions absorbed; cost ${(r.cost / r.allOnDemandCost).toFixed(2)}× all-on-demand`,
    anchor:
      `oracle ${pct(oracle)} (throughput ${share(r.throughput.oracle, r.throughput.requested)}, gang ${share(r.gang.oracle, r.gang.requested)}); ` +
      `ticks with a zone open ${pct(windowTickOracle)}, issue quotes ${oracleQuoted} %`,
    ratio: `gap ${gap.toFixed(1)} pt (goal ≤ 1: ${gap <= 1 ? 'met' : 'not met'})`,
  };
};
const table: TableRow[] = [
  ...runs.filter(r => r.variant === 'spot-over-on-demand').map(row),
  ...runs.filter(r => r.variant !== 'spot-over-on-demand' && r.key === 'c').map(row),
];

const path = writeResults(context, 'fill', {
  table,
  source: 'Wu et al., "Can\'t Be Late: Optimizing Spot Instance Savings under Deadlines", NSDI 2024; skypilot-org/spot-traces',
  tickSeconds,
  replayedDays: days(durationSeconds),
  traceDays: days(traceSeconds),
  demand,
  traceOracles,
  scenarios: runs.map(({ key, label, variant, scope, result, seconds, windowTickOracle, oracleQuoted }) => ({
    key,
    label,
    variant,
    scope,
    oracleQuoted,
    windowTickOracle,
    spotShare: result.total.spot / result.total.requested,
    oracle: result.total.oracle / result.total.requested,
    costRatio: result.cost / result.allOnDemandCost,
    replaySeconds: seconds,
    ...result,
  })),
});
console.log(`\nresults: ${path}`);
