// A large estate shaped like the demo, for the placement and provisioner benchmarks:
// `accounts` accounts × up to 4 regions, every cell fresh, each cell a copy of one demo
// GPU account's offerings in that region (the templates taken in turn), under a new
// account ID. The fourth region, us-east-2, copies us-west-2's offerings onto its three
// AZ-IDs. Synthetic, but with the demo's types, prices, placement scores and quota walls.
import { CellStatus, Inventory, Offering } from '@internal/backstage-plugin-fabric-common';
import { buildDemoInventory } from '../src/discovery';

export const SYNTHETIC_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'us-east-2'] as const;

/** us-east-2 borrows us-west-2's offerings: which AZ-ID each one lands on. */
const US_EAST_2_AZ_OF: Record<string, string> = {
  'usw2-az1': 'use2-az1',
  'usw2-az2': 'use2-az2',
  'usw2-az3': 'use2-az3',
};

export function syntheticEstate(options: { accounts: number; regions?: number; takenAt?: Date }): Inventory {
  const demo = buildDemoInventory(options.takenAt ?? new Date('2026-11-29T12:00:00Z'));
  const regions = SYNTHETIC_REGIONS.slice(0, options.regions ?? SYNTHETIC_REGIONS.length);
  const gpuAccounts = [...new Set(demo.offerings.map(o => o.accountId))].sort();
  const offeringsOf = (accountId: string, region: string): Offering[] => {
    if (region === 'us-east-2') {
      return offeringsOf(accountId, 'us-west-2')
        .filter(o => US_EAST_2_AZ_OF[o.azId])
        .map(o => ({ ...o, region, azId: US_EAST_2_AZ_OF[o.azId], azName: '' }));
    }
    return demo.offerings.filter(o => o.accountId === accountId && o.region === region && o.capacityType !== 'reserved');
  };

  const cells: CellStatus[] = [];
  const offerings: Offering[] = [];
  for (let k = 0; k < options.accounts; k++) {
    const template = gpuAccounts[k % gpuAccounts.length];
    const accountId = `${template.slice(0, 9)}${String(k).padStart(3, '0')}`;
    for (const region of regions) {
      // A demo cell without offerings (the stale one) borrows the first account's.
      let source = offeringsOf(template, region);
      if (source.length === 0) source = offeringsOf(gpuAccounts[0], region);
      const azIds = [...new Set(source.map(o => o.azId))].sort();
      const azMap = Object.fromEntries(azIds.map((id, i) => [`${region}${String.fromCharCode(97 + ((i + k) % azIds.length))}`, id]));
      const nameOf = Object.fromEntries(Object.entries(azMap).map(([name, id]) => [id, name]));
      cells.push({
        accountId,
        accountName: `synthetic-${String(k).padStart(3, '0')}`,
        region,
        fresh: true,
        discoveredAt: demo.takenAt,
        azMap,
      });
      offerings.push(...source.map(o => ({ ...o, accountId, azName: nameOf[o.azId] })));
    }
  }
  return { takenAt: demo.takenAt, source: 'demo', cells, instanceTypes: demo.instanceTypes, offerings };
}
