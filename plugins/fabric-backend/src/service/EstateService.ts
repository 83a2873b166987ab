import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import {
  EstateAccountView,
  EstateResponse,
  FabricHealth,
  Inventory,
} from '@internal/backstage-plugin-fabric-common';
import {
  AwsClientFactory,
  AwsRateLimits,
  buildDemoInventory,
  demoAccounts,
  discoverEstate,
  FabricConfig,
} from '@internal/backstage-plugin-fabric-node';
import { FabricStore } from '../database/FabricStore';

/**
 * Keeps the estate's inventory current: runs discovery (on schedule or on request)
 * and stores each result as a snapshot.
 */
export class EstateService {
  private refreshing?: Promise<Inventory>;

  constructor(
    private readonly deps: {
      config: FabricConfig;
      store: FabricStore;
      logger: LoggerService;
      version: string;
      /** Clients for the enrolled accounts; required for an `aws` estate. */
      awsClients?: AwsClientFactory;
      /** The process's EC2 buckets, shared with plan applies (and the provisioner). */
      rateLimits?: AwsRateLimits;
      clock?: () => Date;
    },
  ) {}

  /** Runs discovery once; concurrent callers share the run in flight. */
  refresh(): Promise<Inventory> {
    if (!this.refreshing) {
      this.refreshing = this.discover().finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  /** The newest stored inventory; discovers first when there is none yet. */
  async inventory(): Promise<Inventory> {
    return (await this.deps.store.latestInventory()) ?? this.refresh();
  }

  /** A stored snapshot by id (what a placement was planned on); undefined once pruned. */
  snapshot(id: string): Promise<Inventory | undefined> {
    return this.deps.store.getInventory(id);
  }

  /** Accounts and cells with their health, for the estate page and `GET /estate`. */
  async view(): Promise<EstateResponse> {
    const inventory = await this.inventory();
    const { config } = this.deps;
    const accounts = new Map<string, EstateAccountView>();
    const enrolled = config.estate.source === 'demo' ? demoAccounts : config.estate.accounts;
    for (const account of enrolled) {
      accounts.set(account.id, {
        id: account.id,
        name: account.name,
        role: account.role,
        regions: [],
        staleCells: 0,
      });
    }
    for (const cell of inventory.cells) {
      const account = accounts.get(cell.accountId);
      if (!account) continue;
      account.regions.push(cell.region);
      if (!cell.fresh) account.staleCells++;
    }
    return {
      source: inventory.source,
      mode: config.estate.mode,
      takenAt: inventory.takenAt,
      snapshot: inventory.id,
      accounts: [...accounts.values()],
      cells: inventory.cells,
    };
  }

  /**
   * What `GET /health` answers. It reads only what is stored: the route is open to
   * unauthenticated callers, so it must never start discovery (AWS calls in every
   * enrolled account); before the first discovery it says `discovery: pending`.
   */
  async health(): Promise<FabricHealth> {
    const { config, version } = this.deps;
    const inventory = await this.deps.store.latestInventory();
    const enrolled = config.estate.source === 'demo' ? demoAccounts : config.estate.accounts;
    return {
      status: 'ok',
      version,
      mode: config.estate.mode,
      estateSource: config.estate.source,
      accounts: inventory ? new Set(inventory.cells.map(c => c.accountId)).size : enrolled.length,
      cells: inventory?.cells.length ?? 0,
      discovery: inventory ? 'done' : 'pending',
      ...(inventory ? { discoveredAt: inventory.takenAt } : {}),
    };
  }


  private async discover(): Promise<Inventory> {
    const { config, store, logger, awsClients } = this.deps;
    let inventory: Inventory;
    if (config.estate.source === 'demo') {
      inventory = buildDemoInventory((this.deps.clock ?? (() => new Date()))());
    } else {
      if (!awsClients) throw new Error('An aws estate needs AWS clients');
      // A cell that fails now keeps its last known offerings, marked stale.
      inventory = await discoverEstate({
        config,
        clients: awsClients,
        previous: await store.latestInventory(),
        // The engine's logger takes plain metadata; Backstage's takes JSON values.
        logger: {
          info: (message, meta) => logger.info(message, meta as JsonObject),
          warn: (message, meta) => logger.warn(message, meta as JsonObject),
        },
        concurrency: config.aws.concurrency,
        limiter: this.deps.rateLimits?.nonMutating,
      });
    }
    const id = await store.saveInventory(inventory);
    logger.info('Stored estate inventory', {
      snapshot: id,
      source: inventory.source,
      cells: inventory.cells.length,
      staleCells: inventory.cells.filter(c => !c.fresh).length,
      offerings: inventory.offerings.length,
    });
    return { ...inventory, id };
  }
}
