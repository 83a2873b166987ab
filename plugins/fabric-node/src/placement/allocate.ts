import { Candidate, compareStrings } from './candidates';
import { QuotaBudget } from './quotaBudget';

/** Offerings whose score is within this many points of a tier's best share the load. */
export const CLOSE_SCORE_MARGIN = 10;

/** Balanced placements keep at least 30% of GPUs off spot, so one reclaim wave cannot take them all. */
export const BALANCED_MAX_SPOT_SHARE = 0.7;

export interface AllocationLimits {
  maxHourlyPrice?: number;
  /** Most GPUs that may be spot (balanced). */
  maxSpotGpus?: number;
}

/** Why an offering could not take one more node. */
export type Blocked = 'capacity' | 'spot-share' | 'price';

/**
 * A plan under construction: nodes per candidate, with the shared quota buckets drawn
 * down as nodes are added, so no bucket is ever planned past its headroom.
 */
export class Allocation {
  readonly nodes = new Map<Candidate, number>();
  gpus = 0;
  nodeCount = 0;
  computePerHour = 0;
  spotGpus = 0;

  constructor(private readonly budget: QuotaBudget, private readonly limits: AllocationLimits) {}

  /** Nodes the offering could still take, counting its own headroom and its quota bucket. */
  room(c: Candidate): number {
    const own = c.maxNodes - (this.nodes.get(c) ?? 0);
    const bucket = Math.floor(this.budget.vcpusLeftIn(c.bucketSlot) / c.info.vcpus);
    return Math.max(0, Math.min(own, bucket));
  }

  blocked(c: Candidate): Blocked | undefined {
    if (this.room(c) < 1) return 'capacity';
    const gpus = c.info.acceleratorCount;
    if (
      c.offering.capacityType === 'spot' &&
      this.limits.maxSpotGpus !== undefined &&
      this.spotGpus + gpus > this.limits.maxSpotGpus
    ) {
      return 'spot-share';
    }
    // A small epsilon keeps float sums from refusing a node that exactly meets the budget.
    if (this.limits.maxHourlyPrice !== undefined && this.computePerHour + c.offering.pricePerHour > this.limits.maxHourlyPrice + 1e-9) {
      return 'price';
    }
    return undefined;
  }

  add(c: Candidate): void {
    this.budget.takeFrom(c.bucketSlot, c.info.vcpus, c.bucket?.key);
    this.nodes.set(c, (this.nodes.get(c) ?? 0) + 1);
    this.gpus += c.info.acceleratorCount;
    this.nodeCount += 1;
    this.computePerHour += c.offering.pricePerHour;
    if (c.offering.capacityType === 'spot') this.spotGpus += c.info.acceleratorCount;
  }

  gpusIn(azId: string): number {
    let gpus = 0;
    for (const [c, n] of this.nodes) if (c.offering.azId === azId) gpus += n * c.info.acceleratorCount;
    return gpus;
  }

  azIds(): string[] {
    return [...new Set([...this.nodes.keys()].map(c => c.offering.azId))].sort(compareStrings);
  }
}

/**
 * Throughput and balanced: fill tier by tier (the spot policy's order). Within a tier,
 * AZ-IDs whose best offering is close to the tier's best score take turns, one node at a
 * time from their best offering that still has room, so no single AZ-ID gets everything
 * when others are nearly as good. AZ-IDs are physical: two accounts' offerings in one
 * AZ-ID draw from the same capacity pool, so the turn belongs to the AZ-ID, not the cell.
 * Whatever is still missing is then filled greedily in rank order: placing the request
 * beats a perfect spread.
 *
 * `closeMargin` widens or narrows "close" (balanced uses every offering of its region).
 * With `minAzIds`, the best offering of each of the top `minAzIds` AZ-IDs first takes one
 * node, so the spread does not depend on scores being close.
 */
export function spreadFill(
  candidates: Candidate[],
  needGpus: number,
  allocation: Allocation,
  options: { minAzIds?: number; closeMargin?: number } = {},
): void {
  const minAzIds = options.minAzIds ?? 1;
  const closeMargin = options.closeMargin ?? CLOSE_SCORE_MARGIN;
  if (minAzIds > 1) {
    const bestPerAz = new Map<string, Candidate>();
    for (const c of candidates) {
      if (!bestPerAz.has(c.offering.azId) && allocation.blocked(c) === undefined) bestPerAz.set(c.offering.azId, c);
    }
    for (const c of [...bestPerAz.values()].slice(0, minAzIds)) {
      if (allocation.gpus >= needGpus) break;
      if (allocation.blocked(c) === undefined) allocation.add(c);
    }
  }

  const tiers = [...new Set(candidates.map(c => c.tier))].sort((a, b) => a - b);
  for (const tier of tiers) {
    if (allocation.gpus >= needGpus) break;
    const inTier = candidates.filter(c => c.tier === tier);
    const best = inTier[0].score;
    const close = inTier.filter(c => c.score >= best - closeMargin);

    const groups = new Map<string, Candidate[]>();
    for (const c of close) {
      const members = groups.get(c.offering.azId);
      if (members) members.push(c);
      else groups.set(c.offering.azId, [c]);
    }
    let progress = true;
    while (progress && allocation.gpus < needGpus) {
      progress = false;
      // AZ-IDs that hold the least so far (from earlier tiers too) go first, so a
      // fallback tier fills the zones the previous tier left empty.
      const order = [...groups.values()]
        .map((members, rank) => ({ members, rank, held: allocation.gpusIn(members[0].offering.azId) }))
        .sort((a, b) => a.held - b.held || a.rank - b.rank);
      for (const { members } of order) {
        if (allocation.gpus >= needGpus) break;
        const next = members.find(c => allocation.blocked(c) === undefined);
        if (next) {
          allocation.add(next);
          progress = true;
        }
      }
    }

    for (const c of inTier) {
      while (allocation.gpus < needGpus && allocation.blocked(c) === undefined) allocation.add(c);
    }
  }
}

/**
 * Tightly-coupled: all nodes of one gang from the members of one island (one AZ-ID, one
 * instance type), in rank order (reserved first under reserved-first). Returns how many
 * nodes the island could hold, which may be fewer than wanted.
 */
export function gangFill(members: Candidate[], nodesWanted: number, allocation: Allocation): number {
  for (const c of members) {
    while (allocation.nodeCount < nodesWanted && allocation.blocked(c) === undefined) allocation.add(c);
  }
  return allocation.nodeCount;
}
