import { FabricClock } from '../clock';

interface Sleeper {
  until: number;
  resolve: () => void;
}

/** Lets pending promise continuations run, including ones queued by other continuations. */
export async function flushPromises(): Promise<void> {
  await new Promise<void>(resolve => setImmediate(resolve));
}

/**
 * A clock that only moves when a test says so. `advance` wakes sleepers in time order and
 * lets each continuation run before the next, so code that sleeps again sees the time at
 * which it woke, as it would with real timers.
 */
export class ManualClock implements FabricClock {
  private time: number;
  private sleepers: Sleeper[] = [];

  constructor(start: number | Date = Date.parse('2026-11-29T12:00:00Z')) {
    this.time = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const sleeper: Sleeper = { until: this.time + Math.max(0, ms), resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter(s => s !== sleeper);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Sleeps not yet woken. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      const due = this.sleepers.filter(s => s.until <= target).sort((a, b) => a.until - b.until)[0];
      if (!due) break;
      this.sleepers = this.sleepers.filter(s => s !== due);
      this.time = Math.max(this.time, due.until);
      due.resolve();
      await flushPromises();
    }
    this.time = target;
    await flushPromises();
  }
}
