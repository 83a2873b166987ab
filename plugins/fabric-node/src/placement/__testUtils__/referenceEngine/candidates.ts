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
import { QuotaBucketRef, QuotaBudget, quotaBucketOf } from './quotaBudget';

/** Spot with a placement score below this is likely to be interrupted or not launch. */
export const LOW_PLACEMENT_SCORE = 3;

/** An offering that passed every filter, with what the allocators need to know. */
export interface Candidate {
  offering: Offering;
  info: InstanceTypeInfo;
  accountName: string;
  bucket?: QuotaBucketRef;
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
  rejected: RejectedOffering[];
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

/**
 * Filters the inventory down to offerings the request may use, records why every other
 * matching offering was left out, and scores the rest.
 */
export function buildCandidates(request: PlacementRequest, inventory: Inventory, options: CandidateOptions): CandidateSet {
  const types = new Map(inventory.instanceTypes.map(t => [t.instanceType, t]));
  const cells = new Map(inventory.cells.map(c => [`${c.accountId}|${c.region}`, c]));
  const matchingTypes = typesMatchingNeed(request, inventory);
  const matching = new Set(matchingTypes.map(t => t.instanceType));
  const budget = QuotaBudget.fromInventory(inventory, types);
  const notes: string[] = [];
  const rejected: RejectedOffering[] = [];
  const kept: Array<Omit<Candidate, 'breakdown' | 'score' | 'rank'>> = [];

  for (const cell of [...inventory.cells].sort(byCell)) {
    if (!cell.fresh) notes.push(`Skipped stale cell ${cellLabel(cell, cell.accountName)}: ${staleWhy(cell)}.`);
  }
  if (request.gpu.instanceTypes) {
    const unknown = request.gpu.instanceTypes.filter(t => !types.has(t));
    if (unknown.length) notes.push(`Not in the inventory: ${unknown.join(', ')}.`);
  }

  for (const offering of inventory.offerings) {
    const info = types.get(offering.instanceType);
    if (!info || !matching.has(offering.instanceType)) continue;
    const cell = cells.get(`${offering.accountId}|${offering.region}`);
    const accountName = cell?.accountName ?? offering.accountId;
    const bucket = quotaBucketOf(offering, info);
    const reason = whyNot(request, offering, info, cell, accountName, bucket, budget, options);
    if (reason) {
      rejected.push({ ...offeringKey(offering), reason });
      continue;
    }
    const maxNodes =
      offering.capacityType === 'reserved'
        ? Math.min(offering.reservedInstances ?? offering.quotaHeadroomInstances, offering.quotaHeadroomInstances)
        : Math.min(offering.quotaHeadroomInstances, Math.floor(budget.vcpusLeft(bucket) / info.vcpus));
    const { tier, label } = tierOf(request, offering);
    kept.push({
      offering,
      info,
      accountName,
      bucket,
      maxNodes,
      tier,
      tierLabel: label,
      networkPerMonthAllHere: networkPerMonthAt(offering, request.dataMovement, options.networkPath),
    });
  }

  const scored = score(request, kept);
  scored.sort(byPreference);
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
  budget: QuotaBudget,
  options: CandidateOptions,
): string | undefined {
  const where = cellLabel(offering, accountName);
  if (!cell) return `cell ${where} has no discovery status, so its offerings cannot be trusted`;
  if (!cell.fresh) return `stale cell ${where}: ${staleWhy(cell)}`;
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
  const bucketInstances = Math.floor(budget.vcpusLeft(bucket) / info.vcpus);
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
function tierOf(request: PlacementRequest, offering: Offering): { tier: number; label: string } {
  const lowSpot =
    offering.capacityType === 'spot' &&
    offering.placementScore !== undefined &&
    offering.placementScore < LOW_PLACEMENT_SCORE;
  switch (request.spotPolicy) {
    case 'spot-only':
      return lowSpot ? { tier: 1, label: 'spot (low placement score)' } : { tier: 0, label: 'spot' };
    case 'on-demand-only':
      return { tier: 0, label: 'on-demand' };
    case 'reserved-first':
      if (offering.capacityType === 'reserved') return { tier: 0, label: 'reserved' };
      if (offering.capacityType === 'on-demand') return { tier: 1, label: 'on-demand' };
      return lowSpot ? { tier: 3, label: 'spot (low placement score)' } : { tier: 2, label: 'spot' };
    case 'spot-first':
    default:
      if (offering.capacityType === 'on-demand') return { tier: 1, label: 'on-demand fallback' };
      return lowSpot ? { tier: 2, label: 'spot (low placement score)' } : { tier: 0, label: 'spot' };
  }
}

/**
 * Transparent score, each term in the breakdown:
 * price 0–50 (50 × cheapest effective $/GPU-h ÷ this one's, network included),
 * availability 0–20, quota 0–15, interruption risk −13.5–0.
 */
function score(request: PlacementRequest, kept: Array<Omit<Candidate, 'breakdown' | 'score' | 'rank'>>): Candidate[] {
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
    return { ...c, breakdown, score: breakdown.total, rank: 0 };
  });
}

/** Tier, then score, then every key field, so equal inputs always rank equally. */
export function byPreference(a: Candidate, b: Candidate): number {
  return a.tier - b.tier || b.score - a.score || byOfferingIdentity(a.offering, b.offering);
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

function byCell(a: CellStatus, b: CellStatus): number {
  return compareStrings(a.accountId, b.accountId) || compareStrings(a.region, b.region);
}

/** Code-point order: unlike localeCompare, the same on every machine and locale. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

export function round4(v: number): number {
  return Math.round(v * 10000) / 10000;
}
