import { CellRef, cellId, InstanceTypeInfo, Inventory } from '@internal/backstage-plugin-fabric-common';
import { AccountCredentialsRef, AwsClientFactory } from '../../aws/AwsClientFactory';
import { AwsRateLimits } from '../../aws/AwsRateLimits';
import { describeAwsError } from '../../aws/errors';
import { PLACEMENT_LABEL } from '../../compile/labels';
import { Informer, startInformer } from '../../kubernetes/informer';
import { isConflict, KubeObject, KubernetesClient, RESOURCES } from '../../kubernetes/KubernetesClient';
import { InsufficientCapacityCache } from '../../placement/InsufficientCapacityCache';
import { groupBatch, PendingPodWatch, PodBatch, startPendingPodWatch } from '../cluster/batcher';
import { conditionOf } from '../cluster/conditions';
import { setFabricNodeClassStatus } from '../cluster/clusterState';
import { EventRecorder, setNodePoolSchedulable } from '../cluster/events';
import { LeaderElector, startLeaderElection } from '../cluster/leaderElection';
import { cordon, drainNode, EmptinessTracker, InterruptionSource, nodesToConsolidate, claimsOfDeletedOwners, replaceThenDrain } from '../cluster/lifecycle';
import { createNodeClaim, instanceIdOf, markLaunched, markLaunchFailed, releaseNodeClaim } from '../cluster/nodeClaims';
import { isFabricNodePool, toFabricNodePool } from '../cluster/nodePools';

import { indexNodesByInstance, liftGangGates, registerNodes } from '../cluster/registration';
import { decide, InFlightClaim, NodeClassView } from '../decide';
import { capacityOf } from '../decide/scheduling';
import { podsFittingExistingCapacity } from './existingCapacity';
import { collectGarbage, launchClaims, listFabricInstances, terminateInstances } from '../launch';
import { resolveNodeClass } from '../nodeClass';
import { FabricNodeClassResolved, FabricNodeClassSpec, NodeClaimDecision, PendingPod, Resources } from '../types';
import {
  capacityTypeOfClaim,
  cellOfClaim,
  CLAIM_DECISION_ANNOTATION,
  decisionOfClaim,
  gangOfClaim,
  instanceTypeOfClaim,
  isDeleting,
  isLaunched,
  isReady,
  nodePoolOfClaim,
  podsOfClaim,
  readySince,
} from './claimState';

/** What the provisioner tells the outside world (logs, audit, the portal's health card). */
export interface ProvisionerEvents {
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  /** Every launch and termination, with the placement it served (for the audit log). */
  audit?(event: {
    action: 'launch' | 'terminate';
    claim: string;
    instanceIds: string[];
    cell: string;
    placement?: string;
    reason: string;
  }): void;
}

export interface ProvisionerOptions {
  client: KubernetesClient;
  /** This replica's identity (pod name, host:pid): the Lease's holderIdentity. */
  identity: string;
  lease: { namespace: string; name: string; durationSeconds: number };
  batch?: { idleMs?: number; maxMs?: number };
  registrationTimeoutMs?: number;
  garbageCollectionGraceMs?: number;
  /** How often instances are listed for garbage collection (default 60 s). */
  garbageCollectionIntervalMs?: number;
  lifecycleIntervalMs?: number;
  /** The live inventory decisions are made on (prices, quota headroom, AZ-IDs). */
  inventory(): Promise<Inventory>;
  aws: {
    clients: AwsClientFactory;
    rateLimits: AwsRateLimits;
    accountOf(accountId: string): AccountCredentialsRef | undefined;
    /** AMI of nodes launched from a per-NodeClass template. */
    imageIdFor(nodeClass: NodeClassView): string;
    userDataFor?(nodeClass: NodeClassView): string | undefined;
  };
  /** Owner tag value (this hub cluster's fabric); GC only ever touches instances carrying it. */
  owner: string;
  cluster: string;
  insufficientCapacity?: InsufficientCapacityCache;
  interruptions?: InterruptionSource;
  events?: ProvisionerEvents;
}

/** The provisioner's health, published on its Lease and read by the portal. */
export interface ProvisionerHealth {
  leader: boolean;
  observedLeader?: string;
  lastBatchAt?: string;
  decisionsPerSecond: number;
  pendingPods: number;
  launches: number;
  terminations: number;
}

/** Health annotations on the Lease (the portal reads them). */
export const LAST_BATCH_ANNOTATION = 'fabric.cloudspectra.io/last-batch-at';
export const DECISIONS_PER_SECOND_ANNOTATION = 'fabric.cloudspectra.io/decisions-per-second';
export const PENDING_PODS_ANNOTATION = 'fabric.cloudspectra.io/pending-pods';

/** A claim that became Ready this recently still covers its pods: the scheduler may not have bound them yet. */
const READY_COVER_MS = 60_000;
/** Decide → launch rounds per batch: each round retries what AWS refused on the next offering. */
const MAX_ROUNDS = 4;
/** A cell whose role was refused is skipped for this long, then tried again. */
const UNUSABLE_CELL_MS = 5 * 60_000;
/** A cell whose launch failed otherwise (a bad subnet, a missing template) is skipped this long. */
const FAILED_CELL_MS = 30_000;
/** FabricNodeClass selectors are resolved again after this long (subnets come and go). */
const NODE_CLASS_REFRESH_MS = 60_000;

/**
 * The fabric provisioner: Karpenter's provisioning and lifecycle loop, across accounts and
 * regions. Pending pods (unschedulable, or held by the gang gate) are batched, decided on
 * the live inventory, recorded as NodeClaims and launched with CreateFleet in the cell's
 * own account; nodes are registered by providerID, gangs released only when whole, and
 * nodes drained and terminated when interrupted, empty, timed out or no longer wanted.
 *
 * Every replica runs the informers; only the Lease holder acts. All actions are
 * idempotent and run one at a time, so a takeover mid-launch resumes from the claims.
 */
export class Provisioner {
  private readonly client: KubernetesClient;
  private readonly ice: InsufficientCapacityCache;
  private readonly events: EventRecorder;
  private readonly emptiness = new EmptinessTracker();
  private readonly nodeClassCache = new Map<string, { generation: number; at: number; view: NodeClassView }>();
  private readonly unusableCells = new Map<string, { until: number; reason: string }>();
  private readonly launchBackoff = new Map<string, number>();
  private readonly interrupted = new Set<string>();
  private elector?: LeaderElector;
  private pods?: PendingPodWatch;
  private nodePools?: Informer<KubeObject>;
  private nodeClasses?: Informer<KubeObject>;
  private claims?: Informer<KubeObject>;
  private nodes?: Informer<KubeObject>;
  private timer?: NodeJS.Timeout;
  private stopInterruptions?: () => void;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastCollection = 0;
  private readonly healthState: ProvisionerHealth = { leader: false, decisionsPerSecond: 0, pendingPods: 0, launches: 0, terminations: 0 };

  constructor(private readonly options: ProvisionerOptions) {
    this.client = options.client;
    this.ice = options.insufficientCapacity ?? new InsufficientCapacityCache();
    this.events = new EventRecorder(this.client, { namespaceForClusterObjects: options.lease.namespace });
  }

  /** Starts watching and competing for the Lease; resolves once the informers have synced. */
  async start(): Promise<void> {
    const onError = (error: unknown) => this.options.events?.warn?.('Provisioner watch error', { error: describeAwsError(error) });
    const nudge = () => this.schedule(() => this.reconcile());
    this.nodePools = startInformer(this.client, RESOURCES.nodePools, { onAdd: nudge, onUpdate: nudge, onDelete: nudge }, { onError });
    this.nodeClasses = startInformer(this.client, RESOURCES.fabricNodeClasses, { onAdd: nudge, onUpdate: nudge, onDelete: nudge }, { onError });
    this.claims = startInformer(this.client, RESOURCES.nodeClaims, { onUpdate: nudge }, { onError });
    this.nodes = startInformer(this.client, RESOURCES.nodes, { onAdd: nudge, onUpdate: nudge }, { onError });
    this.pods = startPendingPodWatch(this.client, batch => this.schedule(() => this.provision(batch)), {
      idleMs: this.options.batch?.idleMs,
      maxMs: this.options.batch?.maxMs,
      onError,
    });
    await Promise.all([this.nodePools.synced, this.nodeClasses.synced, this.claims.synced, this.nodes.synced, this.pods.informer.synced]);
    this.elector = startLeaderElection(this.client, {
      namespace: this.options.lease.namespace,
      name: this.options.lease.name,
      identity: this.options.identity,
      leaseDurationSeconds: this.options.lease.durationSeconds,
      annotations: () => this.healthAnnotations(),
      onStartedLeading: () => {
        this.options.events?.info?.('Provisioner is leading', { identity: this.options.identity });
        this.schedule(() => this.provisionPending());
      },
      onStoppedLeading: () => this.options.events?.info?.('Provisioner stopped leading', { identity: this.options.identity }),
      onError,
    });
    this.stopInterruptions = this.options.interruptions?.onInterruption(instanceId =>
      this.schedule(() => this.handleInterruption(instanceId)),
    );
    const interval = this.options.lifecycleIntervalMs ?? 10_000;
    this.timer = setInterval(() => this.schedule(() => this.tick()), interval);
    this.timer.unref?.();
  }

  /** Stops everything; `release: false` leaves the Lease as a crashed replica would. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.stopInterruptions?.();
    this.pods?.stop();
    this.nodePools?.stop();
    this.nodeClasses?.stop();
    this.claims?.stop();
    this.nodes?.stop();
    await this.queue.catch(() => undefined);
    await this.elector?.stop(options);
  }

  isLeader(): boolean {
    return !this.stopped && !!this.elector?.isLeader();
  }

  health(): ProvisionerHealth {
    return { ...this.healthState, leader: this.isLeader(), observedLeader: this.elector?.observedLeader() };
  }

  /** The ICE cache the loop feeds (shown by the portal and the placement reasons). */
  insufficientCapacity(): InsufficientCapacityCache {
    return this.ice;
  }

  /** Runs work one piece at a time, so decisions never race each other. */
  private schedule(work: () => Promise<void>): Promise<void> {
    const run = async () => {
      if (this.stopped || !this.isLeader()) return;
      try {
        await work();
      } catch (error) {
        this.options.events?.warn?.('Provisioner pass failed; it is retried on the next pass', { error: describeAwsError(error) });
      }
    };
    this.queue = this.queue.then(run, run);
    return this.queue;
  }

  private healthAnnotations(): Record<string, string> {
    return {
      ...(this.healthState.lastBatchAt ? { [LAST_BATCH_ANNOTATION]: this.healthState.lastBatchAt } : {}),
      [DECISIONS_PER_SECOND_ANNOTATION]: this.healthState.decisionsPerSecond.toFixed(1),
      [PENDING_PODS_ANNOTATION]: String(this.healthState.pendingPods),
    };
  }

  // ---------------------------------------------------------------- provisioning

  private async tick(): Promise<void> {
    await this.reconcile();
    await this.provisionPending();
  }

  /** Pending pods no claim covers: left over after ICE, a timeout, a restart or a takeover. */
  private async provisionPending(): Promise<void> {
    const pending = this.pods?.pending() ?? [];
    // Health drops to 0 once every pod has a node: no further batch may come to say so.
    this.healthState.pendingPods = pending.length;
    if (pending.length === 0) return;
    await this.provision(groupBatch(pending));
  }

  private async provision(batch: PodBatch): Promise<void> {
    const started = Date.now();
    const covered = this.coveredPods();
    let pods = batch.pods.filter(p => !covered.has(p.uid));
    this.healthState.pendingPods = batch.pods.length;
    if (pods.length === 0) {
      await this.reportIncompleteGangs(batch);
      return;
    }
    const inventory = await this.options.inventory();
    const fitting = podsFittingExistingCapacity({
      pods,
      nodes: this.nodes?.list() ?? [],
      claims: this.claims?.list() ?? [],
      allPods: this.pods?.informer.list() ?? [],
      instanceTypes: inventory.instanceTypes,
    });
    pods = pods.filter(p => !fitting.has(p.uid));
    if (pods.length === 0) return;
    let decided = 0;
    const reasons = new Map<string, string>();
    for (let round = 0; round < MAX_ROUNDS && pods.length > 0; round++) {
      const nodeClasses = await this.usableNodeClasses();
      const classNames = new Set(nodeClasses.map(c => c.name));
      const pools = this.fabricNodePools().filter(p => classNames.has(p.nodeClassName) && !p.deleting);
      const excluded = this.excludedCells();
      const decision = decide({
        pods,
        nodePools: pools,
        nodeClasses,
        inventory,
        insufficientCapacity: this.ice,
        inFlight: this.inFlightClaims(inventory),
        nodePoolUsage: this.nodePoolUsage(inventory),
        now: new Date(),
      });
      decided += pods.length;
      for (const u of decision.unschedulable) reasons.set(u.uid, excluded.length ? `${u.reason} (cells skipped for now: ${excluded.join('; ')})` : u.reason);
      if (decision.claims.length === 0) break;
      const retry = await this.launch(decision.claims, pods);
      // Pods whose launch was refused go round again: the ICE cache or the unusable cell
      // now steers decide to the next offering, in this same batch.
      pods = pods.filter(p => retry.has(p.uid));
      for (const p of pods) reasons.delete(p.uid);
    }
    await this.reportUnschedulable(batch, reasons);
    await this.reportIncompleteGangs(batch);
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    this.healthState.lastBatchAt = new Date().toISOString();
    this.healthState.decisionsPerSecond = decided / seconds;
  }

  /** Creates the claims and launches them; returns the pods whose launch AWS refused. */
  private async launch(decisions: NodeClaimDecision[], pods: PendingPod[]): Promise<Set<string>> {
    const placementOf = new Map(pods.map(p => [p.uid, p.placement]));
    const created: Array<{ claim: NodeClaimDecision; uid: string; placement?: string }> = [];
    for (const decided of decisions) {
      const pool = this.nodePools?.get(decided.nodePool);
      const placement = decided.podUids.map(uid => placementOf.get(uid)).find(Boolean);
      const made = await this.createClaim(decided, {
        labels: { ...(placement ? { [PLACEMENT_LABEL]: placement } : {}), ...(pool?.spec?.template?.metadata?.labels ?? {}) },
        taints: pool?.spec?.template?.spec?.taints,
        startupTaints: pool?.spec?.template?.spec?.startupTaints,
      });
      if (made) created.push({ claim: made.decision, uid: made.uid, placement });
    }
    return this.launchCreated(created);
  }

  /**
   * Creates a decision's NodeClaim, with the decision recorded on it. Decide names a claim
   * after its pods, so the same pods decided again (after a refused launch whose claim is
   * still being let go) get the same name: that one is then suffixed. A live claim of that
   * name already stands for the pods, and nothing is created.
   */
  private async createClaim(
    decision: NodeClaimDecision,
    pool: Parameters<typeof createNodeClaim>[2],
  ): Promise<{ decision: NodeClaimDecision; uid: string } | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const named = attempt === 0 ? decision : { ...decision, name: `${decision.name}-${attempt}` };
      try {
        const object = await createNodeClaim(this.client, named, pool);
        await this.client.patch(RESOURCES.nodeClaims, named.name, {
          metadata: { annotations: { [CLAIM_DECISION_ANNOTATION]: JSON.stringify(named) } },
        });
        return { decision: named, uid: object.metadata.uid! };
      } catch (error) {
        if (!isConflict(error)) throw error;
        const existing = await this.client.get<KubeObject>(RESOURCES.nodeClaims, named.name);
        if (existing && !isDeleting(existing)) return undefined;
      }
    }
    return undefined;
  }

  private async launchCreated(created: Array<{ claim: NodeClaimDecision; uid: string; placement?: string }>): Promise<Set<string>> {
    const retry = new Set<string>();
    if (created.length === 0) return retry;
    const results = await launchClaims(created, {
      clients: this.options.aws.clients,
      rateLimits: this.options.aws.rateLimits,
      accountOf: id => this.options.aws.accountOf(id),
      nodeClassOf: name => this.nodeClassCache.get(name)?.view,
      insufficientCapacity: this.ice,
      owner: this.options.owner,
      cluster: this.options.cluster,
      imageIdFor: nc => this.options.aws.imageIdFor(nc),
      userDataFor: nc => this.options.aws.userDataFor?.(nc),
    });
    const byName = new Map(created.map(c => [c.claim.name, c]));
    for (const result of results) {
      const outcome = result.outcome;
      const items = result.claims.map(name => byName.get(name)!).filter(Boolean);
      if (outcome.status === 'launched') {
        for (const instance of outcome.instances) {
          const item = byName.get(instance.claim);
          if (!item) continue;
          const info = await this.instanceTypeInfo(instance.instanceType);
          // The price the decision paid for the offering the fleet actually filled.
          const bought = item.claim.offerings.find(
            o => o.instanceType === instance.instanceType && o.azId === instance.azId && o.capacityType === instance.capacityType,
          );
          await markLaunched(this.client, instance.claim, {
            ...instance,
            capacity: info ? capacityOf(info) : undefined,
            pricePerHour: bought?.pricePerHour,
          });
          this.healthState.launches++;
          this.launchBackoff.delete(instance.claim);
          this.options.events?.audit?.({
            action: 'launch',
            claim: instance.claim,
            instanceIds: [instance.instanceId],
            cell: cellId(item.claim.cell),
            placement: item.placement,
            reason: `${instance.instanceType} ${instance.capacityType} in ${instance.azId}`,
          });
        }
        continue;
      }
      if (outcome.status === 'throttled' || outcome.status === 'unconfirmed') {
        // The claims stay; the next pass relaunches them with the same ClientToken, which
        // also yields whatever an unanswered launch did start.
        for (const item of items) {
          this.launchBackoff.set(item.claim.name, Date.now() + 5_000);
          await markLaunchFailed(this.client, item.claim.name, outcome.status === 'throttled' ? 'Throttled' : 'LaunchUnconfirmed', outcome.detail);
        }
        continue;
      }
      const reason = {
        'access-denied': 'AccessDenied',
        failed: 'LaunchFailed',
        'insufficient-capacity': 'InsufficientCapacity',
        gone: 'InstanceGone',
      }[outcome.status];
      if (outcome.status === 'access-denied' || outcome.status === 'failed') {
        // AWS refused the cell itself (its role, its subnets, its template): no retry there
        // until the window passes, or every pass would launch into the same refusal. A
        // refused role is not fixed in seconds; anything else is retried sooner.
        const window = outcome.status === 'access-denied' ? UNUSABLE_CELL_MS : FAILED_CELL_MS;
        for (const item of items) this.unusableCells.set(cellId(item.claim.cell), { until: Date.now() + window, reason: outcome.detail });
      }
      for (const item of items) {
        await markLaunchFailed(this.client, item.claim.name, reason, outcome.detail);
        this.options.events?.warn?.('Launch refused; deciding its pods again', { claim: item.claim.name, reason, detail: outcome.detail });
        await this.deleteClaim(item.claim.name);
        // A refused launch started nothing (a partial gang was terminated by the launcher),
        // so the claim can go at once rather than on the next lifecycle pass.
        const refused = await this.client.get<KubeObject>(RESOURCES.nodeClaims, item.claim.name);
        if (refused) await releaseNodeClaim(this.client, refused).catch(() => undefined);
        for (const uid of item.claim.podUids) retry.add(uid);
      }
    }
    return retry;
  }

  private async instanceTypeInfo(instanceType: string): Promise<InstanceTypeInfo | undefined> {
    const inventory = await this.options.inventory();
    return inventory.instanceTypes.find(t => t.instanceType === instanceType);
  }

  /** Pods a live claim already stands for: not decided again. */
  private coveredPods(): Set<string> {
    const covered = new Set<string>();
    const now = Date.now();
    for (const claim of this.claims?.list() ?? []) {
      if (isDeleting(claim)) continue;
      const since = readySince(claim);
      if (isReady(claim) && since !== undefined && now - since > READY_COVER_MS && !gangOfClaim(claim)) continue;
      for (const uid of podsOfClaim(claim)) covered.add(uid);
    }
    return covered;
  }

  /**
   * Claims decide must count against quota and limits: every claim not yet Ready (its pods
   * are not decided again), and Ready ones launched after the inventory was taken — the
   * inventory's quota headroom already counts what ran before it, but not these.
   */
  private inFlightClaims(inventory: Inventory): InFlightClaim[] {
    const takenAt = Date.parse(inventory.takenAt);
    return (this.claims?.list() ?? [])
      .filter(c => !isDeleting(c))
      .flatMap(c => {
        const ready = isReady(c);
        if (ready && !(Date.parse(c.metadata.creationTimestamp ?? '') > takenAt)) return [];
        const cell = cellOfClaim(c);
        const instanceType = instanceTypeOfClaim(c);
        const capacityType = capacityTypeOfClaim(c);
        const nodePool = nodePoolOfClaim(c);
        if (!cell || !instanceType || !capacityType || !nodePool) return [];
        return [{ name: c.metadata.name, nodePool, cell, instanceType, capacityType, podUids: ready ? [] : podsOfClaim(c) }];
      });
  }

  /** What each NodePool's Ready nodes hold, for its limits (in-flight claims are counted by decide). */
  private nodePoolUsage(inventory: Inventory): Record<string, Partial<Resources>> {
    const types = new Map(inventory.instanceTypes.map(t => [t.instanceType, t]));
    const usage: Record<string, Resources> = {};
    for (const claim of this.claims?.list() ?? []) {
      if (isDeleting(claim) || !isReady(claim)) continue;
      const pool = nodePoolOfClaim(claim);
      const info = types.get(instanceTypeOfClaim(claim) ?? '');
      if (!pool || !info) continue;
      const capacity = capacityOf(info);
      const total = usage[pool] ?? { cpuMillis: 0, memoryMiB: 0, gpus: 0, neuron: 0, efa: 0, pods: 0 };
      for (const key of Object.keys(total) as Array<keyof Resources>) total[key] += capacity[key];
      usage[pool] = total;
    }
    return usage;
  }

  private fabricNodePools() {
    const nodes = this.nodes?.list() ?? [];
    return (this.nodePools?.list() ?? []).filter(isFabricNodePool).map(pool => {
      const count = nodes.filter(n => n.metadata.labels?.['karpenter.sh/nodepool'] === pool.metadata.name).length;
      return toFabricNodePool(pool, count);
    });
  }

  /** Cells left out of decisions right now, with why. */
  private excludedCells(): string[] {
    const now = Date.now();
    const out: string[] = [];
    for (const [cell, entry] of this.unusableCells) if (entry.until > now) out.push(`${cell}: ${entry.reason}`);
    for (const { view } of this.nodeClassCache.values()) {
      if (!view.resolved.ready) out.push(`${cellId({ accountId: view.spec.accountId, region: view.spec.region })}: ${view.resolved.reason}`);
    }
    return out;
  }

  /** FabricNodeClasses resolved in their accounts, minus cells AWS refused recently. */
  private async usableNodeClasses(): Promise<NodeClassView[]> {
    const views: NodeClassView[] = [];
    const now = Date.now();
    for (const object of this.nodeClasses?.list() ?? []) {
      if (object.metadata.deletionTimestamp) continue;
      const view = await this.resolvedNodeClass(object);
      const cell = cellId({ accountId: view.spec.accountId, region: view.spec.region });
      const unusable = this.unusableCells.get(cell);
      if (unusable && unusable.until > now) continue;
      if (view.resolved.ready) views.push(view);
    }
    return views;
  }

  private async resolvedNodeClass(object: KubeObject): Promise<NodeClassView> {
    const name = object.metadata.name;
    const generation = object.metadata.generation ?? 0;
    const cached = this.nodeClassCache.get(name);
    if (cached && cached.generation === generation && Date.now() - cached.at < NODE_CLASS_REFRESH_MS) return cached.view;
    const spec = object.spec as FabricNodeClassSpec;
    const resolved = await resolveNodeClass(spec, this.options.aws);
    const view: NodeClassView = { name, spec, resolved };
    this.nodeClassCache.set(name, { generation, at: Date.now(), view });
    await this.writeNodeClassStatus(object, resolved);
    return view;
  }

  private async writeNodeClassStatus(object: KubeObject, resolved: FabricNodeClassResolved): Promise<void> {
    await setFabricNodeClassStatus(this.client, object.metadata.name, resolved).catch(error =>
      this.options.events?.warn?.('Could not write FabricNodeClass status', { nodeClass: object.metadata.name, error: String(error) }),
    );
  }

  private async reportUnschedulable(batch: PodBatch, reasons: Map<string, string>): Promise<void> {
    const podObjects = new Map((this.pods?.informer.list() ?? []).map(p => [p.metadata.uid!, p]));
    const byPool = new Map<string, Array<{ pod: string; reason: string }>>();
    const pools = (this.nodePools?.list() ?? []).filter(isFabricNodePool);
    for (const pool of pools) byPool.set(pool.metadata.name, []);
    for (const [uid, reason] of reasons) {
      const pod = podObjects.get(uid);
      if (!pod) continue;
      await this.events.record({ involved: { ...pod, apiVersion: 'v1', kind: 'Pod' }, type: 'Warning', reason: 'FabricUnschedulable', message: reason });
      const placement = pod.metadata.labels?.[PLACEMENT_LABEL];
      const matching = pools.filter(p => placement && p.metadata.labels?.[PLACEMENT_LABEL] === placement);
      for (const pool of matching.length ? matching : pools) {
        byPool.get(pool.metadata.name)!.push({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, reason });
      }
    }
    for (const [pool, list] of byPool) await setNodePoolSchedulable(this.client, pool, list).catch(() => undefined);
    void batch;
  }

  private async reportIncompleteGangs(batch: PodBatch): Promise<void> {
    const podObjects = this.pods?.informer.list() ?? [];
    for (const gang of batch.incompleteGangs) {
      const member = podObjects.find(p => (p.metadata.annotations?.['fabric.cloudspectra.io/gang-name'] ?? p.metadata.labels?.[PLACEMENT_LABEL]) === gang.name);
      if (!member) continue;
      await this.events.record({
        involved: { ...member, apiVersion: 'v1', kind: 'Pod' },
        type: 'Normal',
        reason: 'GangWaiting',
        message: `Gang ${gang.name} waits for its members: ${gang.pending} of ${gang.size} are pending; it launches all at once.`,
      });
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** One lifecycle pass: register, release gangs, finish launches, disrupt, terminate, collect garbage. */
  private async reconcile(): Promise<void> {
    const client = this.client;
    const claims = () => this.claims?.list() ?? [];
    const nodes = () => this.nodes?.list() ?? [];
    const pods = () => this.pods?.informer.list() ?? [];
    // Each step stands alone: one that fails (a conflict, a throttled call) is logged and
    // retried on the next pass, and never holds up the others.
    const step = async (name: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        this.options.events?.warn?.(`Lifecycle step '${name}' failed; it is retried on the next pass`, { error: describeAwsError(error) });
      }
    };

    await step('register', async () => {
      const registration = await registerNodes(client, claims().filter(c => !isDeleting(c)), nodes(), {
        registrationTimeoutMs: this.options.registrationTimeoutMs,
      });
      for (const timedOut of registration.timedOut) {
        this.options.events?.warn?.('Node did not join in time; terminating and replacing it', timedOut);
        await this.deleteClaim(timedOut.claim);
      }
    });
    await step('release gangs', async () => {
      const gates = await liftGangGates(client, pods(), claims(), nodes());
      for (const lifted of gates.lifted) this.options.events?.info?.('Gang released', lifted);
    });
    await step('resume launches', () => this.resumeUnlaunched(claims()));
    await step('deleted owners', async () => {
      for (const name of claimsOfDeletedOwners(claims().filter(c => !isDeleting(c)), this.nodePools?.list() ?? [], this.nodeClasses?.list() ?? [])) {
        await this.deleteClaim(name);
      }
    });
    await step('consolidate', async () => {
      const fabricNodes = nodes().filter(n => this.claimOfNode(n));
      this.emptiness.observe(fabricNodes, pods());
      for (const nodeName of nodesToConsolidate(fabricNodes, this.fabricNodePools(), this.emptiness)) {
        const claim = this.claimOfNode(fabricNodes.find(n => n.metadata.name === nodeName)!);
        if (claim && !isDeleting(claim)) {
          this.options.events?.info?.('Consolidating an empty node', { node: nodeName, claim: claim.metadata.name });
          await this.deleteClaim(claim.metadata.name);
        }
      }
    });
    for (const claim of claims().filter(isDeleting)) {
      await step(`terminate ${claim.metadata.name}`, () => this.finishTermination(claim));
    }
    // Garbage collection lists every cell's instances: not on every pass.
    if (Date.now() - this.lastCollection >= (this.options.garbageCollectionIntervalMs ?? 60_000)) {
      this.lastCollection = Date.now();
      await step('garbage collection', () => this.collectGarbage());
    }
  }

  private claimOfNode(node: KubeObject): KubeObject | undefined {
    const instanceId = instanceIdOf(node.spec?.providerID);
    if (!instanceId) return undefined;
    return (this.claims?.list() ?? []).find(c => instanceIdOf(c.status?.providerID) === instanceId);
  }

  /** Claims created but never launched (a crash, a takeover, throttling): launch them now, same ClientToken. */
  private async resumeUnlaunched(claims: KubeObject[]): Promise<void> {
    const now = Date.now();
    const toLaunch: Array<{ claim: NodeClaimDecision; uid: string; placement?: string }> = [];
    for (const claim of claims) {
      if (isDeleting(claim) || isLaunched(claim)) continue;
      if ((this.launchBackoff.get(claim.metadata.name) ?? 0) > now) continue;
      const decision = decisionOfClaim(claim);
      if (!decision) {
        await this.deleteClaim(claim.metadata.name);
        continue;
      }
      // A claim this process is launching right now is not resumed: work is serialized,
      // so anything seen here was left by an earlier pass or another replica.
      toLaunch.push({ claim: decision, uid: claim.metadata.uid!, placement: claim.metadata.labels?.[PLACEMENT_LABEL] });
    }
    if (toLaunch.length === 0) return;
    // Make sure each claim's node class is resolved before launching from it.
    await this.usableNodeClasses();
    await this.launchCreated(toLaunch);
  }

  private async deleteClaim(name: string): Promise<void> {
    await this.client.delete(RESOURCES.nodeClaims, name).catch(() => undefined);
  }

  /** A deleted claim: cordon and drain its node, terminate the instance, remove the Node, let the claim go. */
  private async finishTermination(claim: KubeObject): Promise<void> {
    const instanceId = instanceIdOf(claim.status?.providerID);
    const node = instanceId ? indexNodesByInstance(this.nodes?.list() ?? []).get(instanceId) : undefined;
    if (node) {
      if (!node.spec?.unschedulable) await cordon(this.client, node.metadata.name);
      const drain = await drainNode(this.client, node.metadata.name, this.pods?.informer.list() ?? []);
      if (!drain.drained) return; // next pass: pods are leaving
    }
    const cell = cellOfClaim(claim);
    const instances = new Set<string>(instanceId ? [instanceId] : []);
    const launch = conditionOf(claim, 'Launched');
    // A launch AWS answered with a refusal created nothing (a partial gang is terminated by
    // the launcher), so only a claim whose launch never answered needs the tag lookup.
    const refused = launch?.status === 'False' && launch.reason !== 'Throttled' && launch.reason !== 'LaunchUnconfirmed';
    if (cell && !instanceId && !refused) {
      // Never launched as far as the claim knows: an interrupted launch may still have
      // created instances tagged with it.
      for (const instance of await listFabricInstances(cell, this.access())) if (instance.nodeClaim === claim.metadata.name) instances.add(instance.instanceId);
    }
    if (cell && instances.size) {
      await terminateInstances(cell, [...instances], this.access());
      this.healthState.terminations += instances.size;
      this.options.events?.audit?.({
        action: 'terminate',
        claim: claim.metadata.name,
        instanceIds: [...instances],
        cell: cellId(cell),
        placement: claim.metadata.labels?.[PLACEMENT_LABEL],
        reason: this.interrupted.has(instanceId ?? '') ? 'spot interruption' : 'claim deleted',
      });
    }
    if (node) await this.client.delete(RESOURCES.nodes, node.metadata.name).catch(() => undefined);
    await releaseNodeClaim(this.client, claim).catch(() => undefined);
  }

  private access() {
    return {
      clients: this.options.aws.clients,
      rateLimits: this.options.aws.rateLimits,
      accountOf: (id: string) => this.options.aws.accountOf(id),
      owner: this.options.owner,
    };
  }

  private async collectGarbage(): Promise<void> {
    const cells = new Map<string, CellRef>();
    for (const object of this.nodeClasses?.list() ?? []) {
      const spec = object.spec as FabricNodeClassSpec;
      cells.set(cellId({ accountId: spec.accountId, region: spec.region }), { accountId: spec.accountId, region: spec.region });
    }
    for (const claim of this.claims?.list() ?? []) {
      const cell = cellOfClaim(claim);
      if (cell) cells.set(cellId(cell), cell);
    }
    if (cells.size === 0) return;
    const result = await collectGarbage({
      cells: [...cells.values()],
      claims: (this.claims?.list() ?? []).flatMap(c => {
        const cell = cellOfClaim(c);
        const instanceId = instanceIdOf(c.status?.providerID);
        return cell ? [{ name: c.metadata.name, cell, instanceIds: instanceId ? [instanceId] : undefined, gang: gangOfClaim(c) }] : [];
      }),
      access: this.access(),
      now: new Date(),
      gracePeriodMs: this.options.garbageCollectionGraceMs,
    });
    for (const instance of result.terminated) {
      this.healthState.terminations++;
      this.options.events?.audit?.({
        action: 'terminate',
        claim: instance.nodeClaim ?? '',
        instanceIds: [instance.instanceId],
        cell: cellId(instance.cell),
        reason: 'garbage collection: no NodeClaim',
      });
    }
    for (const name of result.claimsWithoutInstance) {
      const claim = this.claims?.get(name);
      if (claim && !isDeleting(claim)) await this.deleteClaim(name);
    }
  }

  // ---------------------------------------------------------------- interruption

  /** Spot interruption: cordon, launch the replacement first, wait for it, then drain and terminate. */
  private async handleInterruption(instanceId: string): Promise<void> {
    const claim = (this.claims?.list() ?? []).find(c => instanceIdOf(c.status?.providerID) === instanceId);
    if (!claim || isDeleting(claim) || this.interrupted.has(instanceId)) return;
    this.interrupted.add(instanceId);
    const node = indexNodesByInstance(this.nodes?.list() ?? []).get(instanceId);
    const decision = decisionOfClaim(claim);
    const instanceType = instanceTypeOfClaim(claim);
    const azId = claim.metadata.labels?.['topology.k8s.aws/zone-id'];
    if (instanceType && azId) {
      // The interrupted pool is likely to be reclaimed again: steer the replacement away.
      this.ice.markInsufficient({ instanceType, azId, capacityType: 'spot' }, { detail: `spot interruption of ${instanceId}` });
    }
    this.options.events?.info?.('Spot interruption: replacing the node before draining it', { instanceId, claim: claim.metadata.name });
    await replaceThenDrain({
      cordon: async () => {
        if (node) await cordon(this.client, node.metadata.name);
      },
      launchReplacement: async () => {
        if (!decision) throw new Error('the interrupted claim records no decision to replace it from');
        const usable = decision.offerings.filter(
          o => !this.ice.lookup({ instanceType: o.instanceType, azId: o.azId, capacityType: o.capacityType }),
        );
        const replacement: NodeClaimDecision = {
          ...decision,
          name: `${decision.name.replace(/-r\d+$/, '')}-r${Date.now().toString(36)}`.slice(0, 63),
          offerings: usable.length ? usable : decision.offerings,
          podUids: podsOfClaim(claim),
        };
        await this.usableNodeClasses();
        const retry = await this.launch([replacement], []);
        if (retry.size) throw new Error('the replacement could not launch');
        return replacement.name;
      },
      waitUntilReady: name => this.waitForReady(name),
      drain: async () => {
        if (!node) return;
        for (;;) {
          const result = await drainNode(this.client, node.metadata.name, this.pods?.informer.list() ?? []);
          if (result.drained) return;
          await sleep(500);
        }
      },
      terminate: async () => {
        await this.deleteClaim(claim.metadata.name);
        const current = this.claims?.get(claim.metadata.name);
        if (current) await this.finishTermination(current.metadata.deletionTimestamp ? current : { ...current, metadata: { ...current.metadata, deletionTimestamp: new Date().toISOString() } });
      },
    });
  }

  private async waitForReady(claimName: string): Promise<void> {
    const deadline = Date.now() + (this.options.registrationTimeoutMs ?? 15 * 60_000);
    while (Date.now() < deadline) {
      if (this.stopped) throw new Error('provisioner stopped');
      // Registration runs in the lifecycle pass, which is queued behind this work: run it here.
      await registerNodes(this.client, (this.claims?.list() ?? []).filter(c => !isDeleting(c)), this.nodes?.list() ?? [], {
        registrationTimeoutMs: this.options.registrationTimeoutMs,
      });
      const claim = this.claims?.get(claimName);
      if (claim && isReady(claim)) return;
      await sleep(500);
    }
    throw new Error(`replacement ${claimName} did not become Ready in time`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
