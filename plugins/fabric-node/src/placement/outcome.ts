import {
  ChosenOffering,
  Placement,
  PlacementRequest,
} from '@internal/backstage-plugin-fabric-common';
import { Allocation } from './allocate';
import { Candidate, cellLabel, rejectedEntry, Rejection, round2, sortRejected } from './candidates';
import { roundCents } from './networkCost';
import { QuotaBudget } from './quotaBudget';

/** What the solver decides: a placement without the request it answers. */
export type Outcome = Omit<Placement, 'request' | 'intent' | 'inventoryTakenAt'>;

/** What each intent's planner works from, after the guardrails and the filters. */
export interface IntentInput {
  request: PlacementRequest;
  /** Offerings that pass every filter, scored. */
  candidates: Candidate[];
  /** Offerings left out so far, each with its reason. */
  rejected: Rejection[];
  /** The quota left in each bucket, shared by all offerings that draw from it. */
  budget: QuotaBudget;
  /** The placement's reasons so far; the planner adds its own. */
  reasons: string[];
}

export function placed(
  request: PlacementRequest,
  allocation: Allocation,
  considered: Candidate[],
  rejected: Rejection[],
  reasons: string[],
): Outcome {
  const chosen: ChosenOffering[] = [...allocation.nodes.entries()]
    .sort(([a], [b]) => a.identityRank - b.identityRank)
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
  const whyUnused = unusedReasons(request, allocation, lowestChosen);
  const unused = considered.filter(c => !allocation.nodes.has(c)).map(c => rejectedEntry(c, whyUnused(c)));

  for (const [c, nodes] of [...allocation.nodes.entries()].sort(([a], [b]) => a.identityRank - b.identityRank)) {
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

/**
 * Why each offering a placement did not use was left out. Thousands of them share a
 * handful of reasons (the same quota bucket, the same score and tier), so each distinct
 * reason is built once per placement and shared: less work, and a placement's rejected
 * list does not hold thousands of copies of one string.
 */
function unusedReasons(request: PlacementRequest, allocation: Allocation, lowestChosen: number): (c: Candidate) => string {
  const quotaUsedUp = new Map<number, string>();
  const notNeeded = new Map<string, Map<number, string>>();
  const priceCap = `one more node would exceed maxHourlyPrice $${request.maxHourlyPrice}/h`;
  return c => {
    switch (allocation.blocked(c)) {
      case 'capacity': {
        const build = () =>
          `quota ${c.bucket?.name ?? 'headroom'} in ${c.accountName} ${c.offering.region} is used up by this placement's other offerings`;
        // A bucket belongs to one account and region; offerings without one are built each time.
        if (c.bucketSlot < 0) return build();
        let reason = quotaUsedUp.get(c.bucketSlot);
        if (reason === undefined) {
          reason = build();
          quotaUsedUp.set(c.bucketSlot, reason);
        }
        return reason;
      }
      case 'spot-share':
        return 'balanced keeps spot at or below 70% of the GPUs';
      case 'price':
        return priceCap;
      default: {
        let byScore = notNeeded.get(c.tierLabel);
        if (!byScore) {
          byScore = new Map();
          notNeeded.set(c.tierLabel, byScore);
        }
        let reason = byScore.get(c.score);
        if (reason === undefined) {
          reason = `not needed: the request was filled by better-ranked offerings (score ${c.score}, ${c.tierLabel}; lowest chosen ${lowestChosen})`;
          byScore.set(c.score, reason);
        }
        return reason;
      }
    }
  };
}

/** The request's data movement split over the chosen offerings by their share of GPUs. */
export function networkPerMonth(allocation: Allocation): number {
  if (allocation.gpus === 0) return 0;
  let total = 0;
  for (const [c, nodes] of allocation.nodes) {
    total += ((nodes * c.info.acceleratorCount) / allocation.gpus) * c.networkPerMonthAllHere;
  }
  return roundCents(total);
}

export function cannotPlace(rejected: Rejection[], reasons: string[], largestFeasibleGpus: number): Outcome {
  return { ...empty('cannot-place-now', rejected, reasons), largestFeasibleGpus };
}

export function empty(status: Placement['status'], rejected: Rejection[], reasons: string[]): Outcome {
  return {
    status,
    chosen: [],
    rejected: sortRejected(rejected),
    reasons,
    cost: { computePerHour: 0, networkPerMonth: 0, spotShare: 0 },
    totals: { nodes: 0, gpus: 0 },
  };
}

export function roundDownTo(gpus: number, multiple?: number): number {
  return multiple ? Math.floor(gpus / multiple) * multiple : gpus;
}
