import { InstanceTypeInfo, Inventory, Offering } from '@internal/backstage-plugin-fabric-common';
import { quotaClassOf } from '../discovery/quotaClasses';

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

/** Reserved capacity: no bucket, no limit. */
export const UNBOUNDED_SLOT = -1;
/** A bucket no offering of the inventory draws from: nothing left. */
const MISSING_SLOT = -2;

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
  /**
   * `remaining` may be shared with clones until one of them takes from it (copy on
   * write), so cloning a budget per candidate island or region costs nothing up front.
   */
  private constructor(
    private readonly slots: ReadonlyMap<string, number>,
    private remaining: Float64Array,
    private shared: boolean,
  ) {}

  static fromInventory(inventory: Inventory, types: Map<string, InstanceTypeInfo>): QuotaBudget {
    const slots = new Map<string, number>();
    const vcpus: number[] = [];
    for (const offering of inventory.offerings) {
      const info = types.get(offering.instanceType);
      const bucket = info && quotaBucketOf(offering, info);
      if (!info || !bucket) continue;
      const headroom = Math.max(0, offering.quotaHeadroomInstances) * info.vcpus;
      const slot = slots.get(bucket.key);
      if (slot === undefined) {
        slots.set(bucket.key, vcpus.length);
        vcpus.push(headroom);
      } else {
        vcpus[slot] = Math.max(vcpus[slot], headroom);
      }
    }
    return new QuotaBudget(slots, Float64Array.from(vcpus), false);
  }

  clone(): QuotaBudget {
    this.shared = true;
    return new QuotaBudget(this.slots, this.remaining, true);
  }

  /**
   * The position of a bucket in this budget and every clone of it, or -1 when the bucket
   * is unbounded (reserved capacity) or unknown; callers that look a bucket up often keep
   * the slot and use `vcpusLeftIn` / `takeFrom`.
   */
  slotOf(bucket: QuotaBucketRef | undefined): number {
    if (!bucket) return UNBOUNDED_SLOT;
    return this.slots.get(bucket.key) ?? MISSING_SLOT;
  }

  /** vCPUs left in a bucket; reserved capacity (no bucket) is unbounded here. */
  vcpusLeft(bucket: QuotaBucketRef | undefined): number {
    return this.vcpusLeftIn(this.slotOf(bucket));
  }

  vcpusLeftIn(slot: number): number {
    if (slot >= 0) return this.remaining[slot];
    return slot === UNBOUNDED_SLOT ? Number.POSITIVE_INFINITY : 0;
  }

  take(bucket: QuotaBucketRef | undefined, vcpus: number): void {
    this.takeFrom(this.slotOf(bucket), vcpus, bucket?.key);
  }

  takeFrom(slot: number, vcpus: number, name?: string): void {
    if (slot === UNBOUNDED_SLOT) return;
    const left = this.vcpusLeftIn(slot);
    if (left < vcpus) throw new Error(`quota bucket ${name ?? `#${slot}`} overdrawn`);
    if (this.shared) {
      this.remaining = this.remaining.slice();
      this.shared = false;
    }
    this.remaining[slot] = left - vcpus;
  }
}
