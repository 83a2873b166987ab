import { FabricClock, systemClock } from './clock';
import { EC2_NON_MUTATING_BUCKET, TokenBucketLimiter, TokenBucketOptions } from './TokenBucketLimiter';

/** EC2's mutating request bucket per account and region (docs/aws-facts.md §9). */
export const EC2_MUTATING_BUCKET: TokenBucketOptions = { capacity: 50, refillPerSecond: 5 };

/** `RunInstances` (and `CreateFleet` instant) request bucket per account and region (§9). */
export const EC2_RUN_INSTANCES_BUCKET: TokenBucketOptions = { capacity: 5, refillPerSecond: 2 };

/** Resource tokens: instances launched per account and region (§9). */
export const EC2_INSTANCE_LAUNCH_BUCKET: TokenBucketOptions = { capacity: 1000, refillPerSecond: 2 };

/** Resource tokens: instances terminated per account and region (§9). */
export const EC2_INSTANCE_TERMINATE_BUCKET: TokenBucketOptions = { capacity: 1000, refillPerSecond: 20 };

/** The client-side buckets, by the name each is keyed under (`<bucket>:<account>/<region>`). */
export type AwsRateLimitBucket = 'ec2' | 'ec2-mutating' | 'ec2-run-instances' | 'ec2-launched-instances' | 'ec2-terminated-instances';

const BUCKETS: Record<AwsRateLimitBucket, TokenBucketOptions> = {
  ec2: EC2_NON_MUTATING_BUCKET,
  'ec2-mutating': EC2_MUTATING_BUCKET,
  'ec2-run-instances': EC2_RUN_INSTANCES_BUCKET,
  'ec2-launched-instances': EC2_INSTANCE_LAUNCH_BUCKET,
  'ec2-terminated-instances': EC2_INSTANCE_TERMINATE_BUCKET,
};

export interface AwsRateLimitsOptions {
  clock?: FabricClock;
  /**
   * This process's share of each account-region's budget, 0 < share <= 1. EC2's buckets
   * are per account and region, not per caller: N backend replicas that each spend a full
   * client-side bucket could together spend N times what AWS grants, so each takes 1/N.
   */
  share?: number;
}

/**
 * One set of client-side token buckets per process, mirroring EC2's own per account and
 * region: discovery, plan applies and the provisioner all draw from these, so together
 * they never spend more of an account-region's EC2 budget than one well-behaved client
 * would — and the owner's other tooling (Terraform, consoles, Karpenter) keeps its share.
 */
export class AwsRateLimits {
  private readonly limiters = new Map<AwsRateLimitBucket, TokenBucketLimiter>();
  readonly share: number;

  constructor(options: AwsRateLimitsOptions = {}) {
    const share = options.share ?? 1;
    if (!(share > 0 && share <= 1)) throw new RangeError(`A rate-limit share must be in (0, 1] (got ${share})`);
    this.share = share;
    for (const [bucket, size] of Object.entries(BUCKETS) as Array<[AwsRateLimitBucket, TokenBucketOptions]>) {
      this.limiters.set(
        bucket,
        new TokenBucketLimiter({
          capacity: Math.max(1, Math.floor(size.capacity * share)),
          refillPerSecond: size.refillPerSecond * share,
          clock: options.clock ?? systemClock,
        }),
      );
    }
  }

  /** Describe/Get/List calls: discovery, probes and waits of applies. Keys `ec2:<cell>`. */
  get nonMutating(): TokenBucketLimiter {
    return this.limiters.get('ec2')!;
  }

  /** Create/Delete/Modify calls of applies. Keys `ec2-mutating:<cell>`. */
  get mutating(): TokenBucketLimiter {
    return this.limiters.get('ec2-mutating')!;
  }

  /** Any bucket by name. */
  bucket(name: AwsRateLimitBucket): TokenBucketLimiter {
    return this.limiters.get(name)!;
  }

  /** Tokens left now in each bucket of one cell (`<account>/<region>`), for status views. */
  available(cell: string): Record<AwsRateLimitBucket, number> {
    return Object.fromEntries(
      [...this.limiters.entries()].map(([bucket, limiter]) => [bucket, limiter.available(`${bucket}:${cell}`)]),
    ) as Record<AwsRateLimitBucket, number>;
  }
}
