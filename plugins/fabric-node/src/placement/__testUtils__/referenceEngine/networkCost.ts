import { PlacementRequest } from '@internal/backstage-plugin-fabric-common';

/** How traffic between cells travels: the peering mesh (default) or a Transit Gateway. */
export type NetworkPath = 'peering' | 'transit-gateway';

/**
 * USD per GB, from docs/aws-facts.md §4 (re-check before money decisions).
 *
 * - Same AZ-ID: free, across accounts too (AZ-IDs are physical; RAM sharing and peering
 *   within one AZ-ID are not charged).
 * - Cross-AZ in one region: $0.01/GB on each side of the boundary, so every GB moved
 *   costs $0.02 whichever way it goes.
 * - Inter-region: about $0.02/GB, charged once by the sending region (inbound is free).
 * - Transit Gateway adds $0.02/GB processed whenever traffic leaves the AZ-ID through it
 *   (attachment-hours are a fixed cost of the network, not of one workload).
 */
export const NETWORK_PRICES = {
  sameAzIdPerGb: 0,
  crossAzPerGbEachWay: 0.01,
  interRegionPerGb: 0.02,
  transitGatewayProcessingPerGb: 0.02,
} as const;

/** Monthly figures use 30 days of the request's GB/day and 730 hours. */
export const DAYS_PER_MONTH = 30;
export const HOURS_PER_MONTH = 730;

/** Where the compute would run. */
export interface ComputeLocation {
  region: string;
  azId: string;
}

/** USD per GB between compute and where the data lives. */
export function pricePerGb(from: ComputeLocation, to: { region: string; azId?: string }, path: NetworkPath): number {
  const tgw = path === 'transit-gateway' ? NETWORK_PRICES.transitGatewayProcessingPerGb : 0;
  if (from.region !== to.region) return NETWORK_PRICES.interRegionPerGb + tgw;
  // Data named only by region is a regional service (S3, DynamoDB): no AZ boundary crossed.
  if (to.azId === undefined || to.azId === from.azId) return NETWORK_PRICES.sameAzIdPerGb;
  return 2 * NETWORK_PRICES.crossAzPerGbEachWay + tgw;
}

/** USD per month if all of the request's data moved to and from this location. */
export function networkPerMonthAt(
  location: ComputeLocation,
  dataMovement: PlacementRequest['dataMovement'],
  path: NetworkPath,
): number {
  let total = 0;
  for (const d of dataMovement ?? []) {
    total += d.gbPerDay * DAYS_PER_MONTH * pricePerGb(location, d, path);
  }
  return roundCents(total);
}

export function roundCents(value: number): number {
  return Math.round(value * 100) / 100;
}
