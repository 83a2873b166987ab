import { isConflict, KubeObject, KubernetesClient, RESOURCES } from '../../kubernetes/KubernetesClient';

export interface LeaderElectionOptions {
  /** Lease namespace and name: one Lease per hub cluster, e.g. `cloudspectra-fabric/fabric-provisioner`. */
  namespace: string;
  name: string;
  /** This replica's identity, e.g. the pod name; recorded as the Lease's holderIdentity. */
  identity: string;
  /** How long a lease stays valid without renewal. Default 15 s. */
  leaseDurationSeconds?: number;
  /** How often the leader renews and followers retry. Default ⅓ of the lease duration. */
  retryPeriodMs?: number;
  onStartedLeading?(): void;
  /** Called when leadership is lost (renewal failed past the lease) or given up on stop. */
  onStoppedLeading?(): void;
  onError?(error: unknown): void;
  /**
   * Annotations written with every renewal, e.g. the leader's health (last batch,
   * decisions/s): anyone who can read the Lease sees how the active loop is doing.
   */
  annotations?(): Record<string, string>;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** The holder the elector last observed (itself when leading). */
  observedLeader(): string | undefined;
  /**
   * Stops renewing and, when leading, releases the Lease so a follower takes over at once.
   * `release: false` leaves the Lease as a crashed replica would (followers wait it out).
   */
  stop(options?: { release?: boolean }): Promise<void>;
}

interface Lease extends KubeObject {
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** MicroTime as the Lease API wants it (RFC 3339 with microseconds). */
const microTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/**
 * Leader election over a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does
 * it: try to acquire or renew every retry period with optimistic concurrency (the Lease's
 * resourceVersion), and take over a lease only after it has gone unrenewed for its full
 * duration *as observed locally* — never by comparing the holder's clock with ours. Any
 * number of replicas may run it; exactly one runs the provisioner loop.
 */
export function startLeaderElection(client: KubernetesClient, options: LeaderElectionOptions): LeaderElector {
  const leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
  const retryPeriodMs = options.retryPeriodMs ?? Math.max(200, (leaseDurationSeconds * 1000) / 3);
  let leading = false;
  let stopped = false;
  let observed: { holder?: string; resourceVersion?: string; renewTime?: string; seenAt: number } | undefined;
  let lastRenewedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const setLeading = (value: boolean) => {
    if (value === leading) return;
    leading = value;
    try {
      if (value) options.onStartedLeading?.();
      else options.onStoppedLeading?.();
    } catch (error) {
      options.onError?.(error);
    }
  };

  const tryAcquireOrRenew = async () => {
    const now = new Date();
    const current = await client.get<Lease>(RESOURCES.leases, options.name, options.namespace);
    if (!current) {
      await client.create<Lease>(RESOURCES.leases, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: options.name, namespace: options.namespace, annotations: options.annotations?.() },
        spec: {
          holderIdentity: options.identity,
          leaseDurationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        },
      });
      lastRenewedAt = Date.now();
      observed = { holder: options.identity, seenAt: Date.now() };
      return true;
    }
    const holder = current.spec.holderIdentity || undefined;
    // The expiry clock restarts whenever the record changes (a renewal), measured locally.
    if (!observed || observed.resourceVersion !== current.metadata.resourceVersion) {
      observed = { holder, resourceVersion: current.metadata.resourceVersion, renewTime: current.spec.renewTime, seenAt: Date.now() };
    }
    const heldByOther = holder !== undefined && holder !== options.identity;
    const duration = (current.spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (heldByOther && Date.now() - observed.seenAt < duration) return false;
    const taking = holder !== options.identity;
    const updated = await client.replace<Lease>(RESOURCES.leases, {
      ...current,
      metadata: { ...current.metadata, annotations: { ...(current.metadata.annotations ?? {}), ...(options.annotations?.() ?? {}) } },
      spec: {
        ...current.spec,
        holderIdentity: options.identity,
        leaseDurationSeconds,
        renewTime: microTime(now),
        ...(taking ? { acquireTime: microTime(now), leaseTransitions: (current.spec.leaseTransitions ?? 0) + 1 } : {}),
      },
    });
    observed = { holder: options.identity, resourceVersion: updated.metadata.resourceVersion, seenAt: Date.now() };
    lastRenewedAt = Date.now();
    return true;
  };

  const tick = async () => {
    try {
      const acquired = await tryAcquireOrRenew();
      setLeading(acquired);
    } catch (error) {
      if (!isConflict(error)) options.onError?.(error);
      // A leader that cannot renew steps down before its lease could be taken over.
      if (leading && Date.now() - lastRenewedAt >= leaseDurationSeconds * 1000 - retryPeriodMs) setLeading(false);
      if (isConflict(error)) observed = undefined;
    }
    if (!stopped) timer = setTimeout(() => (inFlight = tick()), leading ? retryPeriodMs : jittered(retryPeriodMs));
  };
  inFlight = tick();

  return {
    isLeader: () => leading,
    observedLeader: () => (leading ? options.identity : observed?.holder),
    stop: async ({ release = true } = {}) => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
      if (!leading) return;
      if (!release) {
        setLeading(false);
        return;
      }
      try {
        const current = await client.get<Lease>(RESOURCES.leases, options.name, options.namespace);
        if (current?.spec.holderIdentity === options.identity) {
          // Released as client-go does: no holder and a 1 s duration, so followers take over now.
          await client.replace(RESOURCES.leases, {
            ...current,
            spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) },
          });
        }
      } catch (error) {
        options.onError?.(error);
      } finally {
        setLeading(false);
      }
    },
  };
}

/** Followers retry with jitter so several replicas do not hit the Lease in lockstep. */
function jittered(ms: number): number {
  return ms * (1 + Math.random() * 0.2);
}
