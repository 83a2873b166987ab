import {
  NodeClaimRow,
  NodeClaimState,
  NodeClaimsResponse,
  PendingPodRow,
  ProvisionerHealthResponse,
} from '@internal/backstage-plugin-fabric-common';
import { KubernetesApiError, KubernetesApplier, KubernetesObject, KubernetesTarget } from '../../kubernetes';
import {
  CAPACITY_TYPE_LABEL,
  CELL_LABEL,
  DECISIONS_PER_SECOND_ANNOTATION,
  ENTITY_ANNOTATION,
  FABRIC_GROUP,
  FABRIC_UNSCHEDULABLE_REASON,
  INSTANCE_TYPE_LABEL,
  KARPENTER_API_VERSION,
  LAST_BATCH_AT_ANNOTATION,
  NODEPOOL_LABEL,
  PENDING_PODS_ANNOTATION,
  PLACEMENT_LABEL,
  PRICE_PER_HOUR_ANNOTATION,
  PROVISIONER_LEASE_NAME,
  PROVISIONER_NAMESPACE,
  ZONE_ID_LABEL,
} from '../wellKnown';

/** The hub cluster could not be read (unreachable, refused the credentials, timed out). */
export class HubClusterUnavailableError extends Error {
  constructor(message: string, readonly cause?: unknown) {
    super(message);
    this.name = 'HubClusterUnavailableError';
  }
}

export interface NodeClaimFilter {
  /** `<account>.<region>`. */
  cell?: string;
  nodePool?: string;
  /** Claims whose entity annotation is this ref; pending pods of the same placements. */
  entityRef?: string;
  /**
   * Placement names (the `fabric.cloudspectra.io/placement` label) that also belong to the
   * entity, so its pods show while they wait for their first node.
   */
  placements?: string[];
}

export interface HubClusterReaderOptions {
  /** Where the provisioner's leader-election Lease lives. */
  leaseNamespace?: string;
  leaseName?: string;
  now?: () => Date;
}

type Condition = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string };

interface NodeClaimObject extends KubernetesObject {
  metadata: KubernetesObject['metadata'] & {
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
  };
  spec?: { nodeClassRef?: { group?: string; kind?: string; name?: string } };
  status?: { providerID?: string; nodeName?: string; conditions?: Condition[] };
}

interface PodObject extends KubernetesObject {
  metadata: KubernetesObject['metadata'] & { uid?: string; creationTimestamp?: string };
  status?: { conditions?: Condition[] };
}

interface EventObject extends KubernetesObject {
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
  reason?: string;
  message?: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  series?: { lastObservedTime?: string };
  metadata: KubernetesObject['metadata'] & { creationTimestamp?: string };
}

interface LeaseObject extends KubernetesObject {
  metadata: KubernetesObject['metadata'] & { annotations?: Record<string, string> };
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

/**
 * Reads what the fabric's provisioner left in the hub cluster, for the portal: its
 * NodeClaims and their Nodes, the pods still waiting with the fabric's reason, and the
 * health the leader publishes on its Lease. Read-only: it never writes to the cluster.
 */
export class HubClusterReader {
  private readonly kube: KubernetesApplier;
  private readonly leaseNamespace: string;
  private readonly leaseName: string;
  private readonly now: () => Date;

  constructor(target: KubernetesTarget, options: HubClusterReaderOptions = {}) {
    // A portal page waits on this: an unreachable cluster must answer quickly, not hang.
    this.kube = new KubernetesApplier({ ...target, timeoutMs: target.timeoutMs ?? 10_000 });
    this.leaseNamespace = options.leaseNamespace ?? PROVISIONER_NAMESPACE;
    this.leaseName = options.leaseName ?? PROVISIONER_LEASE_NAME;
    this.now = options.now ?? (() => new Date());
  }

  /** Fabric-managed NodeClaims (nodeClassRef group `fabric.cloudspectra.io`) and pending fabric pods. */
  async nodeClaims(filter: NodeClaimFilter = {}): Promise<NodeClaimsResponse> {
    const [claims, nodes, pods, events] = await this.reading(() =>
      Promise.all([
        this.kube.list<NodeClaimObject>({ apiVersion: KARPENTER_API_VERSION, kind: 'NodeClaim' }),
        this.kube.list<KubernetesObject & { spec?: { providerID?: string } }>({ apiVersion: 'v1', kind: 'Node' }),
        this.kube.list<PodObject>({
          apiVersion: 'v1',
          kind: 'Pod',
          labelSelector: PLACEMENT_LABEL,
          // Not yet bound to a node: a bound pod waits for its kubelet, not for the fabric.
          fieldSelector: 'status.phase=Pending,spec.nodeName=',
        }),
        this.kube.list<EventObject>({
          apiVersion: 'v1',
          kind: 'Event',
          fieldSelector: `reason=${FABRIC_UNSCHEDULABLE_REASON},involvedObject.kind=Pod`,
        }),
      ]),
    );

    const nodeByProviderId = new Map<string, string>();
    for (const node of nodes) {
      if (node.spec?.providerID) nodeByProviderId.set(node.spec.providerID, node.metadata.name);
    }
    const now = this.now();
    const items = claims
      .filter(claim => claim.spec?.nodeClassRef?.group === FABRIC_GROUP)
      .map(claim => nodeClaimRow(claim, nodeByProviderId, now))
      .filter(row => matchesClaim(row, filter))
      .sort((a, b) => (a.cell ?? '').localeCompare(b.cell ?? '') || a.name.localeCompare(b.name));

    const entityPlacements = new Set(filter.placements ?? []);
    for (const row of items) if (row.placement) entityPlacements.add(row.placement);
    const fabricEvents = fabricEventsByPod(events);
    const pendingPods = pods
      .filter(pod => {
        if (!filter.entityRef) return true;
        const placement = pod.metadata.labels?.[PLACEMENT_LABEL];
        const entity = (pod.metadata as { annotations?: Record<string, string> }).annotations?.[ENTITY_ANNOTATION];
        return (placement !== undefined && entityPlacements.has(placement)) || sameRef(entity, filter.entityRef);
      })
      .map(pod => pendingPodRow(pod, fabricEvents))
      .sort((a, b) => a.since.localeCompare(b.since) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));

    return { configured: true, items, pendingPods };
  }

  /** The provisioner's health as its leader-election Lease tells it. */
  async provisionerHealth(): Promise<ProvisionerHealthResponse> {
    const lease = await this.reading(() =>
      this.kube.get<LeaseObject>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.leaseName, namespace: this.leaseNamespace },
      }),
    );
    if (!lease) return { configured: true };
    const annotations = lease.metadata.annotations ?? {};
    const renewedAt = lease.spec?.renewTime;
    const durationSeconds = lease.spec?.leaseDurationSeconds;
    const leaseExpired =
      !lease.spec?.holderIdentity ||
      !renewedAt ||
      durationSeconds === undefined ||
      Date.parse(renewedAt) + durationSeconds * 1000 < this.now().getTime();
    return {
      configured: true,
      leader: lease.spec?.holderIdentity || undefined,
      renewedAt,
      leaseExpired,
      lastBatchAt: annotations[LAST_BATCH_AT_ANNOTATION],
      decisionsPerSecond: numberOf(annotations[DECISIONS_PER_SECOND_ANNOTATION]),
      pendingPods: numberOf(annotations[PENDING_PODS_ANNOTATION]),
    };
  }

  /** Turns transport failures and refusals into one error the REST layer answers with 503. */
  private async reading<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof KubernetesApiError) {
        throw new HubClusterUnavailableError(`The hub cluster refused the read: ${error.message}`, error);
      }
      const detail = (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? String(error);
      throw new HubClusterUnavailableError(`The hub cluster is unreachable: ${detail}`, error);
    }
  }
}

/** Where a claim is, from its deletion mark and conditions (Karpenter's own condition types). */
export function nodeClaimState(claim: Pick<NodeClaimObject, 'metadata' | 'status'>): { state: NodeClaimState; reason?: string } {
  const conditions = claim.status?.conditions ?? [];
  const condition = (type: string) => conditions.find(c => c.type === type);
  const explain = (c?: Condition) => {
    const text = [c?.reason, c?.message].filter(Boolean).join(': ');
    return text || undefined;
  };
  if (claim.metadata.deletionTimestamp) {
    return { state: 'Terminating', reason: explain(condition('Ready')?.status === 'False' ? condition('Ready') : undefined) };
  }
  if (condition('Ready')?.status === 'True') return { state: 'Ready' };
  const failed = ['Launched', 'Registered', 'Initialized'].map(condition).find(c => c?.status === 'False');
  if (failed) return { state: 'Failed', reason: explain(failed) };
  if (condition('Registered')?.status === 'True') {
    return { state: 'Registered', reason: explain(condition('Initialized') ?? condition('Ready')) };
  }
  return { state: 'Launching', reason: explain(condition('Launched')) };
}

function nodeClaimRow(claim: NodeClaimObject, nodeByProviderId: Map<string, string>, now: Date): NodeClaimRow {
  const labels = claim.metadata.labels ?? {};
  const annotations = claim.metadata.annotations ?? {};
  const cell = labels[CELL_LABEL];
  const cellDot = cell?.indexOf('.') ?? -1;
  const providerId = claim.status?.providerID;
  const createdAt = claim.metadata.creationTimestamp ?? now.toISOString();
  const { state, reason } = nodeClaimState(claim);
  return omitUndefined({
    name: claim.metadata.name,
    nodePool: labels[NODEPOOL_LABEL],
    cell,
    accountId: cell && cellDot > 0 ? cell.slice(0, cellDot) : undefined,
    region: cell && cellDot > 0 ? cell.slice(cellDot + 1) : undefined,
    azId: labels[ZONE_ID_LABEL],
    instanceType: labels[INSTANCE_TYPE_LABEL],
    capacityType: labels[CAPACITY_TYPE_LABEL],
    instanceId: providerId?.startsWith('aws://') ? providerId.split('/').pop() || undefined : undefined,
    nodeName: claim.status?.nodeName || (providerId ? nodeByProviderId.get(providerId) : undefined),
    state,
    reason,
    placement: labels[PLACEMENT_LABEL],
    entityRef: annotations[ENTITY_ANNOTATION],
    createdAt,
    ageSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(createdAt)) / 1000)),
    pricePerHour: numberOf(annotations[PRICE_PER_HOUR_ANNOTATION]),
  });
}

function matchesClaim(row: NodeClaimRow, filter: NodeClaimFilter): boolean {
  if (filter.cell && row.cell !== filter.cell) return false;
  if (filter.nodePool && row.nodePool !== filter.nodePool) return false;
  if (filter.entityRef && !sameRef(row.entityRef, filter.entityRef)) return false;
  return true;
}

/** Entity refs compare case-insensitively, as the catalog does. */
function sameRef(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLocaleLowerCase('en-US') === b.toLocaleLowerCase('en-US');
}

function eventTime(event: EventObject): string {
  return event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp ?? '';
}

/** Per pod (namespace/name): its newest FabricUnschedulable event and when the first one was. */
function fabricEventsByPod(events: EventObject[]): Map<string, { latest: EventObject; firstAt: string }> {
  const byPod = new Map<string, { latest: EventObject; firstAt: string }>();
  for (const event of events) {
    const pod = event.involvedObject;
    if (!pod?.name) continue;
    const key = `${pod.namespace ?? event.metadata.namespace}/${pod.name}`;
    const firstAt = event.firstTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp ?? '';
    const current = byPod.get(key);
    if (!current) {
      byPod.set(key, { latest: event, firstAt });
      continue;
    }
    if (eventTime(event) > eventTime(current.latest)) current.latest = event;
    if (firstAt && firstAt < current.firstAt) current.firstAt = firstAt;
  }
  return byPod;
}

function pendingPodRow(pod: PodObject, fabricEvents: ReturnType<typeof fabricEventsByPod>): PendingPodRow {
  const namespace = pod.metadata.namespace ?? 'default';
  const events = fabricEvents.get(`${namespace}/${pod.metadata.name}`);
  const scheduled = pod.status?.conditions?.find(c => c.type === 'PodScheduled' && c.status === 'False');
  const createdAt = pod.metadata.creationTimestamp ?? '';
  return omitUndefined({
    namespace,
    name: pod.metadata.name,
    placement: pod.metadata.labels?.[PLACEMENT_LABEL],
    // The fabric's own word first; the scheduler's only while the fabric has said nothing.
    reason: events?.latest.message ?? scheduled?.message,
    // Since the fabric first said it could not place the pod; before that, since it exists.
    since: events?.firstAt || createdAt,
  });
}

function numberOf(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
