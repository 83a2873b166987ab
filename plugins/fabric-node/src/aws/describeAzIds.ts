import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';

/**
 * The account's own AZ name → AZ-ID map for the client's region. Names differ per
 * account in older regions; only the ID is physical, so callers key on the ID.
 */
export async function describeAzIds(ec2: EC2Client): Promise<Record<string, string>> {
  const out = await ec2.send(
    new DescribeAvailabilityZonesCommand({
      Filters: [{ Name: 'zone-type', Values: ['availability-zone'] }],
    }),
  );
  const map: Record<string, string> = {};
  for (const zone of out.AvailabilityZones ?? []) {
    if (zone.ZoneName && zone.ZoneId) map[zone.ZoneName] = zone.ZoneId;
  }
  return map;
}
