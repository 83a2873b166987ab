import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time as the engine sees it. Rate limiting, credential refresh, spot price queries and
 * per-cell timeouts all read this instead of the global clock, so tests can step time
 * forward deterministically instead of waiting for it.
 */
export interface FabricClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds. Rejects with the signal's reason when aborted, and
   * releases its timer then, so an abandoned wait never keeps the process alive.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock and real timers. */
export const systemClock: FabricClock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(Math.max(0, ms), undefined, { signal });
    } catch (error) {
      // Node rejects with a generic AbortError; callers want to know why it was aborted.
      throw signal?.aborted ? signal.reason : error;
    }
  },
};
