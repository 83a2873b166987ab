import { KubernetesApplier, KubernetesObject } from '../kubernetes/KubernetesApplier';
import { FABRIC_MANAGED_BY, FABRIC_TAG_KEYS, fabricTags, isTaggedByStep } from '../plan/tags';
import { JsonValue, StepContext, StepExecutor } from '../plan/types';
import { ISLAND_STEP_TYPES } from './planIsland';

/** What the Kubernetes steps need of the hub cluster; a {@link KubernetesApplier} fits. */
export type IslandKubernetesApplier = Pick<KubernetesApplier, 'apply' | 'get' | 'delete'>;

interface ApplyInput {
  /** The hub cluster's name, for people reading the plan. */
  cluster: string;
  objects: KubernetesObject[];
}
interface DeleteInput {
  cluster: string;
  objects: ObjectRef[];
}
type ObjectRef = Pick<KubernetesObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace?: string } };

const refOf = (object: KubernetesObject): ObjectRef => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  metadata: { name: object.metadata.name, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) },
});
const describe = (ref: ObjectRef) => `${ref.kind} ${ref.metadata.name}`;

/** Whether `actual` holds every field of `wanted` (servers add defaults; arrays must match in length). */
export function containsFields(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return Array.isArray(actual) && actual.length === wanted.length && wanted.every((w, i) => containsFields(actual[i], w));
  }
  if (typeof wanted === 'object' && wanted !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    return Object.entries(wanted).every(([k, w]) => containsFields((actual as Record<string, unknown>)[k], w));
  }
  return actual === wanted;
}

/**
 * Server-side apply of a list of objects, and its undo. The fabric tags become
 * annotations (label values cannot hold a step key's `:`): objects the same step
 * applied are found (and owned when the same plan applied them, as for AWS tags), and an
 * object of the same name the fabric's step did not apply is never taken over.
 */
export function kubernetesExecutors(applier: IslandKubernetesApplier | undefined): StepExecutor[] {
  const clusterOf = (ctx: StepContext<{ cluster: string }>): IslandKubernetesApplier => {
    if (!applier) {
      throw new Error(`No Kubernetes target is configured for the hub cluster ${ctx.input.cluster}; the fabric renders but does not apply`);
    }
    return applier;
  };
  const annotated = (ctx: StepContext<ApplyInput>, object: KubernetesObject): KubernetesObject => ({
    ...object,
    metadata: {
      ...object.metadata,
      annotations: {
        ...((object.metadata.annotations as Record<string, string> | undefined) ?? {}),
        ...Object.fromEntries(fabricTags(ctx.plan, ctx.step.key).map(t => [t.Key, t.Value])),
      },
    },
  });

  const serverSideApply: StepExecutor<ApplyInput> = {
    type: ISLAND_STEP_TYPES.serverSideApply,
    async probe(ctx) {
      const cluster = clusterOf(ctx);
      let upToDate = true;
      let ours = true;
      for (const object of ctx.input.objects) {
        const live = await cluster.get<KubernetesObject>(object);
        if (!live) {
          upToDate = false;
          continue;
        }
        const annotations = (live.metadata.annotations as Record<string, string> | undefined) ?? {};
        // Applied by this step of some plan (same key and owner): fine to update. Anything else is not ours to touch.
        if (
          annotations[FABRIC_TAG_KEYS.managedBy] !== FABRIC_MANAGED_BY ||
          annotations[FABRIC_TAG_KEYS.step] !== ctx.step.key ||
          annotations[FABRIC_TAG_KEYS.owner] !== ctx.plan.owner
        ) {
          throw new Error(
            `${describe(refOf(object))} already exists in ${ctx.input.cluster} and was not applied by this step; ` +
              'the fabric does not take over objects it did not create',
          );
        }
        ours &&= isTaggedByStep(
          Object.entries(annotations).map(([Key, Value]) => ({ Key, Value })),
          ctx.plan,
          ctx.step.key,
        );
        const { apiVersion, kind, metadata, ...body } = object;
        if (!containsFields(live, body) || !containsFields(live.metadata, { labels: metadata.labels ?? {} })) upToDate = false;
      }
      if (!upToDate) return undefined;
      return { cluster: ctx.input.cluster, objects: ctx.input.objects.map(refOf) as unknown as JsonValue, ...(ours ? { created: true } : {}) };
    },
    async run(ctx) {
      const cluster = clusterOf(ctx);
      for (const object of ctx.input.objects) await cluster.apply(annotated(ctx, object));
      return { cluster: ctx.input.cluster, objects: ctx.input.objects.map(refOf) as unknown as JsonValue };
    },
    undo({ step, input }) {
      const objects = [...input.objects].reverse().map(refOf);
      return [
        {
          key: `destroy:${step.key}`,
          title: `Delete ${objects.map(describe).join(', ')} from ${input.cluster}`,
          kind: 'kubernetes',
          type: ISLAND_STEP_TYPES.kubernetesDelete,
          input: { cluster: input.cluster, objects: objects as unknown as JsonValue },
        },
      ];
    },
  };

  const kubernetesDelete: StepExecutor<DeleteInput> = {
    type: ISLAND_STEP_TYPES.kubernetesDelete,
    async probe(ctx) {
      const cluster = clusterOf(ctx);
      for (const object of ctx.input.objects) {
        if (await cluster.get(object)) return undefined;
      }
      return { cluster: ctx.input.cluster, deleted: true };
    },
    async run(ctx) {
      const cluster = clusterOf(ctx);
      // In order: NodePools before the node classes they refer to.
      for (const object of ctx.input.objects) await cluster.delete(object);
      return { cluster: ctx.input.cluster, deleted: true };
    },
  };

  return [serverSideApply, kubernetesDelete];
}
