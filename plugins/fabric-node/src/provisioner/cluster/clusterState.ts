import { KubeObject, KubernetesClient, RESOURCES } from '../../kubernetes/KubernetesClient';
import { Informer, InformerHandlers, startInformer } from '../../kubernetes/informer';
import { FABRIC_NODE_CLASS_GROUP, FABRIC_NODE_CLASS_KIND, FabricNodeClassResolved, FabricNodeClassSpec, FabricNodePool, NODEPOOL_TAG } from '../types';
import { setConditions } from './conditions';
import { isFabricNodePool, toFabricNodePool } from './nodePools';
import { instanceIdOf } from './nodeClaims';

/** What the provisioner knows of the hub cluster at one moment, from its informers. */
export interface ClusterSnapshot {
  pods: KubeObject[];
  nodes: KubeObject[];
  /** Only claims whose nodeClassRef is a FabricNodeClass. */
  nodeClaims: KubeObject[];
  /** Only NodePools whose nodeClassRef is a FabricNodeClass, parsed (budgets sized by their node count). */
  nodePools: FabricNodePool[];
  /** The raw fabric NodePools (for deletion checks and status). */
  nodePoolObjects: KubeObject[];
  nodeClasses: Array<{ name: string; spec: FabricNodeClassSpec; deleting: boolean }>;
  nodeClassObjects: KubeObject[];
}

/** The kinds the provisioner watches. */
export const CLUSTER_KINDS = ['pods', 'nodes', 'nodeClaims', 'nodePools', 'fabricNodeClasses'] as const;
export type ClusterKind = (typeof CLUSTER_KINDS)[number];

export interface ClusterState {
  /** Resolves once every informer has listed. */
  synced: Promise<void>;
  snapshot(): ClusterSnapshot;
  stop(): void;
}

export function isFabricNodeClaim(claim: KubeObject): boolean {
  const ref = claim.spec?.nodeClassRef;
  return ref?.group === FABRIC_NODE_CLASS_GROUP && ref?.kind === FABRIC_NODE_CLASS_KIND;
}

/**
 * Informers (watch + resync) on pods, nodes, NodeClaims, NodePools and FabricNodeClasses, and
 * a snapshot of them in the provisioner's vocabulary. `onChange(kind)` fires on every event
 * (and resync), so the caller can trigger its batcher or a registration pass without polling.
 */
export function startClusterState(
  client: KubernetesClient,
  options: {
    resyncMs?: number;
    onChange?(kind: ClusterKind): void;
    /** Per-kind handlers, e.g. `{ pods: { onAdd: set.observe, onUpdate: (_, p) => set.observe(p), onDelete: set.forget } }`. */
    handlers?: Partial<Record<ClusterKind, InformerHandlers<KubeObject>>>;
    onError?(error: unknown): void;
  } = {},
): ClusterState {
  const informers = {} as Record<ClusterKind, Informer<KubeObject>>;
  for (const kind of CLUSTER_KINDS) {
    const own = options.handlers?.[kind] ?? {};
    const changed = () => options.onChange?.(kind);
    informers[kind] = startInformer<KubeObject>(
      client,
      RESOURCES[kind],
      {
        onAdd: o => {
          own.onAdd?.(o);
          changed();
        },
        onUpdate: (a, b) => {
          own.onUpdate?.(a, b);
          changed();
        },
        onDelete: o => {
          own.onDelete?.(o);
          changed();
        },
      },
      { resyncMs: options.resyncMs, onError: options.onError },
    );
  }
  const kinds = CLUSTER_KINDS;
  return {
    synced: Promise.all(kinds.map(k => informers[k].synced)).then(() => undefined),
    snapshot: () => {
      const nodes = informers.nodes.list();
      const nodePoolObjects = informers.nodePools.list().filter(isFabricNodePool);
      const nodeClassObjects = informers.fabricNodeClasses.list();
      return {
        pods: informers.pods.list(),
        nodes,
        nodeClaims: informers.nodeClaims.list().filter(isFabricNodeClaim),
        nodePools: nodePoolObjects.map(p => toFabricNodePool(p, nodes.filter(n => n.metadata.labels?.[NODEPOOL_TAG] === p.metadata.name).length)),
        nodePoolObjects,
        nodeClasses: nodeClassObjects.map(c => ({ name: c.metadata.name, spec: c.spec as FabricNodeClassSpec, deleting: Boolean(c.metadata.deletionTimestamp) })),
        nodeClassObjects,
      };
    },
    stop: () => kinds.forEach(k => informers[k].stop()),
  };
}

/** The fabric claim of an instance (by the instance id in its providerID), e.g. for an interruption. */
export function claimOfInstance(claims: KubeObject[], instanceId: string): KubeObject | undefined {
  return claims.find(c => instanceIdOf(c.status?.providerID) === instanceId);
}

/**
 * Writes what the provisioner resolved a FabricNodeClass to (subnets by AZ-ID, security
 * groups) and its Ready condition with the reason, e.g. AccessDenied in the member account.
 * Written only when it changes.
 */
export async function setFabricNodeClassStatus(client: KubernetesClient, name: string, resolved: FabricNodeClassResolved): Promise<boolean> {
  return setConditions(
    client,
    RESOURCES.fabricNodeClasses,
    name,
    [
      resolved.ready
        ? { type: 'Ready', status: 'True', reason: 'Resolved' }
        : { type: 'Ready', status: 'False', reason: resolved.reason ?? 'NotResolved', message: resolved.reason ?? '' },
    ],
    {
      extraStatus: {
        subnets: resolved.subnets,
        securityGroups: resolved.securityGroups,
        ready: resolved.ready,
        ...(resolved.reason ? { reason: resolved.reason } : {}),
      },
    },
  );
}

/**
 * An in-process interruption source: `signal(instanceId)` delivers to every handler. The
 * production source (EventBridge → SQS) implements the same `InterruptionSource` interface.
 */
export function createInterruptionSignal(): { signal(instanceId: string): void; onInterruption(handler: (instanceId: string) => void): () => void } {
  const handlers = new Set<(instanceId: string) => void>();
  return {
    signal: instanceId => handlers.forEach(h => h(instanceId)),
    onInterruption: handler => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
}
