import { ManualClock } from './__testUtils__/ManualClock';
import { cacheCredentials } from './cachedCredentials';

describe('cacheCredentials', () => {
  const identity = (expiresInMs: number, clock: ManualClock) => ({
    accessKeyId: `ASIA${clock.now()}`,
    secretAccessKey: 'secret',
    expiration: new Date(clock.now() + expiresInMs),
  });

  it('assumes the role once for every client of the account, until close to expiry', async () => {
    const clock = new ManualClock();
    const provider = jest.fn(async () => identity(3_600_000, clock));
    const cached = cacheCredentials(provider, clock);

    const concurrent = await Promise.all([cached(), cached(), cached()]);
    expect(provider).toHaveBeenCalledTimes(1);
    expect(new Set(concurrent).size).toBe(1);

    await clock.advance(49 * 60_000);
    await cached();
    expect(provider).toHaveBeenCalledTimes(1);

    // Inside the last ten minutes: refreshed before the SDK would call it stale.
    await clock.advance(2 * 60_000);
    await cached();
    expect(provider).toHaveBeenCalledTimes(2);
  });

  it('does not remember a failure: the next scan tries the role again', async () => {
    const clock = new ManualClock();
    const provider = jest
      .fn()
      .mockRejectedValueOnce(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }))
      .mockResolvedValueOnce(identity(3_600_000, clock));
    const cached = cacheCredentials(provider, clock);
    await expect(cached()).rejects.toThrow('not authorized');
    await expect(cached()).resolves.toMatchObject({ secretAccessKey: 'secret' });
    expect(provider).toHaveBeenCalledTimes(2);
  });
});
