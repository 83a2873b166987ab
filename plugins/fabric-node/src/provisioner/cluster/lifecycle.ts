import { KubernetesApiError } from '../../kubernetes/KubernetesApplier';
import { KubeObject, KubernetesClient, RESOURCES } from '../../kubernetes/KubernetesClient';
import { FABRIC_NODE_CLASS_GROUP, FABRIC_NODE_CLASS_KIND, FabricNodePool, NODEPOOL_TAG } from '../types';

/** Marks a node unschedulable so nothing new lands on it while it is drained. */
export async function cordon(client: KubernetesClient, nodeName: string): Promise<void> {
  await client.patch(RESOURCES.nodes, nodeName, { spec: { unschedulable: true } });
}

/** DaemonSet pods and static (mirror) pods stay: they belong to the node, not to a workload. */
function staysOnNode(pod: KubeObject): boolean {
  if (pod.metadata.annotations?.['kubernetes.io/config.mirror']) return true;
  return (pod.metadata.ownerReferences ?? []).some(o => o.kind === 'DaemonSet');
}

function isTerminal(pod: KubeObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** The pods a drain must move off a node. */
export function podsToDrain(nodeName: string, pods: KubeObject[]): KubeObject[] {
  return pods.filter(p => p.spec?.nodeName === nodeName && !staysOnNode(p) && !isTerminal(p));
}

export interface DrainResult {
  /** Pods asked to leave (deletionTimestamp set by the eviction). */
  evicted: string[];
  /** Pods a PodDisruptionBudget holds for now (429): retry on the next pass. */
  blocked: string[];
  /** True once no pod that must move is left on the node (terminating pods count as still there). */
  drained: boolean;
}

/**
 * One drain pass: evicts (Eviction API, so PodDisruptionBudgets hold) every pod that must
 * move. Owned pods are recreated by their controller and scheduled elsewhere; a bare pod has
 * no owner, so eviction ends it, as `kubectl drain --force` and Karpenter do. The node counts
 * as drained when none of those pods remains — the kubelet removes them once their containers
 * stopped — so the caller terminates the instance only after the workload left.
 */
export async function drainNode(client: KubernetesClient, nodeName: string, pods: KubeObject[]): Promise<DrainResult> {
  const result: DrainResult = { evicted: [], blocked: [], drained: false };
  const remaining = podsToDrain(nodeName, pods);
  for (const pod of remaining) {
    if (pod.metadata.deletionTimestamp) continue;
    try {
      await client.evict(pod.metadata.namespace!, pod.metadata.name);
      result.evicted.push(`${pod.metadata.namespace}/${pod.metadata.name}`);
    } catch (error) {
      if (error instanceof KubernetesApiError && error.statusCode === 429) result.blocked.push(`${pod.metadata.namespace}/${pod.metadata.name}`);
      else if (!(error instanceof KubernetesApiError && error.statusCode === 404)) throw error;
    }
  }
  result.drained = remaining.length === 0;
  return result;
}

/**
 * Remembers since when each fabric node has been empty (no pod that a drain would move).
 * In memory: a new leader starts the clocks afresh, which only delays a consolidation.
 */
export class EmptinessTracker {
  private readonly emptySince = new Map<string, number>();

  observe(nodes: KubeObject[], pods: KubeObject[], now = Date.now()): void {
    const busy = new Set(pods.filter(p => p.spec?.nodeName && !staysOnNode(p) && !isTerminal(p)).map(p => p.spec.nodeName as string));
    const names = new Set(nodes.map(n => n.metadata.name));
    for (const name of names) {
      if (busy.has(name)) this.emptySince.delete(name);
      else if (!this.emptySince.has(name)) this.emptySince.set(name, now);
    }
    for (const name of [...this.emptySince.keys()]) if (!names.has(name)) this.emptySince.delete(name);
  }

  emptyForMs(nodeName: string, now = Date.now()): number | undefined {
    const since = this.emptySince.get(nodeName);
    return since === undefined ? undefined : now - since;
  }
}

/**
 * Empty fabric nodes whose pool's `consolidateAfter` has passed, at most as many per pool as
 * its disruption budget allows beside the nodes already being disrupted (cordoned). Pools
 * without `consolidateAfter` (or `Never`) keep their nodes.
 */
export function nodesToConsolidate(
  nodes: KubeObject[],
  pools: FabricNodePool[],
  tracker: EmptinessTracker,
  now = Date.now(),
): string[] {
  const chosen: string[] = [];
  for (const pool of pools) {
    if (pool.consolidateAfterSeconds === undefined) continue;
    const poolNodes = nodes.filter(n => n.metadata.labels?.[NODEPOOL_TAG] === pool.name);
    const disrupting = poolNodes.filter(n => n.spec?.unschedulable).length;
    let allowed = (pool.disruptionBudgetNodes ?? Math.ceil(poolNodes.length * 0.1)) - disrupting;
    for (const node of poolNodes) {
      if (allowed <= 0) break;
      if (node.spec?.unschedulable) continue;
      const empty = tracker.emptyForMs(node.metadata.name, now);
      if (empty !== undefined && empty >= pool.consolidateAfterSeconds * 1000) {
        chosen.push(node.metadata.name);
        allowed--;
      }
    }
  }
  return chosen;
}

/**
 * Fabric claims whose NodePool or FabricNodeClass is being deleted or is gone: their nodes
 * are drained and terminated (Karpenter does the same for its own pools).
 */
export function claimsOfDeletedOwners(claims: KubeObject[], nodePools: KubeObject[], nodeClasses: KubeObject[]): string[] {
  const live = (objects: KubeObject[]) => new Set(objects.filter(o => !o.metadata.deletionTimestamp).map(o => o.metadata.name));
  const pools = live(nodePools);
  const classes = live(nodeClasses);
  return claims
    .filter(c => c.spec?.nodeClassRef?.group === FABRIC_NODE_CLASS_GROUP && c.spec?.nodeClassRef?.kind === FABRIC_NODE_CLASS_KIND)
    .filter(c => !pools.has(c.metadata.labels?.[NODEPOOL_TAG] ?? '') || !classes.has(c.spec.nodeClassRef.name))
    .map(c => c.metadata.name);
}

/** Where interruption signals come from: in production the EventBridge → SQS queue; in tests, a call. */
export interface InterruptionSource {
  onInterruption(handler: (instanceId: string) => void): () => void;
}

/** The steps a replacement takes; the launch side supplies them. */
export interface ReplacementSteps {
  cordon(): Promise<void>;
  /** Launches the replacement claim (same pool, same pods) and returns its name. */
  launchReplacement(): Promise<string>;
  /** Resolves once the replacement is Ready (or rejects after the registration timeout). */
  waitUntilReady(claimName: string): Promise<void>;
  /** Drains the old node until no pod that must move is left. */
  drain(): Promise<void>;
  /** Terminates the old instance and lets its claim go. */
  terminate(): Promise<void>;
}

/**
 * Replacement-first ordering for an interrupted (or consolidated-with-replacement) node:
 * cordon → launch the replacement → wait until it is Ready → drain → terminate. If the
 * replacement never becomes Ready, the old node is still drained and terminated (a spot
 * interruption takes it anyway), and the error is returned so the caller can record it.
 */
export async function replaceThenDrain(steps: ReplacementSteps): Promise<{ replacement?: string; error?: unknown }> {
  await steps.cordon();
  let replacement: string | undefined;
  let error: unknown;
  try {
    replacement = await steps.launchReplacement();
    await steps.waitUntilReady(replacement);
  } catch (e) {
    error = e;
  }
  await steps.drain();
  await steps.terminate();
  return { replacement, error };
}
