import { DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { CellApi } from './CellApi';

/**
 * The cell's AZ name → AZ-ID map, as this account sees it. Names are shuffled per
 * account in older regions (docs/aws-facts.md §1), so every offering is keyed on the ID and the
 * name is kept only to show people. Local and Wavelength zones are left out: GPU
 * capacity pools live in regular AZs. (DescribeAvailabilityZones is not paginated.)
 */
export async function discoverAzMap(api: CellApi): Promise<Record<string, string>> {
  const out = await api.ec2(
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

/** AZ-ID → this account's name for it. */
export function azNamesById(azMap: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(azMap).map(([name, id]) => [id, name]));
}
