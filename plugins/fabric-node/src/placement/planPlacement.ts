import { FabricIntent, Inventory, Placement, PlacementRequest } from '@internal/backstage-plugin-fabric-common';
import { buildCandidates, describeNeed } from './candidates';
import { checkGuardrails } from './guardrails';
import { InsufficientCapacityCache } from './InsufficientCapacityCache';
import { NetworkPath } from './networkCost';
import { empty, Outcome } from './outcome';
import { planGang } from './planGang';
import { planBalanced, planThroughput } from './planSpread';
import { indexInventory } from './inventoryIndex';

export interface PlanPlacementOptions {
  /** Recent InsufficientInstanceCapacity answers; matching offerings are skipped until they expire. */
  iceCache?: InsufficientCapacityCache;
  /** The clock the ICE cache is read with. Default: now. */
  now?: Date;
  /** How cross-cell traffic travels, for network cost. Default: the peering mesh. */
  networkPath?: NetworkPath;
}

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
    return {
      ...empty('refused', [], [...reasons, verdict.refusal]),
      refusal: verdict.refusal,
      ...(verdict.rule ? { refusalRule: verdict.rule } : {}),
    };
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

  // The snapshot's quota, cloned: the planners draw it down while they try allocations.
  const budget = indexInventory(inventory).baseBudget.clone();
  const input = { request, candidates: set.candidates, rejected: set.rejected, budget, reasons };
  switch (request.intent) {
    case 'tightly-coupled':
      return planGang(input);
    case 'balanced':
      return planBalanced(input);
    case 'throughput':
    default:
      return planThroughput(input);
  }
}
