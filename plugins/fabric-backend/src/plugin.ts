import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { fabricPermissions } from '@internal/backstage-plugin-fabric-common';
import {
  AwsClientFactory,
  AwsRateLimits,
  HubClusterReader,
  KubernetesApplier,
  provisionerFromConfig,
} from '@internal/backstage-plugin-fabric-node';
import { provisionerEvents } from './service/provisionerEvents';

import { DatabaseFabricStore } from './database/DatabaseFabricStore';
import { DatabasePlanStore } from './database/DatabasePlanStore';
import { DatabaseWorkloadStore } from './database/DatabaseWorkloadStore';
import { createPlanning } from './service/plans';
import { EstateService } from './service/EstateService';
import { PlacementService } from './service/PlacementService';
import { createRouter } from './service/router';
import { readFabricConfig } from './config';

/**
 * The fabric backend plugin: REST API, store, permissions and scheduled discovery.
 * @public
 */
export const fabricPlugin = createBackendPlugin({
  pluginId: 'fabric',
  register(env) {
    env.registerInit({
      deps: {
        auditor: coreServices.auditor,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
      },
      async init({ auditor, config, database, httpAuth, httpRouter, lifecycle, logger, permissions, permissionsRegistry, scheduler }) {
        // Invalid configuration stops the backend here, naming the key.
        const fabricConfig = readFabricConfig(config);
        const store = await DatabaseFabricStore.create({ database });
        const awsClients =
          fabricConfig.estate.source === 'aws'
            ? new AwsClientFactory({
                endpoint: fabricConfig.aws.endpoint,
                maxAttempts: fabricConfig.aws.maxAttempts,
                sessionName: 'cloudspectra-fabric',
              })
            : undefined;
        // One set of EC2 buckets per process, shared by discovery and plan applies.
        const rateLimits = new AwsRateLimits({ share: 1 / fabricConfig.aws.replicas });
        const estate = new EstateService({
          rateLimits,
          config: fabricConfig,
          store,
          logger,
          awsClients,
          version: packageVersion(),
        });
        const placements = new PlacementService({ config: fabricConfig, estate, store });
        const hubCluster = fabricConfig.hub.kubernetes;
        const planning = createPlanning({
          config: fabricConfig,
          plans: await DatabasePlanStore.create({ database }),
          leaseMs: fabricConfig.plans.leaseSeconds * 1000,
          rateLimits,
          logger,
          awsClients,
          kubernetes: hubCluster
            ? new KubernetesApplier({
                server: hubCluster.url,
                token: hubCluster.token,
                caData: hubCluster.caData,
                insecureSkipTlsVerify: hubCluster.insecureSkipTlsVerify,
              })
            : undefined,
        });
        // Resume applies whose holder stopped (this process before a restart, or a
        // replica that died), then keep looking, so no apply waits for a restart.
        await planning.runner.resumeInterrupted();
        planning.runner.startAdopting();
        lifecycle.addShutdownHook(() => planning.runner.shutdown());
        permissionsRegistry.addPermissions(fabricPermissions);
        httpRouter.use(
          await createRouter({
            estate,
            placements,
            planning,
            store,
            workloads: await DatabaseWorkloadStore.create({ database }),
            httpAuth,
            permissions,
            logger,
            auditor,
            hubCluster: hubCluster
              ? new HubClusterReader({
                  server: hubCluster.url,
                  token: hubCluster.token,
                  caData: hubCluster.caData,
                  insecureSkipTlsVerify: hubCluster.insecureSkipTlsVerify,
                })
              : undefined,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });

        if (fabricConfig.provisioner.enabled) {
          // Every replica runs one; the Lease lets exactly one of them act per hub cluster.
          // provisionerFromConfig refuses, naming the key, a configuration it cannot run with.
          const provisioner = provisionerFromConfig(fabricConfig, {
            inventory: () => estate.inventory(),
            clients: awsClients,
            rateLimits,
            events: provisionerEvents({ logger, auditor, placements: store }),
          });
          lifecycle.addStartupHook(async () => {
            await provisioner.start();
            logger.info('Fabric provisioner started; competing for the hub cluster Lease', {
              namespace: fabricConfig.provisioner.namespace,
            });
          });
          // Releasing the Lease lets a standby replica lead at once instead of after it expires.
          lifecycle.addShutdownHook(() => provisioner.stop({ release: true }));
        }

        await scheduler.scheduleTask({
          id: 'fabric-estate-discovery',
          frequency: { minutes: fabricConfig.discovery.schedule.frequencyMinutes },
          timeout: { minutes: 10 },
          initialDelay: { seconds: 0 },
          fn: async () => {
            await estate.refresh();
          },
        });
        logger.info('Fabric ready', {
          source: fabricConfig.estate.source,
          mode: fabricConfig.estate.mode,
          accounts: fabricConfig.estate.accounts.length,
        });
      },
    });
  },
});

function packageVersion(): string {
  // eslint-disable-next-line @backstage/no-relative-monorepo-imports
  return require('../package.json').version;
}

