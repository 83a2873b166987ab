import { systemClock } from './clock';

describe('systemClock', () => {
  it('sleeps for real, and stops sleeping with the abort reason', async () => {
    const started = Date.now();
    await systemClock.sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);

    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort(new Error('cell finished'));
    await expect(sleeping).rejects.toThrow('cell finished');
  });
});
