import { FABRIC_NODE_CLASS_GROUP } from './types';

/**
 * Names the provisioner writes to the hub cluster and the portal reads back. One place,
 * so the loop that records a launch and the status reader that shows it cannot drift.
 */

/** Karpenter v1 group of NodePools and NodeClaims. */
export const KARPENTER_GROUP = 'karpenter.sh';
export const KARPENTER_API_VERSION = 'karpenter.sh/v1';

/** Group of the FabricNodeClass a fabric NodeClaim's `spec.nodeClassRef` names. */
export const FABRIC_GROUP = FABRIC_NODE_CLASS_GROUP;

/** Labels on every fabric NodeClaim (and the Node it becomes). */
export const NODEPOOL_LABEL = 'karpenter.sh/nodepool';
/** `<account>.<region>`. */
export const CELL_LABEL = 'fabric.cloudspectra.io/cell';
export const CAPACITY_TYPE_LABEL = 'karpenter.sh/capacity-type';
export const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';
export const ZONE_ID_LABEL = 'topology.k8s.aws/zone-id';
/** Also on pending pods: the fabric placement they belong to. */
export const PLACEMENT_LABEL = 'fabric.cloudspectra.io/placement';

/** NodeClaim annotations. */
export const PRICE_PER_HOUR_ANNOTATION = 'fabric.cloudspectra.io/price-per-hour';
/** The catalog entity ref the launch was for. */
export const ENTITY_ANNOTATION = 'fabric.cloudspectra.io/entity';

/** NodeClaim condition types, in the order a healthy claim reaches them. */
export const NODECLAIM_CONDITIONS = ['Launched', 'Registered', 'Initialized', 'Ready'] as const;

/** Leader election: one active loop per hub cluster. */
export const PROVISIONER_LEASE_NAME = 'cloudspectra-fabric-provisioner';
export const PROVISIONER_NAMESPACE = 'cloudspectra-fabric';

/** Health the leader publishes on its Lease. */
export const LAST_BATCH_AT_ANNOTATION = 'fabric.cloudspectra.io/last-batch-at';
export const DECISIONS_PER_SECOND_ANNOTATION = 'fabric.cloudspectra.io/decisions-per-second';
export const PENDING_PODS_ANNOTATION = 'fabric.cloudspectra.io/pending-pods';

/** Event reason on a pod the fabric cannot place (involvedObject: the pod). */
export const FABRIC_UNSCHEDULABLE_REASON = 'FabricUnschedulable';
