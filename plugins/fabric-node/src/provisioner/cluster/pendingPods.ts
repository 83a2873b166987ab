import { FABRIC_LABEL_PREFIX } from '@internal/backstage-plugin-fabric-common';
import { NodeSelectorRequirement } from '../../compile/karpenter';
import { Toleration } from '../../compile/compilePlacement';
import { GANG_SCHEDULING_GATE, ISLAND_LABEL, NEURON_RESOURCE, NVIDIA_GPU_RESOURCE, PLACEMENT_LABEL } from '../../compile/labels';
import { KubeObject } from '../../kubernetes/KubernetesClient';
import { PendingPod, Resources } from '../types';

/**
 * How many members a gang has. Set by whoever creates the pods (the compiled placement's
 * workload, a Job template); the provisioner launches a gang only once it has seen that many
 * members, all or nothing. Without it, a gang is the members pending when its batch closes.
 */
export const GANG_SIZE_ANNOTATION = `${FABRIC_LABEL_PREFIX}/gang-size`;
/** Optional gang name; default: the placement label, else the island label. */
export const GANG_NAME_ANNOTATION = `${FABRIC_LABEL_PREFIX}/gang-name`;

/** Taints of fabric GPU nodes: a pod that tolerates one is meant for the fabric. */
const FABRIC_TAINT_KEYS = [NVIDIA_GPU_RESOURCE, NEURON_RESOURCE, ISLAND_LABEL];

const EMPTY: Resources = { cpuMillis: 0, memoryMiB: 0, gpus: 0, neuron: 0, efa: 0, pods: 0 };

const SUFFIXES: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity (`500m`, `16Gi`, `1e3`, `2`) as a plain number of base units. */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkKMGTPE])?)$/.exec(quantity.trim());
  if (!match) throw new Error(`not a Kubernetes quantity: ${quantity}`);
  const [, number, exponent, suffix = ''] = match;
  return exponent ? Number(`${number}${exponent}`) : Number(number) * SUFFIXES[suffix];
}

/** Kubernetes resource names → the provisioner's canonical units (CPU millicores, memory MiB). */
export function toResources(quantities: Record<string, string | number> | undefined): Resources {
  const r = { ...EMPTY };
  for (const [name, value] of Object.entries(quantities ?? {})) {
    const n = parseQuantity(value);
    if (name === 'cpu') r.cpuMillis = Math.ceil(n * 1000);
    else if (name === 'memory') r.memoryMiB = Math.ceil(n / 2 ** 20);
    else if (name === NVIDIA_GPU_RESOURCE) r.gpus = n;
    else if (name === NEURON_RESOURCE) r.neuron = n;
    else if (name === 'vpc.amazonaws.com/efa') r.efa = n;
    else if (name === 'pods') r.pods = n;
  }
  return r;
}

const add = (a: Resources, b: Resources): Resources => ({
  cpuMillis: a.cpuMillis + b.cpuMillis,
  memoryMiB: a.memoryMiB + b.memoryMiB,
  gpus: a.gpus + b.gpus,
  neuron: a.neuron + b.neuron,
  efa: a.efa + b.efa,
  pods: a.pods + b.pods,
});
const max = (a: Resources, b: Resources): Resources => ({
  cpuMillis: Math.max(a.cpuMillis, b.cpuMillis),
  memoryMiB: Math.max(a.memoryMiB, b.memoryMiB),
  gpus: Math.max(a.gpus, b.gpus),
  neuron: Math.max(a.neuron, b.neuron),
  efa: Math.max(a.efa, b.efa),
  pods: Math.max(a.pods, b.pods),
});

/**
 * What the scheduler reserves for a pod: the sum of its containers' requests (limits stand
 * in for missing requests, as the apiserver defaults them), at least the largest init
 * container, plus the pod's overhead and one `pods` slot.
 */
export function podRequests(pod: KubeObject): Resources {
  const requestsOf = (c: any) => toResources({ ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) });
  const containers = (pod.spec?.containers ?? []).map(requestsOf).reduce(add, EMPTY);
  const init = (pod.spec?.initContainers ?? []).map(requestsOf).reduce(max, EMPTY);
  return add(add(max(containers, init), toResources(pod.spec?.overhead)), { ...EMPTY, pods: 1 });
}

/** Unschedulable by the scheduler (PodScheduled=False, reason Unschedulable). */
export function isUnschedulable(pod: KubeObject): boolean {
  return (pod.status?.conditions ?? []).some(
    (c: any) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  );
}

export function isGangGated(pod: KubeObject): boolean {
  return (pod.spec?.schedulingGates ?? []).some((g: any) => g.name === GANG_SCHEDULING_GATE);
}

/** Meant for the fabric: placed by it (placement label) or tolerating a fabric GPU taint. */
export function isFabricPod(pod: KubeObject): boolean {
  if (pod.metadata.labels?.[PLACEMENT_LABEL]) return true;
  return (pod.spec?.tolerations ?? []).some(
    (t: any) => (t.operator === 'Exists' && !t.key) || FABRIC_TAINT_KEYS.includes(t.key),
  );
}

/**
 * A pod the provisioner must find capacity for: not bound, not terminating, not finished,
 * meant for the fabric, and either refused by the scheduler or held by the gang gate.
 */
export function isProvisionable(pod: KubeObject): boolean {
  if (pod.spec?.nodeName || pod.metadata.deletionTimestamp) return false;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  return isFabricPod(pod) && (isUnschedulable(pod) || isGangGated(pod));
}

/**
 * The pod's hard node constraints as ORed terms of ANDed requirements: each required
 * node-affinity term, with the nodeSelector folded into every term (`In [value]`); only
 * `matchExpressions` take part (`matchFields` selects node names, which a new node cannot match).
 */
export function requirementTerms(pod: KubeObject): NodeSelectorRequirement[][] {
  const selector: NodeSelectorRequirement[] = Object.entries((pod.spec?.nodeSelector ?? {}) as Record<string, string>).map(
    ([key, value]) => ({ key, operator: 'In', values: [value] }),
  );
  const terms: any[] = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (!terms.length) return selector.length ? [selector] : [];
  return terms.map(term => [
    ...selector,
    ...((term.matchExpressions ?? []) as any[]).map(e => ({
      key: e.key,
      operator: e.operator,
      ...(e.values?.length ? { values: e.values as string[] } : {}),
    })),
  ]);
}

/** The wire Pod as the provisioner's PendingPod. */
export function toPendingPod(pod: KubeObject): PendingPod {
  const labels = pod.metadata.labels ?? {};
  const annotations = pod.metadata.annotations ?? {};
  const placement = labels[PLACEMENT_LABEL];
  let gang: PendingPod['gang'];
  if (isGangGated(pod)) {
    const name = annotations[GANG_NAME_ANNOTATION] ?? placement ?? labels[ISLAND_LABEL] ?? `${pod.metadata.namespace}.${pod.metadata.name}`;
    const size = Number.parseInt(annotations[GANG_SIZE_ANNOTATION] ?? '', 10);
    gang = { name, size: Number.isFinite(size) && size > 0 ? size : 0 };
  }
  return {
    uid: pod.metadata.uid!,
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    requests: podRequests(pod),
    requirementTerms: requirementTerms(pod),
    tolerations: ((pod.spec?.tolerations ?? []) as any[]).map(t => ({
      key: t.key ?? '',
      operator: t.operator ?? 'Equal',
      ...(t.value !== undefined ? { value: t.value } : {}),
      effect: t.effect,
    })) as Toleration[],
    labels,
    ...(placement ? { placement } : {}),
    ...(gang ? { gang } : {}),
    createdAt: pod.metadata.creationTimestamp ?? new Date().toISOString(),
  };
}
