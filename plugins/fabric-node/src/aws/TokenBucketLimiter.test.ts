import { flushPromises, ManualClock } from './__testUtils__/ManualClock';
import { EC2_NON_MUTATING_BUCKET, TokenBucket, TokenBucketLimiter } from './TokenBucketLimiter';

/** Starts `count` acquisitions and reports how many have been granted so far. */
function startAcquiring(limiter: TokenBucketLimiter, key: string, count: number, signal?: AbortSignal) {
  let granted = 0;
  const all = Array.from({ length: count }, () =>
    limiter.acquire(key, signal).then(() => {
      granted++;
    }),
  );
  return { granted: () => granted, all: Promise.allSettled(all) };
}

describe('TokenBucketLimiter', () => {
  it("defaults to EC2's non-mutating bucket: 100 at once, then 20 per second", async () => {
    expect(EC2_NON_MUTATING_BUCKET).toEqual({ capacity: 100, refillPerSecond: 20 });
    const clock = new ManualClock();
    const limiter = new TokenBucketLimiter({ clock });

    const burst = startAcquiring(limiter, 'ec2:111111111111/us-east-1', 120);
    await flushPromises();
    expect(burst.granted()).toBe(100);

    // One token every 50 ms: not a moment earlier.
    await clock.advance(49);
    expect(burst.granted()).toBe(100);
    await clock.advance(1);
    expect(burst.granted()).toBe(101);

    // The remaining 19 need 19 × 50 ms more.
    await clock.advance(899);
    expect(burst.granted()).toBe(118);
    await clock.advance(101);
    expect(burst.granted()).toBe(120);
    await burst.all;
  });

  it('sustains exactly the refill rate once the burst is spent', async () => {
    const clock = new ManualClock();
    const limiter = new TokenBucketLimiter({ clock });
    const drain = startAcquiring(limiter, 'k', 100);
    await drain.all;

    const steady = startAcquiring(limiter, 'k', 200);
    await clock.advance(5_000);
    expect(steady.granted()).toBe(100);
    await clock.advance(5_000);
    expect(steady.granted()).toBe(200);
  });

  it('refills no further than its capacity, however long it was idle', async () => {
    const clock = new ManualClock();
    const limiter = new TokenBucketLimiter({ clock });
    await startAcquiring(limiter, 'k', 100).all;
    await clock.advance(3_600_000);
    expect(limiter.available('k')).toBe(100);

    const next = startAcquiring(limiter, 'k', 101);
    await flushPromises();
    expect(next.granted()).toBe(100);
  });

  it('keeps one bucket per account and region', async () => {
    const clock = new ManualClock();
    const limiter = new TokenBucketLimiter({ clock });
    await startAcquiring(limiter, 'ec2:111111111111/us-east-1', 100).all;

    const otherRegion = startAcquiring(limiter, 'ec2:111111111111/us-west-2', 100);
    const otherAccount = startAcquiring(limiter, 'ec2:222222222222/us-east-1', 100);
    await flushPromises();
    expect(otherRegion.granted()).toBe(100);
    expect(otherAccount.granted()).toBe(100);
    expect(limiter.available('ec2:111111111111/us-east-1')).toBe(0);
  });

  it('takes its size from options', async () => {
    const clock = new ManualClock();
    const limiter = new TokenBucketLimiter({ capacity: 5, refillPerSecond: 1, clock });
    const calls = startAcquiring(limiter, 'k', 7);
    await flushPromises();
    expect(calls.granted()).toBe(5);
    await clock.advance(1_000);
    expect(calls.granted()).toBe(6);
    await clock.advance(1_000);
    expect(calls.granted()).toBe(7);
  });

  it('gives an aborted wait its token back and rejects with the reason', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1 }, clock);
    await bucket.take();
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    expect(bucket.available()).toBe(-1);
    controller.abort(new Error('cell timed out'));
    await expect(waiting).rejects.toThrow('cell timed out');
    expect(bucket.available()).toBe(0);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('refuses a bucket that could never grant a token', () => {
    expect(() => new TokenBucketLimiter({ capacity: 0 })).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ refillPerSecond: 0 })).toThrow(RangeError);
  });
});
