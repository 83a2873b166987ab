/**
 * Catalog annotation that opts a component into the fabric. Its value is the
 * workload's intent: `throughput`, `tightly-coupled` or `balanced`.
 * @public
 */
export const FABRIC_WORKLOAD_ANNOTATION = 'cloudspectra.io/fabric-workload';

/**
 * Optional catalog annotation with the workload's GPU need, e.g. `h100`, `a10g`,
 * or an instance type such as `p5.48xlarge`.
 * @public
 */
export const FABRIC_GPU_ANNOTATION = 'cloudspectra.io/fabric-gpu';

/** Prefix of every label, tag and annotation the fabric writes. @public */
export const FABRIC_LABEL_PREFIX = 'fabric.cloudspectra.io';

/** The intents a workload can declare. @public */
export const FABRIC_INTENTS = ['throughput', 'tightly-coupled', 'balanced'] as const;

/** A workload's declared intent. @public */
export type FabricIntent = (typeof FABRIC_INTENTS)[number];

/** Narrows an annotation value to a known intent. @public */
export function isFabricIntent(value: unknown): value is FabricIntent {
  return typeof value === 'string' && (FABRIC_INTENTS as readonly string[]).includes(value);
}
