import {
  cellId,
  InstanceTypeInfo,
  Inventory,
  Offering,
} from '@internal/backstage-plugin-fabric-common';
import { systemClock, TokenBucketLimiter } from '../../aws';
import { FabricConfig, regionsOf } from '../../estate';
import { CellDiscovery, discoverCell, DiscoverySettings } from './discoverCell';
import { silentLogger } from './types';

/**
 * Cells scanned at once. Each cell has its own AWS token buckets, so this bounds sockets
 * and memory rather than AWS throttling; eight keeps a 25-cell estate to a few rounds.
 */
export const DEFAULT_DISCOVERY_CONCURRENCY = 8;

export interface DiscoverEstateOptions extends DiscoverySettings {
  config: FabricConfig;
  /** Cells discovered at once; default {@link DEFAULT_DISCOVERY_CONCURRENCY}. */
  concurrency?: number;
  /** The last inventory: what a failed cell falls back to. */
  previous?: Inventory;
}

/**
 * Discovers every cell of the estate (each enrolled account × its regions), a bounded
 * number at a time, into one inventory with `source: 'aws'`.
 *
 * Never rejects because of a cell: a failed cell is `fresh: false` with its `error`.
 * With a `previous` inventory, the failed cell keeps its previous offerings and its
 * previous `discoveredAt`. Stale-but-marked beats empty: the capacity most likely still
 * exists, placement can weigh the cell's age, and a cell that blinks (one throttled scan)
 * does not make its capacity vanish from the portal. Without a previous inventory the
 * cell has no offerings and no `discoveredAt`.
 */
export async function discoverEstate(options: DiscoverEstateOptions): Promise<Inventory> {
  const { config, previous } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const settings: DiscoverySettings = {
    ...options,
    clock,
    logger,
    limiter: options.limiter ?? new TokenBucketLimiter({ clock }),
  };

  const cells = config.estate.accounts.flatMap(account =>
    regionsOf(config, account).map(region => ({ account, region })),
  );
  logger.info('Discovering the estate', { cells: cells.length });

  const results = await mapWithConcurrency(
    cells,
    Math.max(1, options.concurrency ?? DEFAULT_DISCOVERY_CONCURRENCY),
    ({ account, region }) =>
      discoverCell({ ...settings, account, region, gpuFamilies: config.estate.gpuFamilies }),
  );
  const merged = results.map(result => (result.status.fresh ? result : withPreviousData(result, previous)));

  const inventory: Inventory = {
    takenAt: new Date(clock.now()).toISOString(),
    source: 'aws',
    cells: merged.map(r => r.status),
    instanceTypes: unionOfTypes(merged, previous),
    offerings: merged.flatMap(r => r.offerings),
  };
  logger.info('Discovered the estate', {
    cells: inventory.cells.length,
    staleCells: inventory.cells.filter(c => !c.fresh).length,
    offerings: inventory.offerings.length,
  });
  return inventory;
}

/** A failed cell with the offerings and age it had in the previous inventory. */
function withPreviousData(result: CellDiscovery, previous: Inventory | undefined): CellDiscovery {
  const id = cellId(result.status);
  const before = previous?.cells.find(c => cellId(c) === id);
  if (!previous || !before) return result;
  return {
    status: {
      ...result.status,
      discoveredAt: before.discoveredAt,
      azMap: Object.keys(result.status.azMap).length > 0 ? result.status.azMap : before.azMap,
    },
    instanceTypes: [],
    offerings: previous.offerings.filter(o => cellId(o) === id),
  };
}

/** Types of the fresh cells, plus any that kept offerings still refer to. */
function unionOfTypes(results: CellDiscovery[], previous: Inventory | undefined): InstanceTypeInfo[] {
  const types = new Map<string, InstanceTypeInfo>();
  for (const result of results) {
    for (const type of result.instanceTypes) types.set(type.instanceType, type);
  }
  const referenced = new Set(results.flatMap(r => r.offerings.map((o: Offering) => o.instanceType)));
  for (const type of previous?.instanceTypes ?? []) {
    if (referenced.has(type.instanceType) && !types.has(type.instanceType)) {
      types.set(type.instanceType, type);
    }
  }
  return [...types.values()].sort((a, b) => a.instanceType.localeCompare(b.instanceType));
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the input order. */
async function mapWithConcurrency<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
