import {
  AuthService,
  coreServices,
  createBackendModule,
  DiscoveryService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import {
  catalogProcessingExtensionPoint,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';

/** How often the provider reads the fabric's workloads. */
export const FABRIC_WORKLOADS_REFRESH_SECONDS = 10;

/**
 * Registers in the catalog the workload components the fabric was asked to create
 * (`POST /api/fabric/workloads`, e.g. by the `fabric:workload:register` scaffolder
 * action). It reads them over HTTP with `GET /api/fabric/workloads`, as a service, so
 * the fabric's database stays owned by the fabric plugin, and replaces its whole set
 * on every run (a full mutation): a workload removed from the fabric leaves the catalog.
 */
export class FabricWorkloadsEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;

  constructor(
    private readonly deps: {
      auth: AuthService;
      discovery: DiscoveryService;
      logger: LoggerService;
      scheduler: SchedulerService;
    },
  ) {}

  getProviderName(): string {
    return 'fabric-workloads';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.deps.scheduler.scheduleTask({
      id: 'fabric-workloads-provider',
      frequency: { seconds: FABRIC_WORKLOADS_REFRESH_SECONDS },
      timeout: { seconds: 60 },
      // The fabric's HTTP API is up only once the whole backend has started.
      initialDelay: { seconds: 1 },
      fn: async () => {
        try {
          await this.refresh();
        } catch (error) {
          this.deps.logger.warn(`Could not read the fabric's workloads: ${error}`);
        }
      },
    });
  }

  /** Reads the workloads from the fabric and hands the catalog the full set. */
  async refresh(): Promise<void> {
    if (!this.connection) throw new Error('The fabric-workloads provider is not connected');
    const { auth, discovery } = this.deps;
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'fabric',
    });
    const res = await fetch(`${await discovery.getBaseUrl('fabric')}/workloads`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!res.ok) {
      throw new Error(`GET /workloads answered HTTP ${res.status}: ${await res.text()}`);
    }
    const { items } = (await res.json()) as { items: Array<{ entity: Entity }> };
    await this.connection.applyMutation({
      type: 'full',
      entities: items.map(({ entity }) => ({ entity, locationKey: 'fabric-workloads' })),
    });
  }
}

/** The catalog module that adds {@link FabricWorkloadsEntityProvider}. */
export const catalogModuleFabricWorkloads = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'fabric-workloads',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
      },
      async init({ catalog, auth, discovery, logger, scheduler }) {
        catalog.addEntityProvider(new FabricWorkloadsEntityProvider({ auth, discovery, logger, scheduler }));
      },
    });
  },
});

export default catalogModuleFabricWorkloads;
