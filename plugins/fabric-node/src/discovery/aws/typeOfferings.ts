import { DescribeInstanceTypeOfferingsCommand } from '@aws-sdk/client-ec2';
import { CellApi } from './CellApi';
import { chunked, collectPages } from '../../aws/paginate';

/**
 * Which AZ-IDs of the cell offer each type: type → sorted AZ-IDs.
 *
 * Asked by `availability-zone-id`, never by name, so results compare across accounts.
 * The filter lists exact type names (from DescribeInstanceTypes) rather than wildcards:
 * AWS accepts either, but moto matches offering filters exactly, and exact names keep
 * real AWS and the test peer on one code path. AZ-IDs outside `azIds` (zones this
 * account does not list as regular AZs) are dropped.
 */
export async function discoverTypeOfferings(
  api: CellApi,
  instanceTypes: string[],
  azIds: Iterable<string>,
): Promise<Map<string, string[]>> {
  const known = new Set(azIds);
  const offered = new Map<string, Set<string>>();
  for (const slice of chunked(instanceTypes)) {
    const rows = await collectPages(
      NextToken =>
        api.ec2(
          new DescribeInstanceTypeOfferingsCommand({
            LocationType: 'availability-zone-id',
            Filters: [{ Name: 'instance-type', Values: slice }],
            MaxResults: 1000,
            NextToken,
          }),
        ),
      page => page.InstanceTypeOfferings,
    );
    for (const row of rows) {
      if (!row.InstanceType || !row.Location || !known.has(row.Location)) continue;
      const zones = offered.get(row.InstanceType) ?? new Set<string>();
      zones.add(row.Location);
      offered.set(row.InstanceType, zones);
    }
  }
  return new Map([...offered].map(([type, zones]) => [type, [...zones].sort()]));
}
