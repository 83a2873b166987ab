// Replays spot availability traces through the placement engine (planPlacement, then
// compilePlacement for the pods' node constraints) and the provisioner's decide step, tick by
// tick. Only the launch is modelled: a spot launch into an AZ-ID whose trace reads 0 answers
// InsufficientInstanceCapacity, which is fed to the ICE cache exactly as the launcher feeds it,
// and the next round of the same tick decides again with that knowledge.
import { CapacityType, CellStatus, parsePlacementRequest, PlacementRequest, PlacementRequestInput } from '@internal/backstage-plugin-fabric-common';
import { compilePlacement } from '../../src/compile/compilePlacement';
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL } from '../../src/compile/labels';
import { InsufficientCapacityCache } from '../../src/placement/InsufficientCapacityCache';
import { planPlacement } from '../../src/placement/planPlacement';
import { decide } from '../../src/provisioner/decide';
import { cellPool, GPU_TOLERATION } from '../../src/provisioner/__testUtils__/estateFixture';
import { LaunchOffering, NodeClaimDecision, PendingPod } from '../../src/provisioner/types';
import { SpotAvailability } from './spotTraces';
import { P3_2XLARGE, Scope, TraceEstate, Usage, usageKey } from './traceEstate';

export interface DemandOptions {
  /** Mean arrivals of 1-GPU throughput jobs per hour (Poisson). */
  throughputJobsPerHour: number;
  /** Each job's work, drawn uniformly from this range of hours. */
  throughputHours: [number, number];
  /** Nodes of the tightly-coupled gang (one GPU each). */
  gangNodes: number;
  /** Work of one gang run; runs follow each other while the gang window lasts. */
  gangRunHours: number;
  /** The gang runs from the start for this long (the 16-node traces' common span at most). */
  gangWindowSeconds: number;
  seed: number;
}

export interface ReplayOptions {
  scope: Scope;
  /** One AZ-ID per traced zone: 1-node availability. */
  single: SpotAvailability;
  /** 16-node availability: how many of the gang's nodes a zone could hold. */
  gang: SpotAvailability;
  tickSeconds: number;
  durationSeconds: number;
  demand: DemandOptions;
  /** Clock of the first tick (the ICE cache and inventory timestamps read it). */
  start: Date;
  /**
   * The fabric NodePools of each cell: one that allows spot and on-demand, or a spot NodePool
   * (weight 100) over an on-demand one (weight 10), the usual Karpenter spot-with-fallback setup.
   */
  nodePoolLayout: NodePoolLayout;
  /**
   * What-if, not in the engine: each tick, jobs on on-demand are decided again for spot only,
   * and move when a spot node launches (the node replacement Karpenter's consolidation makes
   * when a cheaper node could hold the pods).
   */
  moveBackToSpot?: boolean;
}

export type NodePoolLayout = 'one-per-cell' | 'spot-over-on-demand';

function nodePoolsOf(cells: CellStatus[], layout: NodePoolLayout) {
  const pairs = cells.flatMap(cell => {
    if (layout === 'one-per-cell') return [cellPool(cell)];
    const base = `fabric-${cell.accountId}-${cell.region}`;
    const only = (capacityType: CapacityType) => [{ key: CAPACITY_TYPE_LABEL, operator: 'In' as const, values: [capacityType] }];
    return [
      cellPool(cell, { name: `${base}-spot`, weight: 100, requirements: only('spot') }),
      cellPool(cell, { name: `${base}-on-demand`, weight: 10, requirements: only('on-demand') }),
    ];
  });
  return { nodePools: pairs.map(p => p.nodePool), nodeClasses: pairs.map(p => p.nodeClass) };
}

/** GPU-seconds by how they were served; `requested` = spot + onDemand + waiting. */
export interface GpuSeconds {
  requested: number;
  spot: number;
  onDemand: number;
  waiting: number;
  /** Requested at ticks when some AZ-ID of the scope could have held the job on spot. */
  oracle: number;
}

export interface ReplayResult {
  ticks: number;
  throughput: GpuSeconds;
  gang: GpuSeconds;
  total: GpuSeconds;
  spotNodeSeconds: number;
  onDemandNodeSeconds: number;
  cost: number;
  allOnDemandCost: number;
  jobs: { throughput: number; gangRuns: number; throughputFinished: number; gangRunsFinished: number };
  interruptions: { throughputJobs: number; gangRuns: number; nodes: number };
  /** InsufficientInstanceCapacity answers of the modelled launches (each marks the cache). */
  iceAnswers: number;
  launches: { spot: number; onDemand: number; /** On-demand launched while some AZ-ID of the scope could have taken it on spot. */ onDemandWhileSpotOpen: number };
  calls: { planPlacement: number; decide: number; rounds: number };
  /** Jobs moved from on-demand to spot (moveBackToSpot only). */
  movedBackToSpot: number;
  /** Why jobs were left waiting, counted per tick and job. */
  waitingReasons: Record<string, number>;
}

interface Job {
  id: number;
  kind: 'throughput' | 'gang';
  nodes: number;
  arrivedAt: number;
  workLeft: number;
  running?: { accountId: string; region: string; azId: string; capacityType: CapacityType };
  lastWhy?: string;
}

const MAX_ROUNDS_PER_TICK = 40;
const INSUFFICIENT_CAPACITY = 'InsufficientInstanceCapacity: there is no Spot capacity available that matches your request';

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so runs compare. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Arrival second and work (seconds) of each throughput job: the same stream for every scope. */
export function throughputStream(demand: DemandOptions, durationSeconds: number): Array<{ at: number; work: number }> {
  const next = random(demand.seed);
  const jobs: Array<{ at: number; work: number }> = [];
  const meanGap = 3600 / demand.throughputJobsPerHour;
  for (let at = -Math.log(1 - next()) * meanGap; at < durationSeconds; at += -Math.log(1 - next()) * meanGap) {
    const [low, high] = demand.throughputHours;
    jobs.push({ at, work: (low + (high - low) * next()) * 3600 });
  }
  return jobs;
}

function parseRequest(input: PlacementRequestInput): PlacementRequest {
  const parsed = parsePlacementRequest(input);
  if (!parsed.ok) throw new Error(`invalid placement request: ${parsed.errors.map(e => `${e.path} ${e.message}`).join('; ')}`);
  return parsed.request;
}

/** The request every throughput job sends: one p3.2xlarge GPU, spot first, within the scope. */
export function throughputRequest(scope: Scope): PlacementRequest {
  return parseRequest({
    entityRef: 'component:default/spot-fill-throughput',
    intent: 'throughput',
    gpu: { instanceTypes: [P3_2XLARGE.instanceType], totalGpus: 1 },
    spotPolicy: 'spot-first',
    allowedAccounts: scope.accounts,
    allowedRegions: scope.regions,
  });
}

/** The gang as a placement request; the placement engine refuses it (p3.2xlarge has no EFA). */
export function gangRequest(scope: Scope, nodes: number): PlacementRequest {
  return parseRequest({
    entityRef: 'component:default/spot-fill-gang',
    intent: 'tightly-coupled',
    gpu: { instanceTypes: [P3_2XLARGE.instanceType], totalGpus: nodes },
    spotPolicy: 'spot-first',
    allowSpotForTightlyCoupled: true,
    allowedAccounts: scope.accounts,
    allowedRegions: scope.regions,
  });
}

function emptySeconds(): GpuSeconds {
  return { requested: 0, spot: 0, onDemand: 0, waiting: 0, oracle: 0 };
}

export function replay(options: ReplayOptions): ReplayResult {
  const { scope, single, gang, tickSeconds, durationSeconds, demand } = options;
  const tracedAzIds = single.traces.map(t => t.azId);
  const estate = new TraceEstate(scope, tracedAzIds);
  const scopeAzIds = new Set(estate.inventoryAt(options.start, new Map()).offerings.map(o => o.azId));
  const scopeSingleAzIds = tracedAzIds.filter(id => scopeAzIds.has(id));
  const scopeGangAzIds = gang.traces.map(t => t.azId).filter(id => scopeAzIds.has(id));
  const { nodePools, nodeClasses } = nodePoolsOf(estate.cells, options.nodePoolLayout);
  const request = throughputRequest(scope);
  const spotOnlyRequest = { ...request, spotPolicy: 'spot-only' as const };
  const priceOf = (capacityType: CapacityType) =>
    estate.inventoryAt(options.start, new Map()).offerings.find(o => o.capacityType === capacityType)!.pricePerHour;
  const prices = { spot: priceOf('spot'), onDemand: priceOf('on-demand') };
  const insufficientCapacity = new InsufficientCapacityCache();

  const result: ReplayResult = {
    ticks: 0,
    throughput: emptySeconds(),
    gang: emptySeconds(),
    total: emptySeconds(),
    spotNodeSeconds: 0,
    onDemandNodeSeconds: 0,
    cost: 0,
    allOnDemandCost: 0,
    jobs: { throughput: 0, gangRuns: 0, throughputFinished: 0, gangRunsFinished: 0 },
    interruptions: { throughputJobs: 0, gangRuns: 0, nodes: 0 },
    iceAnswers: 0,
    launches: { spot: 0, onDemand: 0, onDemandWhileSpotOpen: 0 },
    calls: { planPlacement: 0, decide: 0, rounds: 0 },
    movedBackToSpot: 0,
    waitingReasons: {},
  };

  const stream = throughputStream(demand, durationSeconds);
  let nextArrival = 0;
  let nextJobId = 0;
  const active: Job[] = [];
  const usage: Usage = new Map();
  const gangWindow = Math.min(demand.gangWindowSeconds, durationSeconds);

  const occupy = (job: Job, sign: 1 | -1) => {
    const r = job.running!;
    const key = usageKey(r.accountId, r.region, r.capacityType);
    usage.set(key, (usage.get(key) ?? 0) + sign * job.nodes * P3_2XLARGE.vcpus);
  };

  for (let at = 0; at < durationSeconds; at += tickSeconds) {
    result.ticks++;
    const now = new Date(options.start.getTime() + at * 1000);

    // A spot node whose zone can no longer hold it is taken back; its job is decided again.
    for (const job of active) {
      const r = job.running;
      if (!r || r.capacityType !== 'spot') continue;
      const left = job.kind === 'gang' ? gang.instancesAt(r.azId, at) : single.instancesAt(r.azId, at);
      if (left >= job.nodes) continue;
      occupy(job, -1);
      job.running = undefined;
      result.interruptions.nodes += job.nodes;
      if (job.kind === 'gang') result.interruptions.gangRuns++;
      else result.interruptions.throughputJobs++;
    }

    while (nextArrival < stream.length && stream[nextArrival].at <= at) {
      const { at: arrivedAt, work } = stream[nextArrival++];
      active.push({ id: nextJobId++, kind: 'throughput', nodes: 1, arrivedAt, workLeft: work });
      result.jobs.throughput++;
    }
    if (at < gangWindow && !active.some(j => j.kind === 'gang')) {
      active.push({ id: nextJobId++, kind: 'gang', nodes: demand.gangNodes, arrivedAt: at, workLeft: demand.gangRunHours * 3600 });
      result.jobs.gangRuns++;
    }

    decideTick(now, 'pending');
    if (options.moveBackToSpot) decideTick(now, 'back-to-spot');

    // Account the interval up to the next tick.
    const spotSingle = scopeSingleAzIds.some(id => single.instancesAt(id, at) >= 1);
    const spotGang = scopeGangAzIds.some(id => gang.instancesAt(id, at) >= demand.gangNodes);
    for (const job of active) {
      const bucket = job.kind === 'gang' ? result.gang : result.throughput;
      const gpuSeconds = job.nodes * P3_2XLARGE.acceleratorCount * tickSeconds;
      bucket.requested += gpuSeconds;
      if ((job.kind === 'gang' ? spotGang : spotSingle)) bucket.oracle += gpuSeconds;
      if (!job.running) {
        bucket.waiting += gpuSeconds;
        const why = job.lastWhy ?? 'not decided yet';
        result.waitingReasons[why] = (result.waitingReasons[why] ?? 0) + 1;
        continue;
      }
      const spot = job.running.capacityType === 'spot';
      if (spot) bucket.spot += gpuSeconds;
      else bucket.onDemand += gpuSeconds;
      const nodeSeconds = job.nodes * tickSeconds;
      if (spot) result.spotNodeSeconds += nodeSeconds;
      else result.onDemandNodeSeconds += nodeSeconds;
      result.cost += (nodeSeconds / 3600) * (spot ? prices.spot : prices.onDemand);
      result.allOnDemandCost += (nodeSeconds / 3600) * prices.onDemand;
      job.workLeft -= tickSeconds;
    }
    for (let i = active.length - 1; i >= 0; i--) {
      const job = active[i];
      if (job.workLeft > 0) continue;
      if (job.running) occupy(job, -1);
      active.splice(i, 1);
      if (job.kind === 'gang') result.jobs.gangRunsFinished++;
      else result.jobs.throughputFinished++;
    }
  }

  for (const key of ['requested', 'spot', 'onDemand', 'waiting', 'oracle'] as const) {
    result.total[key] = result.throughput[key] + result.gang[key];
  }
  return result;

  /**
   * Rounds of plan → decide → launch until nothing changes: each round's ICE answers are in
   * the cache for the next, which is how the engine learns a zone is empty.
   */
  function decideTick(now: Date, mode: 'pending' | 'back-to-spot') {
    const backToSpot = mode === 'back-to-spot';
    const tried = new Set<Job>();
    for (let round = 0; round < MAX_ROUNDS_PER_TICK; round++) {
      const pending = backToSpot ? active.filter(j => j.running?.capacityType === 'on-demand' && !tried.has(j)) : active.filter(j => !j.running);
      if (pending.length === 0) return;
      result.calls.rounds++;
      const inventory = estate.inventoryAt(now, usage);
      const pods: PendingPod[] = [];
      const jobOfPod = new Map<string, Job>();
      for (const job of pending) {
        if (job.kind === 'throughput') {
          result.calls.planPlacement++;
          const placement = planPlacement(backToSpot ? spotOnlyRequest : request, inventory, { iceCache: insufficientCapacity, now });
          if (placement.status !== 'placed') {
            if (backToSpot) {
              tried.add(job);
              continue;
            }
            job.lastWhy = `placement ${placement.status}`;
            continue;
          }
          const compiled = compilePlacement(placement, inventory, { clusterName: 'fabric-hub', nodeRoleName: 'fabric-node' });
          const scheduling = compiled.podScheduling;
          const terms = scheduling.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
          const pod = jobPod(job, terms.map(t => t.matchExpressions), now, undefined, scheduling.tolerations);
          pods.push(pod);
          jobOfPod.set(pod.uid, job);
        } else {
          // No placement: the engine refuses a tightly-coupled gang on a type without EFA.
          // The pods carry only the gang gate and the type, and decide keeps them in one AZ-ID.
          for (let rank = 0; rank < job.nodes; rank++) {
            const terms = [{ key: INSTANCE_TYPE_LABEL, operator: 'In' as const, values: [P3_2XLARGE.instanceType] }];
            if (backToSpot) terms.push({ key: CAPACITY_TYPE_LABEL, operator: 'In' as const, values: ['spot'] });
            const pod = jobPod(job, [terms], now, rank);
            pods.push(pod);
            jobOfPod.set(pod.uid, job);
          }
        }
      }
      if (pods.length === 0) return;

      result.calls.decide++;
      const decision = decide({
        pods,
        nodePools,
        nodeClasses,
        inventory,
        insufficientCapacity,
        inFlight: [],
        nodePoolUsage: {},
        now,
      });
      for (const refused of decision.unschedulable) {
        const job = jobOfPod.get(refused.uid);
        if (job && backToSpot) tried.add(job);
        else if (job) job.lastWhy = `decide: ${refused.reason.split(/[:(]/)[0].trim()}`;
      }

      let changed = false;
      const units = new Map<string, NodeClaimDecision[]>();
      for (const claim of decision.claims) {
        const key = claim.gang ? `gang:${claim.gang}` : `claim:${claim.name}`;
        units.set(key, [...(units.get(key) ?? []), claim]);
      }
      for (const claims of units.values()) {
        const job = jobOfPod.get(claims[0].podUids[0])!;
        const outcome = launch(claims[0].offerings, claims.length, now);
        if (outcome.marked) changed = true;
        if (!outcome.launched) {
          if (!backToSpot) job.lastWhy = 'launch refused for capacity';
          continue;
        }
        if (backToSpot) {
          // The spot node is up: the job moves and its on-demand node goes.
          occupy(job, -1);
          result.movedBackToSpot++;
        }
        job.running = { accountId: claims[0].cell.accountId, region: claims[0].cell.region, ...outcome.launched };
        job.lastWhy = undefined;
        occupy(job, 1);
        if (outcome.launched.capacityType === 'spot') result.launches.spot++;
        else {
          result.launches.onDemand++;
          const elapsed = (now.getTime() - options.start.getTime()) / 1000;
          const open = (job.kind === 'gang' ? scopeGangAzIds : scopeSingleAzIds).filter(id => (job.kind === 'gang' ? gang : single).instancesAt(id, elapsed) >= job.nodes);
          if (open.length) {
            result.launches.onDemandWhileSpotOpen++;
            if (process.env.FILL_DEBUG) console.log(`${now.toISOString()} ${job.kind} ${job.id} on-demand in round ${round} while ${open.join(',')} open; offerings ${claims[0].offerings.map(o => `${o.azId}/${o.capacityType}`).join(' ')}; ICE ${insufficientCapacity.list(now).map(e => e.azId).join(',')}`);
          }
        }
        changed = true;
      }
      if (!changed) return;
    }
  }

  /**
   * The launch of one claim (or one gang's claims), as the launcher makes it: one fleet call
   * per capacity type in the claim's order. Spot takes the first listed AZ-ID that can hold
   * every node (all or nothing for a gang); when none can, every offering of the call is marked
   * insufficient exactly as the launcher marks a refused fleet. On-demand p3.2xlarge is taken
   * to be always there: the traces measured spot only.
   */
  function launch(
    offerings: LaunchOffering[],
    nodes: number,
    now: Date,
  ): { launched?: { azId: string; capacityType: CapacityType }; marked: boolean } {
    let marked = false;
    const capacityTypes = [...new Set(offerings.map(o => o.capacityType))];
    for (const capacityType of capacityTypes) {
      const tried = offerings.filter(o => o.capacityType === capacityType);
      if (capacityType !== 'spot') return { launched: { azId: tried[0].azId, capacityType }, marked };
      const traces = nodes > 1 ? gang : single;
      const open = tried.find(o => traces.instancesAt(o.azId, (now.getTime() - options.start.getTime()) / 1000) >= nodes);
      if (open) return { launched: { azId: open.azId, capacityType }, marked };
      for (const offering of tried) {
        insufficientCapacity.markInsufficient(
          { instanceType: offering.instanceType, azId: offering.azId, capacityType: offering.capacityType },
          { now, detail: INSUFFICIENT_CAPACITY },
        );
        result.iceAnswers++;
      }
      marked = true;
    }
    return { marked };
  }

  function jobPod(
    job: Job,
    requirementTerms: PendingPod['requirementTerms'],
    now: Date,
    rank?: number,
    tolerations: PendingPod['tolerations'] = [GPU_TOLERATION],
  ): PendingPod {
    const name = rank === undefined ? `job-${job.id}` : `gang-${job.id}-rank-${rank}`;
    return {
      uid: `uid-${name}`,
      namespace: 'ml',
      name,
      requests: { cpuMillis: 4000, memoryMiB: 32 * 1024, gpus: 1, neuron: 0, efa: 0, pods: 1 },
      requirementTerms,
      tolerations,
      labels: {},
      gang: rank === undefined ? undefined : { name: `gang-${job.id}`, size: job.nodes },
      createdAt: new Date(Math.min(now.getTime(), options.start.getTime() + job.arrivedAt * 1000)).toISOString(),
    };
  }
}
