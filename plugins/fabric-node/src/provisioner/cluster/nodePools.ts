import { NodeSelectorRequirement, Taint } from '../../compile/karpenter';
import { NEURON_RESOURCE, NVIDIA_GPU_RESOURCE } from '../../compile/labels';
import { KubeObject } from '../../kubernetes/KubernetesClient';
import { FABRIC_NODE_CLASS_GROUP, FABRIC_NODE_CLASS_KIND, FabricNodeClassSpec, FabricNodePool, Resources } from '../types';
import { parseQuantity } from './pendingPods';

/** True for a NodePool the fabric owns: its nodeClassRef is a FabricNodeClass (Karpenter core skips it). */
export function isFabricNodePool(pool: KubeObject): boolean {
  const ref = pool.spec?.template?.spec?.nodeClassRef;
  return ref?.group === FABRIC_NODE_CLASS_GROUP && ref?.kind === FABRIC_NODE_CLASS_KIND;
}

const RESOURCE_FIELDS: Record<string, keyof Resources> = {
  cpu: 'cpuMillis',
  memory: 'memoryMiB',
  [NVIDIA_GPU_RESOURCE]: 'gpus',
  [NEURON_RESOURCE]: 'neuron',
  'vpc.amazonaws.com/efa': 'efa',
  pods: 'pods',
};

/** `spec.limits` in canonical units; resources the provisioner does not track are ignored. */
export function parseLimits(limits: Record<string, string | number> | undefined): Partial<Resources> | undefined {
  if (!limits) return undefined;
  const parsed: Partial<Resources> = {};
  for (const [name, value] of Object.entries(limits)) {
    const field = RESOURCE_FIELDS[name];
    if (!field) continue;
    const n = parseQuantity(value);
    if (field === 'cpuMillis') parsed[field] = Math.floor(n * 1000);
    else if (field === 'memoryMiB') parsed[field] = Math.floor(n / 2 ** 20);
    else parsed[field] = n;
  }
  return parsed;
}

/** A Karpenter duration (`30s`, `1h30m`, `Never`) in seconds; undefined for Never. */
export function parseDuration(value: string | undefined): number | undefined {
  if (!value || value === 'Never') return undefined;
  let seconds = 0;
  for (const [, n, unit] of value.matchAll(/(\d+)([smh])/g)) seconds += Number(n) * { s: 1, m: 60, h: 3600 }[unit as 's' | 'm' | 'h'];
  return seconds;
}

/**
 * The smallest node count the NodePool's disruption budgets allow at once, for a pool of
 * `nodeCount` nodes; percentages round up as Karpenter rounds them. Budgets with a
 * `schedule` are treated as always active: stricter than Karpenter, never looser. Budgets
 * limited to other `reasons` than `Empty` do not restrict emptiness consolidation, but every
 * disruption the provisioner makes (empty, interrupted, deleted) is held to the strictest one.
 */
export function disruptionBudgetNodes(budgets: Array<{ nodes?: string }> | undefined, nodeCount: number): number | undefined {
  if (!budgets?.length) return undefined;
  const allowed = budgets.map(b => {
    const nodes = b.nodes ?? '10%';
    return nodes.endsWith('%') ? Math.ceil((nodeCount * Number(nodes.slice(0, -1))) / 100) : Number(nodes);
  });
  return Math.min(...allowed);
}

/** A fabric NodePool as the provisioner reads it. `nodeCount` sizes percentage budgets. */
export function toFabricNodePool(pool: KubeObject, nodeCount = 0): FabricNodePool {
  const template = pool.spec?.template ?? {};
  const budgets = disruptionBudgetNodes(pool.spec?.disruption?.budgets, nodeCount);
  const consolidateAfter = parseDuration(pool.spec?.disruption?.consolidateAfter);
  const limits = parseLimits(pool.spec?.limits);
  return {
    name: pool.metadata.name,
    nodeClassName: template.spec?.nodeClassRef?.name,
    weight: pool.spec?.weight ?? 0,
    requirements: (template.spec?.requirements ?? []) as NodeSelectorRequirement[],
    labels: template.metadata?.labels ?? {},
    taints: (template.spec?.taints ?? []) as Taint[],
    startupTaints: (template.spec?.startupTaints ?? []) as Taint[],
    ...(limits ? { limits } : {}),
    ...(consolidateAfter !== undefined ? { consolidateAfterSeconds: consolidateAfter } : {}),
    ...(budgets !== undefined ? { disruptionBudgetNodes: budgets } : {}),
    deleting: Boolean(pool.metadata.deletionTimestamp),
  };
}

/** A FabricNodeClass's spec, as written (the CRD has already validated it). */
export function toFabricNodeClassSpec(nodeClass: KubeObject): FabricNodeClassSpec {
  return nodeClass.spec as FabricNodeClassSpec;
}
