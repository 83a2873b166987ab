import { createHash } from 'node:crypto';
import { FABRIC_LABEL_PREFIX, Placement } from '@internal/backstage-plugin-fabric-common';

/** Well-known node labels every compiled constraint keys on (never the AZ *name*). */
export const ZONE_ID_LABEL = 'topology.k8s.aws/zone-id';
export const ZONE_NAME_LABEL = 'topology.kubernetes.io/zone';
export const CAPACITY_TYPE_LABEL = 'karpenter.sh/capacity-type';
export const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';

/** The fabric's own labels, taints, tags and gates. */
export const CELL_LABEL = `${FABRIC_LABEL_PREFIX}/cell`;
export const PLACEMENT_LABEL = `${FABRIC_LABEL_PREFIX}/placement`;
export const INTENT_LABEL = `${FABRIC_LABEL_PREFIX}/intent`;
export const ISLAND_LABEL = `${FABRIC_LABEL_PREFIX}/island`;
export const CLUSTER_TAG = `${FABRIC_LABEL_PREFIX}/cluster`;
export const ENTITY_TAG = `${FABRIC_LABEL_PREFIX}/entity`;
export const GANG_SCHEDULING_GATE = `${FABRIC_LABEL_PREFIX}/gang`;
/** The fabric NodePool a node belongs to, as `karpenter.sh/nodepool` names a Karpenter pool's. */
export const FABRIC_NODEPOOL_LABEL = `${FABRIC_LABEL_PREFIX}/nodepool`;

export const NVIDIA_GPU_RESOURCE = 'nvidia.com/gpu';
export const NEURON_RESOURCE = 'aws.amazon.com/neuron';

/**
 * A cell as a label value: `<account>.<region>`. Label values cannot hold `/`, so the
 * `<account>/<region>` form of `cellId` does not fit.
 */
export function cellLabelValue(cell: { accountId: string; region: string }): string {
  return `${cell.accountId}.${cell.region}`;
}

/**
 * A short, DNS- and label-safe name for a placement: its id when it has one, otherwise a
 * hash of the request and the decision, so recompiling the same placement gives the same
 * names (and server-side apply changes nothing).
 */
export function placementShortName(placement: Placement): string {
  if (placement.id) {
    const slug = placement.id.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (slug.length >= 4) return slug.slice(0, 12);
  }
  const digest = createHash('sha256')
    .update(JSON.stringify({ request: placement.request, chosen: placement.chosen }))
    .digest('hex');
  return digest.slice(0, 10);
}

/** Makes any string a label value: [A-Za-z0-9._-], at most 63, alphanumeric at both ends. */
export function labelSafe(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '') || 'x';
}
