import { KubeObject, KubernetesClient, ResourceRef } from '../../kubernetes/KubernetesClient';

/** A status condition as Karpenter's CRDs (and metav1.Condition) spell it. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  /** CamelCase, as the CRDs' pattern requires, e.g. `InsufficientCapacity`. */
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type ConditionUpdate = Pick<Condition, 'type' | 'status'> & { reason?: string; message?: string };

/** A reason made acceptable to the CRD pattern `^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`. */
export function conditionReason(reason: string): string {
  const camel = reason
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map(w => w[0].toUpperCase() + w.slice(1))
    .join('');
  return /^[A-Za-z]/.test(camel) ? camel.slice(0, 1024) : `R${camel}`.slice(0, 1024);
}

/**
 * Merges updates into a condition list: the transition time moves only when the status
 * changes, as the Kubernetes conventions ask. Returns the list and whether anything changed.
 */
export function mergeConditions(existing: Condition[] = [], updates: ConditionUpdate[], now = new Date()): { conditions: Condition[]; changed: boolean } {
  const conditions = existing.map(c => ({ ...c }));
  let changed = false;
  for (const update of updates) {
    const reason = conditionReason(update.reason ?? (update.status === 'True' ? update.type : `Not${update.type}`));
    const message = update.message ?? '';
    const index = conditions.findIndex(c => c.type === update.type);
    const current = index >= 0 ? conditions[index] : undefined;
    if (current && current.status === update.status && current.reason === reason && current.message === message) continue;
    changed = true;
    const next: Condition = {
      type: update.type,
      status: update.status,
      reason,
      message,
      lastTransitionTime: current && current.status === update.status ? current.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    if (index >= 0) conditions[index] = next;
    else conditions.push(next);
  }
  return { conditions, changed };
}

/**
 * Sets conditions on an object's status subresource, writing only when something changed
 * (so a controller that re-asserts the same condition every batch causes no write storm).
 */
export async function setConditions(
  client: KubernetesClient,
  resource: ResourceRef,
  name: string,
  updates: ConditionUpdate[],
  options: { namespace?: string; current?: KubeObject; extraStatus?: Record<string, unknown> } = {},
): Promise<boolean> {
  const current = options.current ?? (await client.get(resource, name, options.namespace));
  if (!current) return false;
  const { conditions, changed } = mergeConditions(current.status?.conditions, updates);
  const extraChanged = Object.entries(options.extraStatus ?? {}).some(
    ([key, value]) => JSON.stringify(current.status?.[key]) !== JSON.stringify(value),
  );
  if (!changed && !extraChanged) return false;
  await client.patch(resource, name, { status: { ...(options.extraStatus ?? {}), conditions } }, { namespace: options.namespace, subresource: 'status' });
  return true;
}

export function conditionOf(object: KubeObject | undefined, type: string): Condition | undefined {
  return (object?.status?.conditions as Condition[] | undefined)?.find(c => c.type === type);
}

export function isConditionTrue(object: KubeObject | undefined, type: string): boolean {
  return conditionOf(object, type)?.status === 'True';
}
