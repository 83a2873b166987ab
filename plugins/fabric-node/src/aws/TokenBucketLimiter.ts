import { FabricClock, systemClock } from './clock';

/** Size of one bucket. */
export interface TokenBucketOptions {
  /** Requests that may go out back to back after a quiet period. */
  capacity: number;
  /** Tokens added per second, up to `capacity`. */
  refillPerSecond: number;
}

/**
 * EC2 throttles each account and region with a token bucket; non-mutating
 * `Describe*`/`Get*` calls share one of 100 tokens refilled at 20 per second
 * (docs/aws-facts.md §9). Discovery spends from that same bucket, so it mirrors it client-side:
 * a scan of many cells then never drains the bucket that the account owner's other
 * tooling (Terraform, Karpenter, consoles) relies on.
 */
export const EC2_NON_MUTATING_BUCKET: TokenBucketOptions = { capacity: 100, refillPerSecond: 20 };

function assertGrantsTokens(options: TokenBucketOptions): void {
  if (!(options.capacity >= 1) || !(options.refillPerSecond > 0)) {
    throw new RangeError(
      `A token bucket needs capacity >= 1 and refillPerSecond > 0 (got ${options.capacity}, ${options.refillPerSecond})`,
    );
  }
}

/**
 * One token bucket. Callers queue in arrival order: each take books the next token,
 * even one not yet refilled, and waits until that token exists. Booking instead of
 * polling keeps the schedule exact under concurrency (no thundering herd on refill).
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(private readonly options: TokenBucketOptions, private readonly clock: FabricClock = systemClock) {
    assertGrantsTokens(options);
    this.tokens = options.capacity;
    this.updatedAt = clock.now();
  }

  /** Tokens available now; negative while callers are queued for future tokens. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Waits for one token. An aborted wait returns its booked token to the bucket. */
  async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    const waitMs = (-this.tokens / this.options.refillPerSecond) * 1000;
    try {
      await this.clock.sleep(waitMs, signal);
    } catch (error) {
      this.tokens += 1;
      throw error;
    }
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsedSeconds = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.options.capacity, this.tokens + elapsedSeconds * this.options.refillPerSecond);
    this.updatedAt = now;
  }
}

/** What discovery needs from a rate limiter; `TokenBucketLimiter` is the real one. */
export interface RequestLimiter {
  /** Waits until one request under `key` may go out. */
  acquire(key: string, signal?: AbortSignal): Promise<void>;
}

/**
 * One token bucket per key. Discovery keys by service, account and region
 * (`ec2:111111111111/us-east-1`), which is how AWS scopes its own buckets.
 */
export class TokenBucketLimiter implements RequestLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly bucketOptions: TokenBucketOptions;
  private readonly clock: FabricClock;

  constructor(options: Partial<TokenBucketOptions> & { clock?: FabricClock } = {}) {
    this.bucketOptions = {
      capacity: options.capacity ?? EC2_NON_MUTATING_BUCKET.capacity,
      refillPerSecond: options.refillPerSecond ?? EC2_NON_MUTATING_BUCKET.refillPerSecond,
    };
    this.clock = options.clock ?? systemClock;
    // Fail at construction, not on the first request.
    assertGrantsTokens(this.bucketOptions);
  }

  acquire(key: string, signal?: AbortSignal): Promise<void> {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.bucketOptions, this.clock);
      this.buckets.set(key, bucket);
    }
    return bucket.take(signal);
  }

  /** Tokens left under `key` (a full bucket when the key was never used). */
  available(key: string): number {
    return this.buckets.get(key)?.available() ?? this.bucketOptions.capacity;
  }
}
