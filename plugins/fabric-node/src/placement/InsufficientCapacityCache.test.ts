import { DEFAULT_INSUFFICIENT_CAPACITY_TTL_MS, InsufficientCapacityCache } from './InsufficientCapacityCache';

describe('InsufficientCapacityCache', () => {
  const key = { instanceType: 'p5.48xlarge', azId: 'use1-az4', capacityType: 'spot' as const };
  const t0 = new Date('2026-01-01T00:00:00Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);

  it('remembers an ICE for 3 minutes by default, like Karpenter', () => {
    expect(DEFAULT_INSUFFICIENT_CAPACITY_TTL_MS).toBe(180_000);
    const cache = new InsufficientCapacityCache();
    const entry = cache.markInsufficient(key, { now: t0, detail: 'InsufficientInstanceCapacity' });
    expect(entry.expiresAt.toISOString()).toBe('2026-01-01T00:03:00.000Z');
    expect(cache.lookup(key, at(179_999))).toMatchObject({ ...key, detail: 'InsufficientInstanceCapacity' });
    expect(cache.lookup(key, at(180_000))).toBeUndefined();
    expect(cache.list(at(180_000))).toEqual([]);
  });

  it('keys on instance type × AZ-ID × capacity type only', () => {
    const cache = new InsufficientCapacityCache({ ttlMs: 1000 });
    cache.markInsufficient(key, { now: t0 });
    expect(cache.lookup({ ...key, capacityType: 'on-demand' }, t0)).toBeUndefined();
    expect(cache.lookup({ ...key, azId: 'use1-az2' }, t0)).toBeUndefined();
    expect(cache.lookup({ ...key, instanceType: 'p5e.48xlarge' }, t0)).toBeUndefined();
    // Any account's offering in that AZ-ID matches: capacity is physical.
    expect(cache.lookup({ ...key, accountId: '222222222222' } as typeof key, t0)).toBeDefined();
  });

  it('extends the window when marked again', () => {
    const cache = new InsufficientCapacityCache({ ttlMs: 1000 });
    cache.markInsufficient(key, { now: t0 });
    cache.markInsufficient(key, { now: at(900) });
    expect(cache.lookup(key, at(1500))).toBeDefined();
    expect(cache.list(at(1500))).toHaveLength(1);
  });
});
