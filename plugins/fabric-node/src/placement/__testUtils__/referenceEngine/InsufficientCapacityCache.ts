import { CapacityType } from '@internal/backstage-plugin-fabric-common';

/** What ran out: a type in one physical zone, bought one way. */
export interface InsufficientCapacityKey {
  instanceType: string;
  azId: string;
  capacityType: CapacityType;
}

/** A remembered InsufficientInstanceCapacity error. */
export interface InsufficientCapacityEntry extends InsufficientCapacityKey {
  markedAt: Date;
  expiresAt: Date;
  /** What the launch said, e.g. the EC2 error message. */
  detail?: string;
}

/** Karpenter's unavailable-offerings cache holds an ICE for 3 minutes; so do we. */
export const DEFAULT_INSUFFICIENT_CAPACITY_TTL_MS = 3 * 60_000;

/**
 * Remembers recent InsufficientInstanceCapacity answers so the solver stops choosing an
 * offering that just failed, the way Karpenter's unavailable-offerings cache does.
 *
 * Keyed by AZ-ID rather than by account: capacity is physical, so when one account hears
 * "no p5 in use1-az4" every account's use1-az4 is the same empty pool. Entries expire on
 * their own; nothing needs to clear them, and a later mark extends the window.
 */
export class InsufficientCapacityCache {
  private readonly entries = new Map<string, InsufficientCapacityEntry>();
  private readonly ttlMs: number;

  constructor(options: { ttlMs?: number } = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_INSUFFICIENT_CAPACITY_TTL_MS;
  }

  /** Provisioning calls this when a launch answers InsufficientInstanceCapacity. */
  markInsufficient(key: InsufficientCapacityKey, options: { now?: Date; detail?: string } = {}): InsufficientCapacityEntry {
    const markedAt = options.now ?? new Date();
    const entry: InsufficientCapacityEntry = {
      instanceType: key.instanceType,
      azId: key.azId,
      capacityType: key.capacityType,
      markedAt,
      expiresAt: new Date(markedAt.getTime() + this.ttlMs),
      detail: options.detail,
    };
    this.entries.set(cacheKey(key), entry);
    return entry;
  }

  /** The live entry for an offering, or undefined once it has expired. */
  lookup(key: InsufficientCapacityKey, now: Date = new Date()): InsufficientCapacityEntry | undefined {
    const entry = this.entries.get(cacheKey(key));
    if (!entry) return undefined;
    if (entry.expiresAt.getTime() <= now.getTime()) {
      this.entries.delete(cacheKey(key));
      return undefined;
    }
    return entry;
  }

  /** Live entries, oldest first (for status pages and logs). */
  list(now: Date = new Date()): InsufficientCapacityEntry[] {
    return [...this.entries.values()]
      .filter(e => e.expiresAt.getTime() > now.getTime())
      .sort((a, b) => a.markedAt.getTime() - b.markedAt.getTime() || cacheKey(a).localeCompare(cacheKey(b)));
  }
}

function cacheKey(key: InsufficientCapacityKey): string {
  return `${key.instanceType}|${key.azId}|${key.capacityType}`;
}
