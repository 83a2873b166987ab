import { DescribeCapacityReservationsCommand } from '@aws-sdk/client-ec2';
import { CellApi } from './CellApi';
import { chunked, collectPages } from '../../aws/paginate';

/** An active reservation the cell's account can launch into. */
export interface DiscoveredReservation {
  reservationId: string;
  instanceType: string;
  azId: string;
  /** The account's own name for the zone, to show people. */
  azName?: string;
  /** `capacity-block` (Capacity Blocks for ML) or `odcr` (On-Demand Capacity Reservation). */
  kind: 'capacity-block' | 'odcr';
  availableInstances: number;
  totalInstances: number;
  /** The owning account; a reservation shared through RAM is owned by another. */
  ownerId?: string;
}

/**
 * Active On-Demand Capacity Reservations and Capacity Blocks for the given types, owned
 * by the account or shared with it. Only what the fabric's nodes can use: Linux/UNIX,
 * default tenancy. Blocks that have not started yet are `scheduled`, not `active`, and
 * are left out until they start. The AZ-ID is AWS's own `AvailabilityZoneId`, with this
 * account's name map as the fallback.
 */
export async function discoverCapacityReservations(
  api: CellApi,
  instanceTypes: string[],
  azMap: Record<string, string>,
): Promise<DiscoveredReservation[]> {
  const reservations: DiscoveredReservation[] = [];
  for (const slice of chunked(instanceTypes)) {
    const rows = await collectPages(
      NextToken =>
        api.ec2(
          new DescribeCapacityReservationsCommand({
            Filters: [
              { Name: 'state', Values: ['active'] },
              { Name: 'instance-type', Values: slice },
              { Name: 'instance-platform', Values: ['Linux/UNIX'] },
              { Name: 'tenancy', Values: ['default'] },
            ],
            MaxResults: 1000,
            NextToken,
          }),
        ),
      page => page.CapacityReservations,
    );
    for (const row of rows) {
      const azId = row.AvailabilityZoneId ?? (row.AvailabilityZone ? azMap[row.AvailabilityZone] : undefined);
      if (!row.CapacityReservationId || !row.InstanceType || !azId) continue;
      reservations.push({
        reservationId: row.CapacityReservationId,
        instanceType: row.InstanceType,
        azId,
        azName: row.AvailabilityZone,
        kind: row.ReservationType === 'capacity-block' ? 'capacity-block' : 'odcr',
        availableInstances: row.AvailableInstanceCount ?? 0,
        totalInstances: row.TotalInstanceCount ?? 0,
        ownerId: row.OwnerId,
      });
    }
  }
  return reservations.sort((a, b) => a.reservationId.localeCompare(b.reservationId));
}
