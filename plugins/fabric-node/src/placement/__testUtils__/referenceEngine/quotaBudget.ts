import { InstanceTypeInfo, Inventory, Offering } from '@internal/backstage-plugin-fabric-common';
import { quotaClassOf } from '../../../discovery/quotaClasses';

/** The vCPU quota an offering draws from, per (account, region, quota class). */
export interface QuotaBucketRef {
  key: string;
  /** Service Quotas name, e.g. "All P5 Spot Instance Requests". */
  name: string;
}

/**
 * The bucket an offering draws from, or undefined for reserved capacity: an ODCR's
 * vCPUs were counted against the on-demand quota when it was created, and a capacity
 * block never counts (docs/aws-facts.md §6, §7), so launching into either needs no headroom.
 */
export function quotaBucketOf(offering: Offering, info: InstanceTypeInfo): QuotaBucketRef | undefined {
  if (offering.capacityType === 'reserved') return undefined;
  const quotaClass = quotaClassOf(info.family, offering.capacityType);
  const name = quotaClass?.name ?? `${info.family} ${offering.capacityType} vCPU quota`;
  const code = quotaClass?.code ?? `${offering.capacityType}:${info.family}`;
  return { key: `${offering.accountId}|${offering.region}|${code}`, name };
}

/**
 * Shared vCPU headroom per quota bucket while a plan is being built.
 *
 * Several types of one family in one cell draw from one quota (p5, p5e and p5en spot all
 * use L-C4BD4855), so planning each offering up to its own `quotaHeadroomInstances`
 * would overbook. The inventory reports headroom in whole instances per offering; the
 * bucket's vCPUs are recovered as the largest `headroom × vCPUs` among its offerings,
 * which never exceeds what the quota really has left (it is that value rounded down to
 * whole instances of some type).
 */
export class QuotaBudget {
  private constructor(private readonly remaining: Map<string, number>) {}

  static fromInventory(inventory: Inventory, types: Map<string, InstanceTypeInfo>): QuotaBudget {
    const remaining = new Map<string, number>();
    for (const offering of inventory.offerings) {
      const info = types.get(offering.instanceType);
      const bucket = info && quotaBucketOf(offering, info);
      if (!info || !bucket) continue;
      const vcpus = Math.max(0, offering.quotaHeadroomInstances) * info.vcpus;
      remaining.set(bucket.key, Math.max(remaining.get(bucket.key) ?? 0, vcpus));
    }
    return new QuotaBudget(remaining);
  }

  clone(): QuotaBudget {
    return new QuotaBudget(new Map(this.remaining));
  }

  /** vCPUs left in a bucket; reserved capacity (no bucket) is unbounded here. */
  vcpusLeft(bucket: QuotaBucketRef | undefined): number {
    return bucket ? this.remaining.get(bucket.key) ?? 0 : Number.POSITIVE_INFINITY;
  }

  take(bucket: QuotaBucketRef | undefined, vcpus: number): void {
    if (!bucket) return;
    const left = this.vcpusLeft(bucket);
    if (left < vcpus) throw new Error(`quota bucket ${bucket.key} overdrawn`);
    this.remaining.set(bucket.key, left - vcpus);
  }
}

