import {
  CellStatus,
  InstanceTypeInfo,
  Inventory,
  Offering,
  OfferingKey,
  PlacementRequest,
  RejectedOffering,
  ScoreBreakdown,
} from '@internal/backstage-plugin-fabric-common';
import { InsufficientCapacityCache } from './InsufficientCapacityCache';
import { HOURS_PER_MONTH, NetworkPath, networkPerMonthAt } from './networkCost';
import { compareStrings, IndexedOffering, indexInventory } from './inventoryIndex';
import { QuotaBucketRef } from './quotaBudget';

export { compareStrings } from './inventoryIndex';

/** Spot with a placement score below this is likely to be interrupted or not launch. */
export const LOW_PLACEMENT_SCORE = 3;

/** An offering that passed every filter, with what the allocators need to know. */
export interface Candidate {
  offering: Offering;
  info: InstanceTypeInfo;
  accountName: string;
  bucket?: QuotaBucketRef;
  /** Where the bucket sits in the inventory's quota budget (QuotaBudget.slotOf). */
  bucketSlot: number;
  /** Order of offering identity in the inventory (see IndexedOffering). */
  identityRank: number;
  keyRank: number;
  /** Most nodes this offering alone allows (quota headroom or free reserved slots). */
  maxNodes: number;
  /** Order of preference the spot policy gives the capacity type; lower first. */
  tier: number;
  tierLabel: string;
  /** USD/month if all of the request's data moved between here and the data. */
  networkPerMonthAllHere: number;
  breakdown: ScoreBreakdown;
  score: number;
  /** Position in the full deterministic ranking; lower is better. */
  rank: number;
}

export interface CandidateSet {
  candidates: Candidate[];
  rejected: Rejection[];
  /** Instance types that meet the GPU need, before any other filter. */
  matchingTypes: InstanceTypeInfo[];
  notes: string[];
}

export interface CandidateOptions {
  iceCache?: InsufficientCapacityCache;
  now: Date;
  networkPath: NetworkPath;
}

export function offeringKey(o: OfferingKey): OfferingKey {
  return {
    accountId: o.accountId,
    region: o.region,
    azId: o.azId,
    instanceType: o.instanceType,
    capacityType: o.capacityType,
  };
}

/** Types that meet the request's GPU need (type list, family or GPU memory; GPUs per node). */
export function typesMatchingNeed(request: PlacementRequest, inventory: Inventory): InstanceTypeInfo[] {
  const { gpu } = request;
  return inventory.instanceTypes
    .filter(t => t.acceleratorCount > 0)
    .filter(t => {
      if (gpu.instanceTypes) return gpu.instanceTypes.includes(t.instanceType);
      if (gpu.family) return t.family === gpu.family;
      return t.acceleratorMemoryMiB / 1024 >= (gpu.minGpuMemoryGiB ?? 0);
    })
    .filter(t => gpu.gpusPerNode === undefined || t.acceleratorCount === gpu.gpusPerNode)
    .sort((a, b) => compareStrings(a.instanceType, b.instanceType));
}

export function describeNeed(request: PlacementRequest): string {
  const { gpu } = request;
  let what = `GPUs with at least ${gpu.minGpuMemoryGiB} GiB each`;
  if (gpu.instanceTypes) what = gpu.instanceTypes.join(', ');
  else if (gpu.family) what = `the ${gpu.family} family`;
  const perNode = gpu.gpusPerNode ? `, ${gpu.gpusPerNode} per node` : '';
  return `${gpu.totalGpus} GPUs of ${what}${perNode}`;
}

export function cellLabel(cell: { accountId: string; region: string }, accountName?: string): string {
  return `${accountName ?? cell.accountId} (${cell.accountId}) ${cell.region}`;
}

/** What a candidate carries until score() has seen every candidate (price is relative to the cheapest). */
const UNSCORED: ScoreBreakdown = {
  pricePerGpuHour: 0,
  networkPerGpuHour: 0,
  price: 0,
  availability: 0,
  quota: 0,
  interruptionRisk: 0,
  total: 0,
};

/**
 * Filters the inventory down to offerings the request may use, records why every other
 * matching offering was left out, and scores the rest.
 */
export function buildCandidates(request: PlacementRequest, inventory: Inventory, options: CandidateOptions): CandidateSet {
  const index = indexInventory(inventory);
  const matchingTypes = typesMatchingNeed(request, inventory);
  const budget = index.baseBudget;
  const notes: string[] = [];
  const rejected: Rejection[] = [];
  const kept: Candidate[] = [];

  for (const cell of index.sortedCells) {
    if (!cell.fresh) notes.push(`Skipped stale cell ${cellLabel(cell, cell.accountName)}: ${staleWhy(cell)}.`);
  }
  if (request.gpu.instanceTypes) {
    const unknown = request.gpu.instanceTypes.filter(t => !index.types.has(t));
    if (unknown.length) notes.push(`Not in the inventory: ${unknown.join(', ')}.`);
  }

  // Offerings of the matching types only. The order they are visited in does not show:
  // candidates and rejections are both sorted by total orders before anyone reads them.
  const matchingNames = [...new Set(matchingTypes.map(t => t.instanceType))];
  const offerings = matchingNames.flatMap(name => index.offeringsByType.get(name) ?? []);
  for (const entry of offerings) {
    const { offering, cell, accountName, bucket, bucketSlot } = entry;
    const info = entry.info!;
    const reason = whyNot(request, offering, info, cell, accountName, bucket, budget.vcpusLeftIn(bucketSlot), options);
    if (reason) {
      rejected.push(rejectedEntry(entry, reason));
      continue;
    }
    const maxNodes =
      offering.capacityType === 'reserved'
        ? Math.min(offering.reservedInstances ?? offering.quotaHeadroomInstances, offering.quotaHeadroomInstances)
        : Math.min(offering.quotaHeadroomInstances, Math.floor(budget.vcpusLeftIn(bucketSlot) / info.vcpus));
    const { tier, label } = tierOf(request, offering);
    kept.push({
      offering,
      info,
      accountName,
      bucket,
      bucketSlot,
      identityRank: entry.identityRank,
      keyRank: entry.keyRank,
      maxNodes,
      tier,
      tierLabel: label,
      networkPerMonthAllHere: networkPerMonthAt(offering, request.dataMovement, options.networkPath),
      // Filled in by score() once every candidate is known (price is relative to the cheapest).
      breakdown: UNSCORED,
      score: 0,
      rank: 0,
    });
  }

  const scored = sortByPreference(score(request, kept), index.offerings.length);
  scored.forEach((c, i) => {
    c.rank = i;
  });
  return { candidates: scored, rejected, matchingTypes, notes };
}

function whyNot(
  request: PlacementRequest,
  offering: Offering,
  info: InstanceTypeInfo,
  cell: CellStatus | undefined,
  accountName: string,
  bucket: QuotaBucketRef | undefined,
  bucketVcpusLeft: number,
  options: CandidateOptions,
): string | undefined {
  if (!cell) return `cell ${cellLabel(offering, accountName)} has no discovery status, so its offerings cannot be trusted`;
  if (!cell.fresh) return `stale cell ${cellLabel(offering, accountName)}: ${staleWhy(cell)}`;
  if (request.deniedRegions?.includes(offering.region)) return 'denied region';
  if (request.allowedRegions && !request.allowedRegions.includes(offering.region)) return 'region not in allowedRegions';
  if (request.deniedAccounts?.includes(offering.accountId)) return 'denied account';
  if (request.allowedAccounts && !request.allowedAccounts.includes(offering.accountId)) {
    return 'account not in allowedAccounts';
  }
  if (request.intent === 'balanced' && request.preferredRegion && offering.region !== request.preferredRegion) {
    return `balanced keeps to one region, and preferredRegion is ${request.preferredRegion}`;
  }
  const gang = request.intent === 'tightly-coupled';
  if (gang && !info.efaSupported) return 'not EFA-capable: tightly-coupled needs EFA';
  const policy = request.spotPolicy;
  if (offering.capacityType === 'reserved' && policy !== 'reserved-first') {
    return `reserved capacity is used only under spotPolicy reserved-first (this request is ${policy})`;
  }
  if (offering.capacityType === 'spot' && policy === 'on-demand-only') return 'spot excluded by spotPolicy on-demand-only';
  if (offering.capacityType === 'on-demand' && policy === 'spot-only') return 'on-demand excluded by spotPolicy spot-only';
  if (offering.capacityType === 'spot' && gang && !request.allowSpotForTightlyCoupled) {
    return 'spot not allowed for a tightly-coupled gang (allowSpotForTightlyCoupled is false): one interruption stops every member';
  }
  if (!Number.isFinite(offering.pricePerHour) || offering.pricePerHour < 0) return 'no usable price';
  const ice = options.iceCache?.lookup(offering, options.now);
  if (ice) {
    return `insufficient capacity cached until ${ice.expiresAt.toISOString()} (${offering.instanceType} ${offering.capacityType} in ${offering.azId})`;
  }
  if (offering.capacityType === 'reserved') {
    const free = Math.min(offering.reservedInstances ?? offering.quotaHeadroomInstances, offering.quotaHeadroomInstances);
    if (free <= 0) return `reservation ${offering.reservationId ?? '(unknown id)'} has no free instances`;
    return undefined;
  }
  const bucketInstances = Math.floor(bucketVcpusLeft / info.vcpus);
  if (offering.quotaHeadroomInstances <= 0 || bucketInstances <= 0) {
    return `quota headroom 0 for ${bucket?.name ?? 'its vCPU quota'} in ${accountName} ${offering.region}`;
  }
  return undefined;
}

function staleWhy(cell: CellStatus): string {
  const when = cell.discoveredAt ? `last discovered ${cell.discoveredAt}` : 'never discovered';
  return `${cell.error ?? 'discovery did not complete'} (${when})`;
}

/**
 * The spot policy as an order of capacity types. Spot with a low placement score is
 * tried after on-demand under spot-first: it is cheap but likely to fail or be taken back.
 */
const TIERS = {
  spot: { tier: 0, label: 'spot' },
  spotLow1: { tier: 1, label: 'spot (low placement score)' },
  spotLow2: { tier: 2, label: 'spot (low placement score)' },
  spotLow3: { tier: 3, label: 'spot (low placement score)' },
  spot2: { tier: 2, label: 'spot' },
  onDemand0: { tier: 0, label: 'on-demand' },
  onDemand1: { tier: 1, label: 'on-demand' },
  onDemandFallback: { tier: 1, label: 'on-demand fallback' },
  reserved: { tier: 0, label: 'reserved' },
} as const;

function tierOf(request: PlacementRequest, offering: Offering): { tier: number; label: string } {
  const lowSpot =
    offering.capacityType === 'spot' &&
    offering.placementScore !== undefined &&
    offering.placementScore < LOW_PLACEMENT_SCORE;
  // Shared constants: this runs for every offering of every request.
  switch (request.spotPolicy) {
    case 'spot-only':
      return lowSpot ? TIERS.spotLow1 : TIERS.spot;
    case 'on-demand-only':
      return TIERS.onDemand0;
    case 'reserved-first':
      if (offering.capacityType === 'reserved') return TIERS.reserved;
      if (offering.capacityType === 'on-demand') return TIERS.onDemand1;
      return lowSpot ? TIERS.spotLow3 : TIERS.spot2;
    case 'spot-first':
    default:
      if (offering.capacityType === 'on-demand') return TIERS.onDemandFallback;
      return lowSpot ? TIERS.spotLow2 : TIERS.spot;
  }
}

/**
 * Transparent score, each term in the breakdown:
 * price 0–50 (50 × cheapest effective $/GPU-h ÷ this one's, network included),
 * availability 0–20, quota 0–15, interruption risk −13.5–0.
 */
function score(request: PlacementRequest, kept: Candidate[]): Candidate[] {
  const totalGpus = request.gpu.totalGpus;
  const effective = kept.map(c => {
    const pricePerGpuHour = c.offering.pricePerHour / c.info.acceleratorCount;
    const networkPerGpuHour = c.networkPerMonthAllHere / (HOURS_PER_MONTH * totalGpus);
    return { pricePerGpuHour, networkPerGpuHour, effective: pricePerGpuHour + networkPerGpuHour };
  });
  const positive = effective.map(e => e.effective).filter(e => e > 0);
  const cheapest = positive.length ? Math.min(...positive) : 0;

  return kept.map((c, i) => {
    const e = effective[i];
    const price = e.effective <= 0 ? 50 : 50 * Math.min(1, cheapest / e.effective);
    const o = c.offering;
    let availability = 16;
    let interruptionRisk = 0;
    if (o.capacityType === 'reserved') availability = 20;
    if (o.capacityType === 'spot') {
      const s = o.placementScore ?? 5;
      availability = 2 * s;
      interruptionRisk = (s - 10) * 1.5;
    }
    const quota = 15 * Math.min(1, (c.maxNodes * c.info.acceleratorCount) / totalGpus);
    const breakdown: ScoreBreakdown = {
      pricePerGpuHour: round4(e.pricePerGpuHour),
      networkPerGpuHour: round4(e.networkPerGpuHour),
      price: round2(price),
      availability: round2(availability),
      quota: round2(quota),
      interruptionRisk: round2(interruptionRisk),
      total: 0,
    };
    breakdown.total = round2(breakdown.price + breakdown.availability + breakdown.quota + breakdown.interruptionRisk);
    c.breakdown = breakdown;
    c.score = breakdown.total;
    return c;
  });
}

// Bits of the packed sort key (see sortByPreference): identity rank, then score, then tier.
const IDENTITY_BITS = 2 ** 21;
const SCORE_BITS = 2 ** 18;
/** Scores are sums of terms in −13.5…85 with two decimals: in hundredths, offset to stay positive. */
const SCORE_OFFSET = 2 ** 17;

/**
 * The candidates in byPreference order. Each candidate's tier, score (in hundredths: the
 * score is rounded to two decimals, so equal scores give equal integers) and identity rank
 * are packed into one exact integer below 2^53 and the keys sorted as numbers, which is
 * several times faster than a comparator over thousands of candidates per decision.
 */
function sortByPreference(candidates: Candidate[], offeringCount: number): Candidate[] {
  const byIdentity: Candidate[] = new Array(offeringCount);
  const keys = new Float64Array(candidates.length);
  let packable = offeringCount <= IDENTITY_BITS;
  candidates.forEach((c, i) => {
    const hundredths = SCORE_OFFSET - Math.round(c.score * 100);
    if (!Number.isInteger(c.tier) || c.tier < 0 || c.tier > 15 || hundredths < 0 || hundredths >= SCORE_BITS) packable = false;
    keys[i] = (c.tier * SCORE_BITS + hundredths) * IDENTITY_BITS + c.identityRank;
    byIdentity[c.identityRank] = c;
  });
  if (!packable) return candidates.sort(byPreference);
  keys.sort();
  return Array.from(keys, key => byIdentity[key % IDENTITY_BITS]);
}

/** Tier, then score, then every key field, so equal inputs always rank equally. */
export function byPreference(a: Candidate, b: Candidate): number {
  return a.tier - b.tier || b.score - a.score || a.identityRank - b.identityRank;
}

export function byOfferingIdentity(a: Offering, b: Offering): number {
  return (
    compareStrings(a.region, b.region) ||
    compareStrings(a.azId, b.azId) ||
    compareStrings(a.accountId, b.accountId) ||
    compareStrings(a.instanceType, b.instanceType) ||
    compareStrings(a.capacityType, b.capacityType) ||
    compareStrings(a.reservationId ?? '', b.reservationId ?? '')
  );
}

/**
 * An offering left out and why, as the planners collect them. It becomes a
 * RejectedOffering only when the placement is answered, after sorting by the offering's
 * precomputed key rank: thousands are rejected per decision, and comparing their key
 * strings was a large share of a decision's cost.
 */
export interface Rejection {
  source: Pick<IndexedOffering, 'offering' | 'keyRank'>;
  reason: string;
}

export function rejectedEntry(source: Pick<IndexedOffering, 'offering' | 'keyRank'>, reason: string): Rejection {
  return { source, reason };
}

/** Rejected offerings by region, AZ-ID, account, type, capacity type, then reason. */
export function sortRejected(rejections: Rejection[]): RejectedOffering[] {
  // Counting sort on the key rank (a small integer); only entries of one key, rare, need
  // their reasons compared.
  let maxRank = -1;
  for (const r of rejections) if (r.source.keyRank > maxRank) maxRank = r.source.keyRank;
  const byRank: Array<Rejection | Rejection[] | undefined> = new Array(maxRank + 1);
  for (const r of rejections) {
    const held = byRank[r.source.keyRank];
    if (held === undefined) byRank[r.source.keyRank] = r;
    else if (Array.isArray(held)) held.push(r);
    else byRank[r.source.keyRank] = [held, r];
  }
  const sorted: RejectedOffering[] = [];
  // Built field by field: this runs for thousands of offerings per placement.
  const emit = (r: Rejection) => {
    const o = r.source.offering;
    sorted.push({
      accountId: o.accountId,
      region: o.region,
      azId: o.azId,
      instanceType: o.instanceType,
      capacityType: o.capacityType,
      reason: r.reason,
    });
  };
  for (const held of byRank) {
    if (held === undefined) continue;
    if (Array.isArray(held)) held.sort((a, b) => compareStrings(a.reason, b.reason)).forEach(emit);
    else emit(held);
  }
  return sorted;
}

export function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

export function round4(v: number): number {
  return Math.round(v * 10000) / 10000;
}
