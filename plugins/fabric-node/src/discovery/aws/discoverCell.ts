import {
  CellRef,
  cellId,
  CellStatus,
  InstanceTypeInfo,
  Offering,
} from '@internal/backstage-plugin-fabric-common';
import { FabricClock, RequestLimiter, systemClock, TokenBucketLimiter } from '../../aws';
import { describeAwsError } from '../../aws/errors';
import { EstateAccount } from '../../estate';
import { discoverAzMap } from './availabilityZones';
import { discoverCapacityReservations } from './capacityReservations';
import { CellApi } from './CellApi';
import { cellOfferings } from './cellOfferings';
import { cellErrorMessage, DiscoveryStepError } from './errors';
import { discoverInstanceTypes } from './instanceTypes';
import { builtInOnDemandPrice, OnDemandPriceLookup } from './onDemandPrices';
import { discoverSpotPlacementScores, DEFAULT_PLACEMENT_TARGET_CAPACITY } from './spotPlacementScores';
import { discoverSpotPrices } from './spotPrices';
import { discoverTypeOfferings } from './typeOfferings';
import { DiscoveryClients, DiscoveryLogger, silentLogger } from './types';
import { discoverVcpuQuotas } from './vcpuQuotas';
import { discoverVcpuUsage } from './vcpuUsage';

/**
 * A cell gets this long, retries and rate-limit waits included, before it is marked
 * stale. Long enough for a healthy cell (a few dozen calls) even when the limiter is
 * pacing it; short enough that one hung endpoint cannot hold a scheduled scan for long.
 */
export const DEFAULT_CELL_TIMEOUT_MS = 120_000;

/** What every cell's discovery shares. */
export interface DiscoverySettings {
  clients: DiscoveryClients;
  clock?: FabricClock;
  /**
   * Paces every call of every cell. Pass one long-lived limiter when other engine work
   * calls the same accounts; by default a scan gets its own, sized like EC2's
   * non-mutating bucket (100 tokens, 20 per second).
   */
  limiter?: RequestLimiter;
  logger?: DiscoveryLogger;
  /** Per-cell deadline; default {@link DEFAULT_CELL_TIMEOUT_MS}. */
  cellTimeoutMs?: number;
  /** On-demand prices; default: the built-in table (no EC2 API has them). */
  onDemandPrice?: OnDemandPriceLookup;
  /** Instances per spot placement score query; default 1 (see spotPlacementScores.ts). */
  spotPlacementTargetCapacity?: number;
}

export interface DiscoverCellOptions extends DiscoverySettings {
  account: Pick<EstateAccount, 'id' | 'name' | 'roleArn' | 'externalId'>;
  region: string;
  /** Instance families to look for, such as `p5` or `g6e`. */
  gpuFamilies: string[];
}

/** One cell's share of an inventory. */
export interface CellDiscovery {
  status: CellStatus;
  instanceTypes: InstanceTypeInfo[];
  offerings: Offering[];
}

/**
 * Discovers one cell: assume the account's role, read its AZ-ID map, the GPU types it
 * offers per AZ-ID, their spot prices and placement scores, reservations, vCPU quotas and
 * usage, and turn them into offerings.
 *
 * Never rejects. Any failure (access denied, throttling that outlasted the SDK's retries,
 * 5xx, the cell's deadline) comes back as `fresh: false` with a readable, redacted
 * `error` and no offerings; the caller decides what to keep from earlier scans.
 * Two reads are exceptions, leaving a warning instead: placement scores are advisory and
 * AWS limits them in ways unrelated to the cell's health; capacity reservations only add
 * reserved offerings, and the rest of the cell is still true without them.
 */
export async function discoverCell(options: DiscoverCellOptions): Promise<CellDiscovery> {
  const { account, region } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.cellTimeoutMs ?? DEFAULT_CELL_TIMEOUT_MS;
  const cell: CellRef = { accountId: account.id, region };
  const progress: { azMap: Record<string, string> } = { azMap: {} };

  const calls = new AbortController();
  const deadline = new AbortController();
  const timedOut = clock.sleep(timeoutMs, deadline.signal).then(
    () => {
      const error = new Error(`discovery of ${account.id}/${region} took longer than ${timeoutMs / 1000} s`);
      error.name = 'Timeout';
      calls.abort(error);
      throw error;
    },
    // The deadline was cancelled because the cell finished first.
    () => new Promise<never>(() => {}),
  );

  try {
    const result = await Promise.race([scanCell(options, cell, calls.signal, clock, progress), timedOut]);
    logger.info('Discovered cell', {
      cell: `${account.id}/${region}`,
      offerings: result.offerings.length,
      warnings: result.status.warnings?.length ?? 0,
    });
    return result;
  } catch (error) {
    calls.abort(error);
    const message = cellErrorMessage(error);
    logger.warn('Cell discovery failed; the cell is marked stale', { cell: `${account.id}/${region}`, error: message });
    return {
      status: {
        accountId: account.id,
        accountName: account.name,
        region,
        fresh: false,
        error: message,
        azMap: progress.azMap,
      },
      instanceTypes: [],
      offerings: [],
    };
  } finally {
    deadline.abort();
  }
}

async function scanCell(
  options: DiscoverCellOptions,
  cell: CellRef,
  signal: AbortSignal,
  clock: FabricClock,
  progress: { azMap: Record<string, string> },
): Promise<CellDiscovery> {
  const { account, region, clients } = options;
  const logger = options.logger ?? silentLogger;
  await resolveCredentials(clients, account);

  const api = new CellApi({
    cell,
    ec2: clients.ec2(cell, account),
    serviceQuotas: clients.serviceQuotas(cell, account),
    limiter: options.limiter ?? new TokenBucketLimiter({ clock }),
    signal,
  });

  const azMap = await discoverAzMap(api);
  progress.azMap = azMap;
  const allTypes = await discoverInstanceTypes(api, options.gpuFamilies);
  const offeredIn = await discoverTypeOfferings(
    api,
    allTypes.map(t => t.instanceType),
    Object.values(azMap),
  );
  const types = allTypes.filter(t => offeredIn.has(t.instanceType));
  const typeNames = types.map(t => t.instanceType);
  const families = [...new Set(types.map(t => t.family))];
  const warnings: string[] = [];

  const [spotPrices, placementScores, quotas, { reservations, vcpusInUse }] = await Promise.all([
    discoverSpotPrices(api, typeNames, azMap, new Date(clock.now())),
    discoverSpotPlacementScores(
      api,
      region,
      types,
      options.spotPlacementTargetCapacity ?? DEFAULT_PLACEMENT_TARGET_CAPACITY,
    ).catch(error => {
      if (signal.aborted) throw error;
      const reason = error instanceof DiscoveryStepError ? error.message : describeAwsError(error);
      warnings.push(`Spot placement scores unavailable: ${reason}`);
      logger.warn('Spot placement scores unavailable', { cell: cellId(cell), error: reason });
      return new Map<string, number>();
    }),
    discoverVcpuQuotas(api, families),
    discoverCapacityReservations(api, typeNames, azMap)
      .catch(error => {
        if (signal.aborted) throw error;
        const reason = error instanceof DiscoveryStepError ? error.message : describeAwsError(error);
        warnings.push(
          `Capacity reservations unavailable, so no reserved offerings and on-demand headroom ignores unused ODCRs: ${reason}`,
        );
        logger.warn('Capacity reservations unavailable', { cell: cellId(cell), error: reason });
        return [];
      })
      .then(async found => ({
        reservations: found,
        vcpusInUse: await discoverVcpuUsage(api, types, found),
      })),
  ]);

  const { offerings, warnings: offeringWarnings } = cellOfferings({
    cell,
    azMap,
    types,
    offeredIn,
    spotPrices,
    placementScores,
    reservations,
    quotas,
    vcpusInUse,
    onDemandPrice: options.onDemandPrice ?? builtInOnDemandPrice,
  });
  warnings.push(...offeringWarnings);

  return {
    status: {
      accountId: account.id,
      accountName: account.name,
      region,
      fresh: true,
      discoveredAt: new Date(clock.now()).toISOString(),
      azMap,
      ...(warnings.length > 0 ? { warnings } : {}),
    },
    instanceTypes: types,
    offerings,
  };
}

/**
 * Assumes the account's role up front, so a role that cannot be assumed is reported as
 * `… (sts:AssumeRole on arn:aws:iam::…)` rather than as whichever EC2 call went first.
 * The factory caches the result, so the clients reuse these credentials.
 */
async function resolveCredentials(
  clients: DiscoveryClients,
  account: Pick<EstateAccount, 'id' | 'roleArn' | 'externalId'>,
): Promise<void> {
  const credentials = clients.credentialsFor?.(account);
  if (typeof credentials !== 'function') return;
  try {
    await credentials();
  } catch (error) {
    throw new DiscoveryStepError(
      account.roleArn ? `sts:AssumeRole on ${account.roleArn}` : `credentials of account ${account.id}`,
      error,
    );
  }
}
