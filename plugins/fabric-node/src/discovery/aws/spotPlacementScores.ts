import { GetSpotPlacementScoresCommand } from '@aws-sdk/client-ec2';
import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';
import { CellApi } from './CellApi';
import { typeAzKey } from './offeringKey';
import { collectPages } from '../../aws/paginate';

/** AWS scores a request with fewer instance types low (docs/aws-facts.md §5). */
export const MIN_TYPES_PER_PLACEMENT_QUERY = 3;

/**
 * One instance. The fabric's offerings are per instance (price per instance-hour,
 * headroom in instances), so the score that matches them is "how likely is one more
 * instance here". It is also the target least likely to exceed the per-account target
 * capacity limit, which AWS derives from recent spot usage and which is small for an
 * account that has run little spot. A gang of N asks again at placement time.
 */
export const DEFAULT_PLACEMENT_TARGET_CAPACITY = 1;

/** One GetSpotPlacementScores request: the types it asks about, and whose score it is. */
export interface PlacementScoreQuery {
  family: string;
  /** Types whose offerings receive the score: the family's own. */
  scored: string[];
  /** Types sent: the family's own, padded with siblings up to the minimum. */
  instanceTypes: string[];
}

/**
 * One query per family. A family with fewer than three types is padded with its nearest
 * siblings of the same maker, in this order: same accelerator (p5e H200 → p5en), same
 * series (p, g, trn), closest accelerator count, closest vCPU count. Padding makes the
 * score say "one of these types", a little more optimistic than "this type"; unpadded,
 * AWS reports a low score that reflects the query, not the capacity. Padding stops at
 * the maker: a Trainium score borrowed from H100 capacity would say nothing about
 * Trainium, so a family without enough same-maker siblings is asked about with fewer
 * types and gets an honest, pessimistic score. Only types offered in the cell's region
 * are candidates, so a pad never names a type the region cannot launch.
 */
export function placementScoreQueries(types: InstanceTypeInfo[]): PlacementScoreQuery[] {
  const byFamily = new Map<string, InstanceTypeInfo[]>();
  for (const type of types) {
    byFamily.set(type.family, [...(byFamily.get(type.family) ?? []), type]);
  }
  return [...byFamily.keys()].sort().map(family => {
    const own = byFamily.get(family)!;
    const scored = own.map(t => t.instanceType).sort();
    const reference = own.reduce((a, b) => (b.acceleratorCount > a.acceleratorCount ? b : a));
    const siblings = types
      .filter(t => t.family !== family && t.acceleratorManufacturer === reference.acceleratorManufacturer)
      .sort(
        (a, b) =>
          Number(b.acceleratorName === reference.acceleratorName) - Number(a.acceleratorName === reference.acceleratorName) ||
          Number(seriesOf(b) === seriesOf(reference)) - Number(seriesOf(a) === seriesOf(reference)) ||
          Math.abs(a.acceleratorCount - reference.acceleratorCount) - Math.abs(b.acceleratorCount - reference.acceleratorCount) ||
          Math.abs(a.vcpus - reference.vcpus) - Math.abs(b.vcpus - reference.vcpus) ||
          a.instanceType.localeCompare(b.instanceType),
      )
      .map(t => t.instanceType);
    const padding = siblings.slice(0, Math.max(0, MIN_TYPES_PER_PLACEMENT_QUERY - scored.length));
    return { family, scored, instanceTypes: [...scored, ...padding] };
  });
}

/** `p5en` → `p`, `g6e` → `g`, `trn1` → `trn`: the letters AWS names a line of types by. */
function seriesOf(type: InstanceTypeInfo): string {
  return /^[a-z]+/.exec(type.family)?.[0] ?? type.family;
}

/**
 * Spot placement scores (1–10) per (type, AZ-ID) for one cell. `SingleAvailabilityZone`
 * makes AWS score AZs rather than regions, keyed by `AvailabilityZoneId`, so scores
 * compare across accounts. The score is per account: AWS weighs the caller's own recent
 * spot usage, which is why each cell asks with its own credentials.
 */
export async function discoverSpotPlacementScores(
  api: CellApi,
  region: string,
  types: InstanceTypeInfo[],
  targetCapacity: number = DEFAULT_PLACEMENT_TARGET_CAPACITY,
): Promise<Map<string, number>> {
  const scores = new Map<string, number>();
  for (const query of placementScoreQueries(types)) {
    const rows = await collectPages(
      NextToken =>
        api.ec2(
          new GetSpotPlacementScoresCommand({
            InstanceTypes: query.instanceTypes,
            TargetCapacity: targetCapacity,
            TargetCapacityUnitType: 'units',
            SingleAvailabilityZone: true,
            RegionNames: [region],
            MaxResults: 10,
            NextToken,
          }),
        ),
      page => page.SpotPlacementScores,
    );
    for (const row of rows) {
      if (!row.AvailabilityZoneId || row.Score === undefined) continue;
      if (row.Region && row.Region !== region) continue;
      for (const instanceType of query.scored) {
        scores.set(typeAzKey(instanceType, row.AvailabilityZoneId), row.Score);
      }
    }
  }
  return scores;
}
