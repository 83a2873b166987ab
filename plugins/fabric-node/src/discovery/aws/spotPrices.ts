import { _InstanceType, DescribeSpotPriceHistoryCommand } from '@aws-sdk/client-ec2';
import { CellApi } from './CellApi';
import { typeAzKey } from './offeringKey';
import { chunked, collectPages } from '../../aws/paginate';

/**
 * The product the fabric launches: Linux in a VPC. Without this filter AWS returns one
 * row per OS (Windows, SUSE, RHEL…) and the cheapest would not be the one that runs.
 * moto returns nothing when this filter is sent (its prices are fixed fakes anyway), so
 * spot-price tests use aws-sdk-client-mock (shared/reference/moto.md).
 */
export const SPOT_PRODUCT_DESCRIPTION = 'Linux/UNIX';

/**
 * The current spot price per (type, AZ-ID), USD per instance-hour.
 *
 * `StartTime` = `EndTime` = now asks for the price in effect now: AWS then returns, per
 * type and AZ, the last price change at or before that instant instead of up to 90 days
 * of history. Should more than one row come back, the newest wins. Rows name the zone
 * (the account's own name); the AZ-ID comes from the row when AWS includes it, else from
 * this account's map, never from another account's.
 */
export async function discoverSpotPrices(
  api: CellApi,
  instanceTypes: string[],
  azMap: Record<string, string>,
  now: Date,
): Promise<Map<string, number>> {
  const latest = new Map<string, { price: number; at: number }>();
  for (const slice of chunked(instanceTypes)) {
    const rows = await collectPages(
      NextToken =>
        api.ec2(
          new DescribeSpotPriceHistoryCommand({
            // Names come from DescribeInstanceTypes; the SDK's union lags new types.
            InstanceTypes: slice as _InstanceType[],
            Filters: [{ Name: 'product-description', Values: [SPOT_PRODUCT_DESCRIPTION] }],
            StartTime: now,
            EndTime: now,
            MaxResults: 1000,
            NextToken,
          }),
        ),
      page => page.SpotPriceHistory,
    );
    for (const row of rows) {
      const azId = row.AvailabilityZoneId ?? (row.AvailabilityZone ? azMap[row.AvailabilityZone] : undefined);
      const price = Number(row.SpotPrice);
      if (!row.InstanceType || !azId || !Number.isFinite(price) || price <= 0) continue;
      const key = typeAzKey(row.InstanceType, azId);
      const at = row.Timestamp?.getTime() ?? 0;
      const seen = latest.get(key);
      if (!seen || at > seen.at) latest.set(key, { price, at });
    }
  }
  return new Map([...latest].map(([key, { price }]) => [key, price]));
}
