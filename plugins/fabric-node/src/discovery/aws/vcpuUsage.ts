import { DescribeInstancesCommand, Instance } from '@aws-sdk/client-ec2';
import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';
import { quotaClassOf } from '../quotaClasses';
import { DiscoveredReservation } from './capacityReservations';
import { CellApi } from './CellApi';
import { chunked, collectPages } from '../../aws/paginate';

/**
 * vCPUs currently counted against each quota code of the cell.
 *
 * Running and pending instances of the given types, from a DescribeInstances that is
 * both filtered and paginated: unfiltered, unpaginated DescribeInstances draws from
 * EC2's small 50-token bucket, filtered or paginated from the 100-token one (docs/aws-facts.md §9).
 * A spot instance counts against the spot quota, a Capacity Block instance against none,
 * everything else against the on-demand quota. Unused slots of the account's own ODCRs
 * also count against on-demand: the quota is consumed by the reservation, not by its use
 * (Capacity Blocks don't count, shared-in reservations count against their owner).
 * vCPUs are the type's default count, which is what the quota measures.
 */
export async function discoverVcpuUsage(
  api: CellApi,
  types: InstanceTypeInfo[],
  reservations: DiscoveredReservation[],
): Promise<Map<string, number>> {
  const byType = new Map(types.map(t => [t.instanceType, t]));
  const used = new Map<string, number>();
  const add = (instanceType: string, capacityType: 'spot' | 'on-demand', instances: number) => {
    const info = byType.get(instanceType);
    const quota = info && quotaClassOf(info.family, capacityType);
    if (!info || !quota || instances <= 0) return;
    used.set(quota.code, (used.get(quota.code) ?? 0) + info.vcpus * instances);
  };

  for (const slice of chunked([...byType.keys()])) {
    const reservationsPages = await collectPages(
      NextToken =>
        api.ec2(
          new DescribeInstancesCommand({
            Filters: [
              { Name: 'instance-state-name', Values: ['pending', 'running'] },
              { Name: 'instance-type', Values: slice },
            ],
            MaxResults: 1000,
            NextToken,
          }),
        ),
      page => page.Reservations,
    );
    for (const instance of reservationsPages.flatMap(r => r.Instances ?? [])) {
      const capacityType = quotaCapacityTypeOf(instance);
      if (instance.InstanceType && capacityType) add(instance.InstanceType, capacityType, 1);
    }
  }

  for (const reservation of reservations) {
    if (reservation.kind !== 'odcr') continue;
    if (reservation.ownerId && reservation.ownerId !== api.cell.accountId) continue;
    add(reservation.instanceType, 'on-demand', reservation.availableInstances);
  }
  return used;
}

function quotaCapacityTypeOf(instance: Instance): 'spot' | 'on-demand' | undefined {
  switch (instance.InstanceLifecycle) {
    case 'spot':
      return 'spot';
    case 'capacity-block':
      return undefined;
    default:
      return 'on-demand';
  }
}
