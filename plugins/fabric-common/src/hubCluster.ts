/**
 * Wire shapes of what the hub cluster shows about the fabric's provisioner:
 * `GET /api/fabric/nodeclaims` and `GET /api/fabric/provisioner`.
 */

/** Where a fabric node is in its life, read from its NodeClaim's conditions. */
export type NodeClaimState = 'Launching' | 'Registered' | 'Ready' | 'Terminating' | 'Failed';

/** One fabric-managed NodeClaim (nodeClassRef group `fabric.cloudspectra.io`) and its Node. */
export interface NodeClaimRow {
  name: string;
  nodePool?: string;
  /** `<account>.<region>`. */
  cell?: string;
  accountId?: string;
  region?: string;
  azId?: string;
  instanceType?: string;
  capacityType?: string;
  /** From `status.providerID` (`aws:///<az>/<instance-id>`). */
  instanceId?: string;
  /** The Node the claim registered as, when it exists. */
  nodeName?: string;
  state: NodeClaimState;
  /** Why the claim is in this state (the condition's reason and message), when it says. */
  reason?: string;
  /** The placement the node was launched for. */
  placement?: string;
  /** The catalog entity the node was launched for. */
  entityRef?: string;
  createdAt: string;
  ageSeconds: number;
  /** USD per hour the provisioner recorded at launch. */
  pricePerHour?: number;
}

/** A pod waiting for a fabric node, with the fabric's latest word on why. */
export interface PendingPodRow {
  namespace: string;
  name: string;
  placement?: string;
  /** The latest `FabricUnschedulable` event's message, or the scheduler's condition message. */
  reason?: string;
  /** When the pod started waiting (the event's first time, else the pod's creation). */
  since: string;
}

export interface NodeClaimsResponse {
  /** False when `fabric.hub.kubernetes` is not configured: the lists are then empty. */
  configured: boolean;
  items: NodeClaimRow[];
  pendingPods: PendingPodRow[];
}

export interface ProvisionerHealthResponse {
  configured: boolean;
  /** The Lease holder; absent when no provisioner has ever run. */
  leader?: string;
  renewedAt?: string;
  /** True when the leader has not renewed within the Lease duration (nobody is provisioning). */
  leaseExpired?: boolean;
  lastBatchAt?: string;
  decisionsPerSecond?: number;
  pendingPods?: number;
}
