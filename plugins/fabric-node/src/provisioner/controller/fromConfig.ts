import { Inventory } from '@internal/backstage-plugin-fabric-common';
import { hostname } from 'node:os';
import { AwsClientFactory } from '../../aws/AwsClientFactory';
import { AwsRateLimits } from '../../aws/AwsRateLimits';
import { discoverEstate } from '../../discovery/aws';
import { FabricConfig, FabricConfigError } from '../../estate/EstateConfig';
import { KubernetesClient } from '../../kubernetes/KubernetesClient';
import { InsufficientCapacityCache } from '../../placement/InsufficientCapacityCache';
import { FABRIC_STARTUP_TAINT } from '../types';
import { nodeUserData } from './nodeUserData';
import { Provisioner, ProvisionerEvents } from './Provisioner';

/** The Lease one hub cluster's provisioners elect their leader with. */
export const PROVISIONER_LEASE_NAME = 'cloudspectra-fabric-provisioner';

export interface ProvisionerFromConfigOptions {
  /** Lease holder identity; default `<hostname>-<pid>` (in a pod: its name). */
  identity?: string;
  events?: ProvisionerEvents;
  /**
   * Where decisions get the live inventory. The backend passes its own (discovered on its
   * schedule); the standalone controller discovers on `fabric.discovery.schedule`.
   */
  inventory?: () => Promise<Inventory>;
  clients?: AwsClientFactory;
  rateLimits?: AwsRateLimits;
  insufficientCapacity?: InsufficientCapacityCache;
}

/**
 * Checks that the configuration can run the provisioner, with the key to fix when not:
 * it launches real instances, so it needs an AWS estate in apply mode and a hub cluster.
 */
export function assertProvisionerConfig(config: FabricConfig): void {
  if (!config.provisioner.enabled) {
    throw new FabricConfigError('fabric.provisioner.enabled', 'the provisioner is disabled; set it to true to run it');
  }
  if (!config.hub.kubernetes) {
    throw new FabricConfigError('fabric.hub.kubernetes', 'the provisioner needs the hub cluster it watches');
  }
  if (config.estate.source !== 'aws') {
    throw new FabricConfigError('fabric.estate.source', "the provisioner launches instances, so the estate must be 'aws'");
  }
  if (config.estate.mode !== 'apply') {
    throw new FabricConfigError('fabric.estate.mode', "plan-only never changes cloud resources; the provisioner needs 'apply'");
  }
}

/** Builds the provisioner the configuration describes (not started). */
export function provisionerFromConfig(config: FabricConfig, options: ProvisionerFromConfigOptions = {}): Provisioner {
  assertProvisionerConfig(config);
  const hub = config.hub.kubernetes!;
  const settings = config.provisioner;
  const clients =
    options.clients ?? new AwsClientFactory({ endpoint: config.aws.endpoint, maxAttempts: config.aws.maxAttempts, sessionName: 'cloudspectra-fabric-provisioner' });
  const rateLimits = options.rateLimits ?? new AwsRateLimits({ share: 1 / config.aws.replicas });
  const accounts = new Map(config.estate.accounts.map(a => [a.id, a]));
  const inventory = options.inventory ?? discoveringInventory(config, clients, options.events);
  const certificateAuthority = Buffer.from(hub.caData ?? '').toString('base64');
  return new Provisioner({
    client: new KubernetesClient({ server: hub.url, token: hub.token, caData: hub.caData, insecureSkipTlsVerify: hub.insecureSkipTlsVerify }),
    identity: options.identity ?? `${hostname()}-${process.pid}`,
    lease: { namespace: settings.namespace, name: PROVISIONER_LEASE_NAME, durationSeconds: settings.leaseDurationSeconds },
    batch: { idleMs: settings.batchIdleSeconds * 1000, maxMs: settings.batchMaxSeconds * 1000 },
    registrationTimeoutMs: settings.registrationTimeoutSeconds * 1000,
    garbageCollectionGraceMs: settings.garbageCollectionGraceSeconds * 1000,
    garbageCollectionIntervalMs: settings.garbageCollectionIntervalSeconds * 1000,
    lifecycleIntervalMs: settings.lifecycleIntervalSeconds * 1000,
    inventory,
    aws: {
      clients,
      rateLimits,
      accountOf: id => accounts.get(id),
      imageIdFor: nodeClass => {
        const image = settings.imageIds[nodeClass.spec.region];
        if (!image) throw new Error(`No node AMI for ${nodeClass.spec.region}: set fabric.provisioner.imageIds.${nodeClass.spec.region}`);
        return image;
      },
      userDataFor: () =>
        nodeUserData({
          clusterName: config.hub.clusterName,
          apiServerEndpoint: settings.apiServerEndpoint ?? hub.url,
          certificateAuthority,
          serviceCidr: config.hub.serviceCidr,
          taints: [{ key: FABRIC_STARTUP_TAINT, value: 'true', effect: 'NoSchedule' }],
        }),
    },
    owner: config.hub.clusterName,
    cluster: config.hub.clusterName,
    insufficientCapacity: options.insufficientCapacity,
    events: options.events,
  });
}

/**
 * The standalone controller's inventory: discovered at start and again on the discovery
 * schedule, in the background, so a decision never waits for a scan once one exists.
 */
function discoveringInventory(config: FabricConfig, clients: AwsClientFactory, events?: ProvisionerEvents): () => Promise<Inventory> {
  let current: Promise<Inventory> | undefined;
  let takenAt = 0;
  const periodMs = config.discovery.schedule.frequencyMinutes * 60_000;
  const scan = (previous?: Inventory) => discoverEstate({ config, clients, previous });
  return async () => {
    if (!current) {
      current = scan();
      takenAt = Date.now();
    } else if (Date.now() - takenAt > periodMs) {
      takenAt = Date.now();
      const previous = await current;
      const next = scan(previous);
      next.then(
        () => {
          current = next;
        },
        error => events?.warn?.('Discovery failed; deciding on the previous inventory', { error: String(error) }),
      );
      return previous;
    }
    return current;
  };
}
