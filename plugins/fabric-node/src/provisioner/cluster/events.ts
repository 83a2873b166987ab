import { KubeObject, KubernetesClient, RESOURCES } from '../../kubernetes/KubernetesClient';
import { conditionReason, setConditions } from './conditions';

/** The reporting component of every fabric Event (`kubectl get events` SOURCE column). */
export const EVENT_SOURCE = 'fabric-provisioner';

export interface EventInput {
  /** The object the event is about (a Pod, NodeClaim, NodePool, Node). */
  involved: KubeObject & { apiVersion?: string; kind?: string };
  type: 'Normal' | 'Warning';
  /** CamelCase, e.g. `FailedProvisioning`. */
  reason: string;
  message: string;
}

/**
 * core/v1 Events without storms: the same (object, reason, message) is written once and then
 * only counted up, at most once per `minIntervalMs` (as the kubelet's event correlator does),
 * so a pod that stays unplaceable across a hundred batches makes one Event with a count.
 */
export class EventRecorder {
  private readonly recent = new Map<string, { name: string; namespace: string; count: number; writtenAt: number }>();

  constructor(
    private readonly client: KubernetesClient,
    private readonly options: { minIntervalMs?: number; namespaceForClusterObjects?: string; now?: () => number } = {},
  ) {}

  async record(input: EventInput): Promise<'created' | 'counted' | 'suppressed'> {
    const now = this.options.now?.() ?? Date.now();
    const { involved } = input;
    const key = `${involved.metadata.uid ?? involved.metadata.name}|${input.reason}|${input.message}`;
    const seen = this.recent.get(key);
    const timestamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (seen) {
      seen.count++;
      if (now - seen.writtenAt < (this.options.minIntervalMs ?? 60_000)) return 'suppressed';
      seen.writtenAt = now;
      await this.client.patch(RESOURCES.events, seen.name, { count: seen.count, lastTimestamp: timestamp }, { namespace: seen.namespace });
      return 'counted';
    }
    const namespace = involved.metadata.namespace ?? this.options.namespaceForClusterObjects ?? 'default';
    const created = await this.client.create<KubeObject>(RESOURCES.events, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${involved.metadata.name}.`, namespace } as any,
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        namespace: involved.metadata.namespace,
        uid: involved.metadata.uid,
        resourceVersion: involved.metadata.resourceVersion,
      },
      type: input.type,
      reason: conditionReason(input.reason),
      message: input.message.slice(0, 1024),
      source: { component: EVENT_SOURCE },
      reportingComponent: EVENT_SOURCE,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
    });
    this.recent.set(key, { name: created.metadata.name, namespace, count: 1, writtenAt: now });
    return 'created';
  }
}

/** NodePool condition the provisioner sets when pods for the pool cannot be placed. */
export const UNSCHEDULABLE_PODS_CONDITION = 'fabric.cloudspectra.io/PodsSchedulable';

/**
 * Says on the NodePool whether the fabric could place the pods meant for it, and why not
 * (the reason `decide` gave). Written only when it changes.
 */
export async function setNodePoolSchedulable(
  client: KubernetesClient,
  nodePool: string,
  unschedulable: Array<{ pod: string; reason: string }>,
): Promise<boolean> {
  const condition = unschedulable.length
    ? {
        type: UNSCHEDULABLE_PODS_CONDITION,
        status: 'False' as const,
        reason: 'NoOfferingFits',
        message: unschedulable
          .slice(0, 5)
          .map(u => `${u.pod}: ${u.reason}`)
          .join('; ')
          .concat(unschedulable.length > 5 ? ` (+${unschedulable.length - 5} more)` : ''),
      }
    : { type: UNSCHEDULABLE_PODS_CONDITION, status: 'True' as const, reason: 'AllPodsPlaced', message: '' };
  return setConditions(client, RESOURCES.nodePools, nodePool, [condition]);
}
