import { CapacityType, CellRef, InstanceTypeInfo, Offering } from '@internal/backstage-plugin-fabric-common';
import { quotaClassOf } from '../quotaClasses';
import { azNamesById } from './availabilityZones';
import { DiscoveredReservation } from './capacityReservations';
import { typeAzKey } from './offeringKey';
import { OnDemandPriceLookup } from './onDemandPrices';
import { VcpuQuota } from './vcpuQuotas';

/** Everything discovered in one cell, before it becomes offerings. */
export interface CellFacts {
  cell: CellRef;
  azMap: Record<string, string>;
  types: InstanceTypeInfo[];
  /** type → AZ-IDs offering it. */
  offeredIn: Map<string, string[]>;
  /** `typeAzKey` → current spot price. */
  spotPrices: Map<string, number>;
  /** `typeAzKey` → spot placement score. */
  placementScores: Map<string, number>;
  reservations: DiscoveredReservation[];
  quotas: Map<string, VcpuQuota>;
  /** quota code → vCPUs in use. */
  vcpusInUse: Map<string, number>;
  onDemandPrice: OnDemandPriceLookup;
}

/**
 * Offerings of one cell, keyed by (AZ-ID, type, capacity type), plus the warnings that
 * explain what is missing:
 * - spot: where AWS has a current spot price for the type in that AZ-ID (no price means
 *   AWS does not sell it as spot there);
 * - on-demand: where the type is offered and its price is known (see onDemandPrices.ts);
 * - reserved: one per active reservation, whatever the price table knows. Its headroom is
 *   the reservation's free slots, since launching into it needs no further quota.
 * Headroom is what the vCPU quota still allows, in whole instances of the type.
 */
export function cellOfferings(facts: CellFacts): { offerings: Offering[]; warnings: string[] } {
  const { cell, types, offeredIn, spotPrices, placementScores, reservations, onDemandPrice } = facts;
  const names = azNamesById(facts.azMap);
  const offerings: Offering[] = [];
  const unpriced: string[] = [];
  const unquoted = new Set<string>();

  const headroom = (type: InstanceTypeInfo, capacityType: CapacityType): number => {
    const quotaClass = quotaClassOf(type.family, capacityType);
    const quota = quotaClass && facts.quotas.get(quotaClass.code);
    if (!quota) {
      unquoted.add(type.family);
      return 0;
    }
    const free = quota.vcpus - (facts.vcpusInUse.get(quota.code) ?? 0);
    return type.vcpus > 0 ? Math.max(0, Math.floor(free / type.vcpus)) : 0;
  };

  for (const type of types) {
    const listPrice = onDemandPrice(type.instanceType, cell.region);
    const zones = offeredIn.get(type.instanceType) ?? [];
    if (zones.length > 0 && listPrice === undefined) unpriced.push(type.instanceType);
    for (const azId of zones) {
      const base = {
        accountId: cell.accountId,
        region: cell.region,
        azId,
        azName: names[azId] ?? azId,
        instanceType: type.instanceType,
      };
      const key = typeAzKey(type.instanceType, azId);
      const spotPrice = spotPrices.get(key);
      if (spotPrice !== undefined) {
        offerings.push({
          ...base,
          capacityType: 'spot',
          pricePerHour: spotPrice,
          priceSource: 'spot-price-history',
          placementScore: placementScores.get(key),
          quotaHeadroomInstances: headroom(type, 'spot'),
        });
      }
      if (listPrice !== undefined) {
        offerings.push({
          ...base,
          capacityType: 'on-demand',
          pricePerHour: listPrice,
          priceSource: 'built-in-table',
          quotaHeadroomInstances: headroom(type, 'on-demand'),
        });
      }
    }
  }

  for (const reservation of reservations) {
    const listPrice = onDemandPrice(reservation.instanceType, cell.region);
    offerings.push({
      accountId: cell.accountId,
      region: cell.region,
      azId: reservation.azId,
      azName: reservation.azName ?? names[reservation.azId] ?? reservation.azId,
      instanceType: reservation.instanceType,
      capacityType: 'reserved',
      // An ODCR bills at the on-demand rate whether used or not, and a Capacity Block is
      // paid up front; either way the marginal cost of using it is 0, so 0 for an
      // unknown price never makes a reservation look worse than the alternatives.
      pricePerHour: listPrice ?? 0,
      priceSource: listPrice === undefined ? 'unknown' : 'built-in-table',
      quotaHeadroomInstances: reservation.availableInstances,
      reservationId: reservation.reservationId,
      reservedInstances: reservation.availableInstances,
    });
  }

  const warnings = [...facts.quotas.values()].flatMap(quota => (quota.note ? [quota.note] : []));
  if (unpriced.length > 0) {
    warnings.push(
      `No on-demand price known for ${unpriced.join(', ')}; their on-demand offerings are left out (spot and reserved are kept)`,
    );
  }
  if (unquoted.size > 0) {
    warnings.push(`No vCPU quota class known for family ${[...unquoted].sort().join(', ')}; headroom shown as 0`);
  }
  return { offerings: offerings.sort(byOfferingKey), warnings };
}

const capacityOrder: Record<CapacityType, number> = { spot: 0, 'on-demand': 1, reserved: 2 };

function byOfferingKey(a: Offering, b: Offering): number {
  return (
    a.instanceType.localeCompare(b.instanceType) ||
    a.azId.localeCompare(b.azId) ||
    capacityOrder[a.capacityType] - capacityOrder[b.capacityType] ||
    (a.reservationId ?? '').localeCompare(b.reservationId ?? '')
  );
}
