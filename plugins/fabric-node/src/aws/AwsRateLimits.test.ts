import { AwsRateLimits } from './AwsRateLimits';

describe('AwsRateLimits', () => {
  const frozen = { now: () => 0, sleep: async () => {} };

  it('mirrors EC2\'s buckets per account-region, each cell its own', async () => {
    const limits = new AwsRateLimits({ clock: frozen });
    expect(limits.available('111111111111/us-east-1')).toEqual({
      ec2: 100,
      'ec2-mutating': 50,
      'ec2-run-instances': 5,
      'ec2-launched-instances': 1000,
      'ec2-terminated-instances': 1000,
    });
    await limits.nonMutating.acquire('ec2:111111111111/us-east-1');
    await limits.mutating.acquire('ec2-mutating:111111111111/us-east-1');
    expect(limits.available('111111111111/us-east-1')).toMatchObject({ ec2: 99, 'ec2-mutating': 49 });
    expect(limits.available('222222222222/us-east-1')).toMatchObject({ ec2: 100, 'ec2-mutating': 50 });
  });

  it('gives each of N replicas 1/N of every bucket, size and refill', async () => {
    let now = 0;
    const clock = { now: () => now, sleep: async () => {} };
    const limits = new AwsRateLimits({ clock, share: 1 / 4 });
    expect(limits.available('111111111111/us-east-1')).toMatchObject({ ec2: 25, 'ec2-mutating': 12, 'ec2-run-instances': 1 });
    for (let i = 0; i < 25; i++) await limits.nonMutating.acquire('ec2:111111111111/us-east-1');
    expect(limits.nonMutating.available('ec2:111111111111/us-east-1')).toBe(0);
    now += 1000; // one second refills 20/4 = 5 tokens
    expect(limits.nonMutating.available('ec2:111111111111/us-east-1')).toBeCloseTo(5);
    expect(() => new AwsRateLimits({ share: 0 })).toThrow(RangeError);
    expect(() => new AwsRateLimits({ share: 2 })).toThrow(RangeError);
  });
});
