import { KubeObject, KubernetesClient, RESOURCES } from '../../kubernetes/KubernetesClient';
import { Informer, startInformer } from '../../kubernetes/informer';
import { PendingPod } from '../types';
import { isProvisionable, toPendingPod } from './pendingPods';

export interface BatchWindow {
  /** A batch closes once no pod arrived for this long. Default 1 s (Karpenter's BATCH_IDLE_DURATION). */
  idleMs?: number;
  /** ... or this long after it opened, however busy. Default 10 s (Karpenter's BATCH_MAX_DURATION). */
  maxMs?: number;
}

/** A gang whose members are all pending: decided and launched together. */
export interface PendingGang {
  name: string;
  size: number;
  members: PendingPod[];
}

export interface PodBatch {
  /** Pods to decide now: every pending pod outside a gang, plus the members of complete gangs. */
  pods: PendingPod[];
  gangs: PendingGang[];
  /** Gangs with fewer pending members than their size: held back, they wait for the rest. */
  incompleteGangs: Array<{ name: string; size: number; pending: number }>;
}

/**
 * Groups pods into a batch: complete gangs go in, gangs still missing members wait. A gang
 * without a declared size is complete with the members pending now.
 */
export function groupBatch(pending: PendingPod[]): PodBatch {
  const pods: PendingPod[] = [];
  const byGang = new Map<string, PendingPod[]>();
  for (const pod of pending) {
    if (!pod.gang) pods.push(pod);
    else byGang.set(pod.gang.name, [...(byGang.get(pod.gang.name) ?? []), pod]);
  }
  const gangs: PendingGang[] = [];
  const incompleteGangs: PodBatch['incompleteGangs'] = [];
  for (const [name, members] of byGang) {
    const size = Math.max(...members.map(m => m.gang!.size)) || members.length;
    if (members.length >= size) {
      const sized = members.map(m => ({ ...m, gang: { name, size } }));
      gangs.push({ name, size, members: sized });
      pods.push(...sized);
    } else {
      incompleteGangs.push({ name, size, pending: members.length });
    }
  }
  return { pods, gangs, incompleteGangs };
}

export interface Batcher {
  /** Something changed: opens a window or extends the open one. */
  trigger(): void;
  /** Closes the open window now. */
  flush(): Promise<void>;
  stop(): void;
}

/**
 * Karpenter's batching: the first trigger opens a window; it closes after `idleMs` without a
 * trigger or `maxMs` after it opened, and then `onClose` runs once. Triggers while `onClose`
 * runs open the next window, so no change is lost and batches never overlap.
 */
export function createBatcher(onClose: () => Promise<void> | void, window: BatchWindow = {}): Batcher {
  const idleMs = window.idleMs ?? 1000;
  const maxMs = window.maxMs ?? 10_000;
  let openedAt: number | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let maxTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let pendingWhileRunning = false;
  let stopped = false;

  const clear = () => {
    if (idleTimer) clearTimeout(idleTimer);
    if (maxTimer) clearTimeout(maxTimer);
    idleTimer = maxTimer = undefined;
    openedAt = undefined;
  };

  // eslint-disable-next-line prefer-const
  let trigger: () => void;
  const close = async () => {
    if (openedAt === undefined) return;
    clear();
    if (running) {
      pendingWhileRunning = true;
      return;
    }
    running = (async () => {
      try {
        await onClose();
      } finally {
        running = undefined;
        if (pendingWhileRunning && !stopped) {
          pendingWhileRunning = false;
          trigger();
        }
      }
    })();
    await running;
  };

  trigger = () => {
    if (stopped) return;
    if (openedAt === undefined) {
      openedAt = Date.now();
      maxTimer = setTimeout(() => void close(), maxMs);
    }
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void close(), idleMs);
  };

  return {
    trigger,
    flush: async () => {
      if (openedAt !== undefined) await close();
      else if (running) await running;
    },
    stop: () => {
      stopped = true;
      clear();
    },
  };
}

export interface PendingPodSet {
  /** A pod was added or changed: kept (and a batch window opened) when provisionable, else dropped. */
  observe(pod: KubeObject): void;
  forget(pod: KubeObject): void;
  /** The pods pending right now, converted. */
  pending(): PendingPod[];
  /** Closes the open batch window now. */
  flush(): Promise<void>;
  stop(): void;
}

/**
 * The pending fabric pods and the batch windows over them. Feed it pod events (from any
 * informer); each time a window closes, `onBatch` gets a snapshot of all pending pods, as
 * Karpenter's provisioner takes one: decide must skip pods it already launched for.
 */
export function createPendingPodSet(onBatch: (batch: PodBatch) => Promise<void> | void, window: BatchWindow = {}): PendingPodSet {
  const pending = new Map<string, PendingPod>();
  const batcher = createBatcher(() => onBatch(groupBatch([...pending.values()])), window);
  return {
    observe: pod => {
      const uid = pod.metadata.uid!;
      if (isProvisionable(pod)) {
        pending.set(uid, toPendingPod(pod));
        batcher.trigger();
      } else {
        pending.delete(uid);
      }
    },
    forget: pod => {
      pending.delete(pod.metadata.uid!);
    },
    pending: () => [...pending.values()],
    flush: () => batcher.flush(),
    stop: () => batcher.stop(),
  };
}

export interface PendingPodWatch {
  informer: Informer<KubeObject>;
  /** The pods pending right now, converted. */
  pending(): PendingPod[];
  stop(): void;
}

/**
 * Watches pods (informer with resync) and hands a batch of every pending fabric pod to
 * `onBatch` each time a batch window closes. A window opens when a pod becomes provisionable
 * (created gated, marked Unschedulable by the scheduler) or on resync, so pods whose launch
 * failed are decided again without polling.
 */
export function startPendingPodWatch(
  client: KubernetesClient,
  onBatch: (batch: PodBatch) => Promise<void> | void,
  options: BatchWindow & { resyncMs?: number; namespace?: string; onError?(error: unknown): void } = {},
): PendingPodWatch {
  const pods = createPendingPodSet(onBatch, options);
  const informer = startInformer<KubeObject>(
    client,
    RESOURCES.pods,
    { onAdd: pods.observe, onUpdate: (_previous, current) => pods.observe(current), onDelete: pods.forget },
    { namespace: options.namespace, resyncMs: options.resyncMs, onError: options.onError },
  );
  return {
    informer,
    pending: pods.pending,
    stop: () => {
      pods.stop();
      informer.stop();
    },
  };
}
