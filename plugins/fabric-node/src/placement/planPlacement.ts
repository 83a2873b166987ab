import {
  ChosenOffering,
  FabricIntent,
  Inventory,
  Placement,
  PlacementRequest,
  RejectedOffering,
} from '@internal/backstage-plugin-fabric-common';
import { Allocation, AllocationLimits, BALANCED_MAX_SPOT_SHARE, gangFill, spreadFill } from './allocate';
import {
  buildCandidates,
  byOfferingIdentity,
  Candidate,
  cellLabel,
  compareStrings,
  describeNeed,
  offeringKey,
  round2,
} from './candidates';
import { checkGuardrails, gangDoesNotFit } from './guardrails';
import { InsufficientCapacityCache } from './InsufficientCapacityCache';
import { HOURS_PER_MONTH, NetworkPath, roundCents } from './networkCost';
import { QuotaBudget } from './quotaBudget';

export interface PlanPlacementOptions {
  /** Recent InsufficientInstanceCapacity answers; matching offerings are skipped until they expire. */
  iceCache?: InsufficientCapacityCache;
  /** The clock the ICE cache is read with. Default: now. */
  now?: Date;
  /** How cross-cell traffic travels, for network cost. Default: the peering mesh. */
  networkPath?: NetworkPath;
}

type Outcome = Omit<Placement, 'request' | 'intent' | 'inventoryTakenAt'>;

/**
 * Decides where a request runs, on one inventory snapshot. Pure and deterministic: the
 * same request, inventory, cache contents and clock give the same placement, since every
 * ranking ends in a full tie-break on the offering's identity.
 *
 * - throughput: spot first, spread over the best AZ-IDs and cells.
 * - tightly-coupled: one gang, all-or-nothing, in one AZ-ID on one EFA-capable type.
 * - balanced: one region, spread over its AZ-IDs, at most 70% spot.
 */
export function planPlacement(request: PlacementRequest, inventory: Inventory, options: PlanPlacementOptions = {}): Placement {
  const outcome = decide(request, inventory, {
    iceCache: options.iceCache,
    now: options.now ?? new Date(),
    networkPath: options.networkPath ?? 'peering',
  });
  return { request, intent: request.intent, inventoryTakenAt: inventory.takenAt, ...outcome };
}

const intentPhrase: Record<FabricIntent, string> = {
  throughput: 'Throughput: spread independent workers wherever capacity is cheapest',
  'tightly-coupled': 'Tightly-coupled: one all-or-nothing gang in one AZ-ID on EFA',
  balanced: 'Balanced: one region, spread over its AZ-IDs, spot mixed with on-demand',
};

function decide(
  request: PlacementRequest,
  inventory: Inventory,
  options: { iceCache?: InsufficientCapacityCache; now: Date; networkPath: NetworkPath },
): Outcome {
  const reasons = [
    `${intentPhrase[request.intent]}: ${describeNeed(request)}, spot policy ${request.spotPolicy}${
      request.maxHourlyPrice ? `, at most $${request.maxHourlyPrice}/h` : ''
    }.`,
  ];
  const verdict = checkGuardrails(request, inventory);
  if (verdict.refusal) {
    return { ...empty('refused', [], [...reasons, verdict.refusal]), refusal: verdict.refusal };
  }
  reasons.push(...verdict.notes);

  const set = buildCandidates(request, inventory, options);
  reasons.push(...set.notes);
  if (set.matchingTypes.length === 0) {
    reasons.push('No instance type in the inventory meets the GPU need.');
    return { ...empty('cannot-place-now', set.rejected, reasons), largestFeasibleGpus: 0 };
  }
  reasons.push(
    `${set.candidates.length} offerings of ${set.matchingTypes.map(t => t.instanceType).join(', ')} pass the filters; ${
      set.rejected.length
    } were left out (see rejected).`,
  );
  if (set.candidates.length === 0) {
    reasons.push('Nothing is left to place on.');
    return { ...empty('cannot-place-now', set.rejected, reasons), largestFeasibleGpus: 0 };
  }

  const budget = QuotaBudget.fromInventory(inventory, new Map(inventory.instanceTypes.map(t => [t.instanceType, t])));
  switch (request.intent) {
    case 'tightly-coupled':
      return planGang(request, set.candidates, set.rejected, budget, reasons);
    case 'balanced':
      return planBalanced(request, set.candidates, set.rejected, budget, reasons);
    case 'throughput':
    default:
      return planThroughput(request, set.candidates, set.rejected, budget, reasons);
  }
}

function planThroughput(
  request: PlacementRequest,
  candidates: Candidate[],
  rejected: RejectedOffering[],
  budget: QuotaBudget,
  reasons: string[],
): Outcome {
  const allocation = new Allocation(budget, { maxHourlyPrice: request.maxHourlyPrice });
  spreadFill(candidates, request.gpu.totalGpus, allocation, { minAzIds: request.minAzIds });
  const shortfall = checkSpread(request, allocation);
  if (shortfall) return cannotPlace(rejected, [...reasons, shortfall.reason], shortfall.largestFeasibleGpus);
  return placed(request, allocation, candidates, rejected, reasons);
}

function planBalanced(
  request: PlacementRequest,
  candidates: Candidate[],
  rejected: RejectedOffering[],
  budget: QuotaBudget,
  reasons: string[],
): Outcome {
  const limits: AllocationLimits = {
    maxHourlyPrice: request.maxHourlyPrice,
    maxSpotGpus:
      request.spotPolicy === 'spot-only' ? undefined : Math.floor(BALANCED_MAX_SPOT_SHARE * request.gpu.totalGpus),
  };
  if (limits.maxSpotGpus !== undefined) {
    reasons.push(`Balanced caps spot at ${limits.maxSpotGpus} of ${request.gpu.totalGpus} GPUs (70%), the rest on-demand.`);
  }
  const regions = [...new Set(candidates.map(c => c.offering.region))].sort(compareStrings);
  const tries = regions.map(region => {
    const allocation = new Allocation(budget.clone(), limits);
    const inRegion = candidates.filter(c => c.offering.region === region);
    // Availability is the point of balanced: every AZ-ID of the region takes turns, not
    // only those whose score is close to the best.
    spreadFill(inRegion, request.gpu.totalGpus, allocation, { minAzIds: request.minAzIds, closeMargin: Infinity });
    const shortfall = checkSpread(request, allocation);
    const hourly = allocation.computePerHour + networkPerMonth(allocation) / HOURS_PER_MONTH;
    return { region, allocation, shortfall, hourly };
  });
  const fitting = tries
    .filter(t => !t.shortfall)
    .sort((a, b) => a.hourly - b.hourly || compareStrings(a.region, b.region));
  if (fitting.length === 0) {
    const largest = Math.max(0, ...tries.map(t => t.shortfall?.largestFeasibleGpus ?? 0));
    const why = tries.map(t => `${t.region}: ${t.shortfall!.reason}`);
    return cannotPlace(rejected, [...reasons, 'No single region can hold the request now.', ...why], largest);
  }
  const chosen = fitting[0];
  reasons.push(
    request.preferredRegion
      ? `Kept to the preferred region ${chosen.region}.`
      : `Chose ${chosen.region}, the cheapest region that holds the whole request ($${round2(chosen.hourly)}/h with network)${
          fitting.length > 1 ? `; next was ${fitting[1].region} ($${round2(fitting[1].hourly)}/h)` : ''
        }.`,
  );
  const otherRegions = candidates
    .filter(c => c.offering.region !== chosen.region)
    .map(c => {
      const t = tries.find(x => x.region === c.offering.region)!;
      const reason = t.shortfall
        ? `balanced keeps to one region; ${c.offering.region} cannot hold the request now`
        : `balanced keeps to one region; ${chosen.region} ($${round2(chosen.hourly)}/h) beat ${c.offering.region} ($${round2(t.hourly)}/h)`;
      return { ...offeringKey(c.offering), reason };
    });
  const inRegion = candidates.filter(c => c.offering.region === chosen.region);
  return placed(request, chosen.allocation, inRegion, [...rejected, ...otherRegions], reasons);
}

function planGang(
  request: PlacementRequest,
  candidates: Candidate[],
  rejected: RejectedOffering[],
  budget: QuotaBudget,
  reasons: string[],
): Outcome {
  // One instance type per gang: NCCL rings run at the slowest member's pace, some EFA
  // generations do not talk to others (p4d/p4de, aws-facts §2.1), and one EFA NIC layout
  // per node class stays correct.
  const islands = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const key = `${c.offering.azId}|${c.offering.instanceType}`;
    islands.set(key, [...(islands.get(key) ?? []), c]);
  }
  const limits: AllocationLimits = { maxHourlyPrice: request.maxHourlyPrice };
  const tries = [...islands.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([, members]) => {
      const info = members[0].info;
      const nodesWanted = Math.ceil(request.gpu.totalGpus / info.acceleratorCount);
      const allocation = new Allocation(budget.clone(), limits);
      const held = gangFill(members, nodesWanted, allocation);
      const capacityAllocation = new Allocation(budget.clone(), limits);
      const capacity = gangFill(members, Number.POSITIVE_INFINITY, capacityAllocation);
      const unlimited = gangFill(members, nodesWanted, new Allocation(budget.clone(), {}));
      const reservedNodes = [...allocation.nodes.entries()]
        .filter(([c]) => c.offering.capacityType === 'reserved')
        .reduce((sum, [, n]) => sum + n, 0);
      const accounts = new Set([...allocation.nodes.keys()].map(c => c.offering.accountId)).size;
      const meanScore = members.reduce((s, c) => s + c.score, 0) / members.length;
      return {
        azId: members[0].offering.azId,
        region: members[0].offering.region,
        instanceType: info.instanceType,
        members,
        nodesWanted,
        held,
        fits: held === nodesWanted,
        fitsWithoutPriceCap: unlimited === nodesWanted,
        capacityGpus: capacity * info.acceleratorCount,
        allocation,
        reservedNodes,
        accounts,
        meanScore,
        hourly: allocation.computePerHour + members[0].networkPerMonthAllHere / HOURS_PER_MONTH,
      };
    });

  const fitting = tries
    .filter(t => t.fits)
    .sort(
      (a, b) =>
        (request.spotPolicy === 'reserved-first' ? b.reservedNodes - a.reservedNodes : 0) ||
        a.hourly - b.hourly ||
        a.accounts - b.accounts ||
        b.meanScore - a.meanScore ||
        compareStrings(a.azId, b.azId) ||
        compareStrings(a.instanceType, b.instanceType),
    );

  if (fitting.length === 0) {
    const largest = Math.max(0, ...tries.map(t => roundDownTo(t.capacityGpus, request.gpu.gpusPerNode)));
    const why = [gangDoesNotFit(request, largest)];
    if (request.maxHourlyPrice && tries.some(t => t.fitsWithoutPriceCap)) {
      why.push(`Some AZ-IDs could hold the gang, but not within maxHourlyPrice $${request.maxHourlyPrice}/h.`);
    }
    for (const t of tries) {
      why.push(`${t.azId} (${t.region}) ${t.instanceType}: room for ${t.capacityGpus} GPUs.`);
    }
    return cannotPlace(rejected, [...reasons, ...why], largest);
  }

  const chosen = fitting[0];
  const mix = [...chosen.allocation.nodes.entries()]
    .map(([c, n]) => `${n} ${c.offering.capacityType}${c.offering.reservationId ? ` (${c.offering.reservationId})` : ''} in ${c.accountName}`)
    .join(', ');
  reasons.push(
    `Chose ${chosen.azId} (${chosen.region}) for all ${chosen.nodesWanted} × ${chosen.instanceType}: ${mix}.${
      chosen.accounts > 1
        ? ' Members come from several accounts into the same AZ-ID, which RAM-shared island subnets allow; EFA stays inside that one AZ-ID.'
        : ''
    }`,
  );
  if (fitting.length > 1) {
    reasons.push(
      `Next best: ${fitting[1].azId} ${fitting[1].instanceType} ($${round2(fitting[1].hourly)}/h vs $${round2(chosen.hourly)}/h${
        request.spotPolicy === 'reserved-first' ? `, ${fitting[1].reservedNodes} vs ${chosen.reservedNodes} reserved nodes` : ''
      }).`,
    );
  }
  const otherIslands = tries
    .filter(t => t !== chosen)
    .flatMap(t =>
      t.members.map(c => ({
        ...offeringKey(c.offering),
        reason: t.fits
          ? `the gang fits in ${t.azId} too, but ${chosen.azId} ranked higher (${
              request.spotPolicy === 'reserved-first' ? 'more reserved nodes, then ' : ''
            }lower cost: $${round2(chosen.hourly)}/h vs $${round2(t.hourly)}/h)`
          : `${t.azId} can hold only ${t.held} of the ${t.nodesWanted} ${t.instanceType} nodes the gang needs in one AZ-ID`,
      })),
    );
  return placed(request, chosen.allocation, chosen.members, [...rejected, ...otherIslands], reasons);
}

/** Whether a throughput or balanced fill meets the request; if not, why and what would fit. */
function checkSpread(
  request: PlacementRequest,
  allocation: Allocation,
): { reason: string; largestFeasibleGpus: number } | undefined {
  const need = request.gpu.totalGpus;
  if (allocation.gpus < need) {
    return {
      reason: `Only ${allocation.gpus} of ${need} GPUs can be placed now under the quota, capacity${
        request.maxHourlyPrice ? ', maxHourlyPrice' : ''
      } and spot rules.`,
      largestFeasibleGpus: roundDownTo(allocation.gpus, request.gpu.gpusPerNode),
    };
  }
  const minAzIds = request.minAzIds ?? 1;
  if (allocation.azIds().length < minAzIds) {
    return {
      reason: `The request asks for at least ${minAzIds} AZ-IDs, but it fits in only ${allocation.azIds().length} (${allocation
        .azIds()
        .join(', ')}) now.`,
      largestFeasibleGpus: 0,
    };
  }
  return undefined;
}

function placed(
  request: PlacementRequest,
  allocation: Allocation,
  considered: Candidate[],
  rejected: RejectedOffering[],
  reasons: string[],
): Outcome {
  const chosen: ChosenOffering[] = [...allocation.nodes.entries()]
    .sort(([a], [b]) => byOfferingIdentity(a.offering, b.offering))
    .map(([c, nodes]) => ({
      accountId: c.offering.accountId,
      region: c.offering.region,
      azId: c.offering.azId,
      azName: c.offering.azName,
      instanceType: c.offering.instanceType,
      capacityType: c.offering.capacityType,
      pricePerHour: c.offering.pricePerHour,
      ...(c.offering.placementScore !== undefined ? { placementScore: c.offering.placementScore } : {}),
      ...(c.offering.reservationId ? { reservationId: c.offering.reservationId } : {}),
      nodes,
      gpus: nodes * c.info.acceleratorCount,
      score: c.score,
      scoreBreakdown: c.breakdown,
    }));

  const lowestChosen = Math.min(...[...allocation.nodes.keys()].map(c => c.score));
  const unused = considered
    .filter(c => !allocation.nodes.has(c))
    .map(c => ({ ...offeringKey(c.offering), reason: whyUnused(request, c, allocation, lowestChosen) }));

  for (const [c, nodes] of [...allocation.nodes.entries()].sort(([a], [b]) => byOfferingIdentity(a.offering, b.offering))) {
    reasons.push(
      `${c.offering.azId} (${c.offering.region}), ${cellLabel(c.offering, c.accountName)}: ${nodes} × ${c.offering.instanceType} ${
        c.tierLabel
      } at $${c.offering.pricePerHour}/h each${
        c.offering.placementScore !== undefined ? `, placement score ${c.offering.placementScore}` : ''
      }; score ${c.score}.`,
    );
  }
  const network = networkPerMonth(allocation);
  const spotShare = allocation.gpus ? round2(allocation.spotGpus / allocation.gpus) : 0;
  reasons.push(
    `Placed ${allocation.gpus} GPUs on ${allocation.nodeCount} nodes across ${allocation.azIds().length} AZ-ID(s) for $${round2(
      allocation.computePerHour,
    )}/h compute and $${network}/month network; ${Math.round(spotShare * 100)}% spot.`,
  );
  if (allocation.gpus > request.gpu.totalGpus) {
    reasons.push(`${allocation.gpus - request.gpu.totalGpus} GPUs more than asked, because nodes come whole.`);
  }
  return {
    status: 'placed',
    chosen,
    rejected: sortRejected([...rejected, ...unused]),
    reasons,
    cost: { computePerHour: round2(allocation.computePerHour), networkPerMonth: network, spotShare },
    totals: { nodes: allocation.nodeCount, gpus: allocation.gpus },
  };
}

function whyUnused(request: PlacementRequest, c: Candidate, allocation: Allocation, lowestChosen: number): string {
  switch (allocation.blocked(c)) {
    case 'capacity':
      return `quota ${c.bucket?.name ?? 'headroom'} in ${c.accountName} ${c.offering.region} is used up by this placement's other offerings`;
    case 'spot-share':
      return 'balanced keeps spot at or below 70% of the GPUs';
    case 'price':
      return `one more node would exceed maxHourlyPrice $${request.maxHourlyPrice}/h`;
    default:
      return `not needed: the request was filled by better-ranked offerings (score ${c.score}, ${c.tierLabel}; lowest chosen ${lowestChosen})`;
  }
}

/** The request's data movement split over the chosen offerings by their share of GPUs. */
function networkPerMonth(allocation: Allocation): number {
  if (allocation.gpus === 0) return 0;
  let total = 0;
  for (const [c, nodes] of allocation.nodes) {
    total += ((nodes * c.info.acceleratorCount) / allocation.gpus) * c.networkPerMonthAllHere;
  }
  return roundCents(total);
}

function cannotPlace(rejected: RejectedOffering[], reasons: string[], largestFeasibleGpus: number): Outcome {
  return { ...empty('cannot-place-now', rejected, reasons), largestFeasibleGpus };
}

function empty(status: Placement['status'], rejected: RejectedOffering[], reasons: string[]): Outcome {
  return {
    status,
    chosen: [],
    rejected: sortRejected(rejected),
    reasons,
    cost: { computePerHour: 0, networkPerMonth: 0, spotShare: 0 },
    totals: { nodes: 0, gpus: 0 },
  };
}

function sortRejected(rejected: RejectedOffering[]): RejectedOffering[] {
  return [...rejected].sort(
    (a, b) =>
      compareStrings(a.region, b.region) ||
      compareStrings(a.azId, b.azId) ||
      compareStrings(a.accountId, b.accountId) ||
      compareStrings(a.instanceType, b.instanceType) ||
      compareStrings(a.capacityType, b.capacityType) ||
      compareStrings(a.reason, b.reason),
  );
}

function roundDownTo(gpus: number, multiple?: number): number {
  return multiple ? Math.floor(gpus / multiple) * multiple : gpus;
}
