import { CapacityType, CellRef } from '@internal/backstage-plugin-fabric-common';
import { NodeSelectorRequirement, Taint } from '../compile/karpenter';
import { Toleration } from '../compile/compilePlacement';

/**
 * The provisioner's vocabulary: what it reads from the hub cluster (pending pods, NodePools,
 * FabricNodeClasses, NodeClaims, Nodes), what it decides, and what a launch answers.
 * Framework-free like the rest of the engine: the Kubernetes and EC2 adapters turn wire
 * objects into these shapes and back.
 */

/** Resource quantities in canonical units (Kubernetes quantities parsed). */
export interface Resources {
  /** CPU in millicores. */
  cpuMillis: number;
  memoryMiB: number;
  /** `nvidia.com/gpu`. */
  gpus: number;
  /** `aws.amazon.com/neuron`. */
  neuron: number;
  /** `vpc.amazonaws.com/efa`. */
  efa: number;
  pods: number;
}

/** A pod the provisioner must find a node for. */
export interface PendingPod {
  uid: string;
  namespace: string;
  name: string;
  /** Sum of container requests (max with init containers), plus one `pods`. */
  requests: Resources;
  /**
   * Required node affinity as ORed terms of ANDed requirements; `nodeSelector` is folded
   * into every term as `In [value]`. Empty: any node.
   */
  requirementTerms: NodeSelectorRequirement[][];
  tolerations: Toleration[];
  labels: Record<string, string>;
  /** The fabric placement it belongs to (`fabric.cloudspectra.io/placement`), if any. */
  placement?: string;
  /**
   * Gang membership (`fabric.cloudspectra.io/gang` scheduling gate present). Members are
   * decided and launched together, all or nothing.
   */
  gang?: { name: string; size: number };
  createdAt: string;
}

/** The FabricNodeClass spec (group `fabric.cloudspectra.io`, v1alpha1): where a member cell's nodes launch. */
export interface FabricNodeClassSpec {
  accountId: string;
  region: string;
  /** AZ-IDs the class may launch in (never AZ names). */
  azIds: string[];
  subnetSelectorTerms: Array<{ id?: string; tags?: Record<string, string> }>;
  securityGroupSelectorTerms: Array<{ id?: string; tags?: Record<string, string> }>;
  /** EFA islands: the launch template carrying the EFA NIC layout. */
  launchTemplate?: { id?: string; name?: string; version?: string };
  /** RAM-shared cluster placement group: participants address it by GroupId only. */
  placementGroupId?: string;
  island?: string;
  instanceProfile?: string;
  role?: string;
  tags?: Record<string, string>;
}

/** What the provisioner resolved a FabricNodeClass to (its status). */
export interface FabricNodeClassResolved {
  subnets: Array<{ id: string; azId: string; azName: string }>;
  securityGroups: Array<{ id: string }>;
  ready: boolean;
  /** Why it is not ready, e.g. AccessDenied in the member account. */
  reason?: string;
}

/** A Karpenter v1 NodePool whose nodeClassRef is a FabricNodeClass, as the provisioner reads it. */
export interface FabricNodePool {
  name: string;
  nodeClassName: string;
  weight: number;
  requirements: NodeSelectorRequirement[];
  labels: Record<string, string>;
  taints: Taint[];
  startupTaints: Taint[];
  /** Parsed `spec.limits` (absent = unlimited). */
  limits?: Partial<Resources>;
  consolidateAfterSeconds?: number;
  /** Smallest `disruption.budgets[].nodes` that applies now, as a node count; undefined = 10%. */
  disruptionBudgetNodes?: number;
  deleting: boolean;
}

/** One offering a launch may use, in the order the fleet should try it. */
export interface LaunchOffering {
  instanceType: string;
  azId: string;
  capacityType: CapacityType;
  subnetId: string;
  pricePerHour: number;
}

/** A node the provisioner has decided to launch. */
export interface NodeClaimDecision {
  /** NodeClaim name (its UID, once created, is the fleet ClientToken). */
  name: string;
  nodePool: string;
  nodeClass: string;
  cell: CellRef;
  /** Acceptable offerings, best first: spot before on-demand as the NodePool allows. */
  offerings: LaunchOffering[];
  /** Pods bin-packed onto this node. */
  podUids: string[];
  /** What the node must offer. */
  requests: Resources;
  gang?: string;
}

/** A pod no offering can hold, and why: surfaced as an Event and a NodePool condition. */
export interface UnschedulablePod {
  uid: string;
  reason: string;
}

export interface Decision {
  claims: NodeClaimDecision[];
  /** Gangs: claims that launch in one fleet request, all or nothing. */
  gangs: Array<{ name: string; claims: string[] }>;
  unschedulable: UnschedulablePod[];
}

/** What a launch answered. */
export type LaunchOutcome =
  | { status: 'launched'; instances: Array<{ instanceId: string; instanceType: string; azId: string; azName: string; capacityType: CapacityType; claim: string }> }
  | { status: 'insufficient-capacity'; tried: LaunchOffering[]; detail: string }
  | { status: 'access-denied'; detail: string }
  | { status: 'throttled'; detail: string }
  /**
   * AWS gave no answer that says whether it launched (the connection broke, the call timed
   * out, a 5xx): the claim stays and is launched again with the same ClientToken, which
   * yields what the first call launched, if anything.
   */
  | { status: 'unconfirmed'; detail: string }
  /**
   * The instances the claim's ClientToken launched are gone (e.g. spot took them back
   * before the launch was recorded): EC2 keeps answering the token with them, so the claim
   * is replaced by a new one rather than launched again.
   */
  | { status: 'gone'; detail: string; instanceIds: string[] }
  /** Anything else AWS refused (a bad subnet, a missing template): not retried blindly. */
  | { status: 'failed'; detail: string };

/** Tags every fabric-launched instance carries (GC finds orphans by them). */
export const NODECLAIM_TAG = 'fabric.cloudspectra.io/nodeclaim';
export const NODEPOOL_TAG = 'karpenter.sh/nodepool';
export const OWNER_TAG = 'fabric.cloudspectra.io/owner';

/** The FabricNodeClass kind and group, as NodePools reference it. */
export const FABRIC_NODE_CLASS_GROUP = 'fabric.cloudspectra.io';
export const FABRIC_NODE_CLASS_KIND = 'FabricNodeClass';
export const FABRIC_NODE_CLASS_VERSION = 'v1alpha1';

/** Startup taint the provisioner removes once it has labelled the node. */
export const FABRIC_STARTUP_TAINT = 'fabric.cloudspectra.io/unregistered';
