import { PlacementRequest } from '@internal/backstage-plugin-fabric-common';
import { Allocation, AllocationLimits, BALANCED_MAX_SPOT_SHARE, spreadFill } from './allocate';
import { compareStrings, rejectedEntry, round2 } from './candidates';
import { HOURS_PER_MONTH } from './networkCost';
import { cannotPlace, IntentInput, networkPerMonth, Outcome, placed, roundDownTo } from './outcome';

/** Throughput: spot first, spread over the best AZ-IDs and cells. */
export function planThroughput({ request, candidates, rejected, budget, reasons }: IntentInput): Outcome {
  const allocation = new Allocation(budget, { maxHourlyPrice: request.maxHourlyPrice });
  spreadFill(candidates, request.gpu.totalGpus, allocation, { minAzIds: request.minAzIds });
  const shortfall = checkSpread(request, allocation);
  if (shortfall) return cannotPlace(rejected, [...reasons, shortfall.reason], shortfall.largestFeasibleGpus);
  return placed(request, allocation, candidates, rejected, reasons);
}

/** Balanced: one region, spread over its AZ-IDs, at most 70% spot. */
export function planBalanced({ request, candidates, rejected, budget, reasons }: IntentInput): Outcome {
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
  const regionReasons = new Map<string, string>();
  const otherRegions = candidates
    .filter(c => c.offering.region !== chosen.region)
    .map(c => {
      // One reason per region, shared by its offerings.
      let reason = regionReasons.get(c.offering.region);
      if (reason === undefined) {
        const t = tries.find(x => x.region === c.offering.region)!;
        reason = t.shortfall
          ? `balanced keeps to one region; ${c.offering.region} cannot hold the request now`
          : `balanced keeps to one region; ${chosen.region} ($${round2(chosen.hourly)}/h) beat ${c.offering.region} ($${round2(t.hourly)}/h)`;
        regionReasons.set(c.offering.region, reason);
      }
      return rejectedEntry(c, reason);
    });
  const inRegion = candidates.filter(c => c.offering.region === chosen.region);
  return placed(request, chosen.allocation, inRegion, [...rejected, ...otherRegions], reasons);
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
