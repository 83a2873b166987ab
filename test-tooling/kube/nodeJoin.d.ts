import type { ControlPlaneResponse } from './controlPlane';

export interface NodeJoinAccount {
  accountId: string;
  /** Role to assume with the hub credentials (as the fabric does). Either this or credentials. */
  roleArn?: string;
  externalId?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Regions whose instances join. */
  regions: string[];
}

/** What neverJoin is told about an instance. */
export interface NodeJoinInstance {
  instanceId: string;
  accountId: string;
  region: string;
  instanceType: string;
  tags: Record<string, string>;
}

export interface StartNodeJoinOptions {
  /** The hub cluster: a ControlPlane, or anything with the same request(). */
  plane: {
    request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ControlPlaneResponse>;
  };
  /** EC2/STS endpoint: the fault proxy's (to see each account's own AZ names), or moto's. */
  endpoint: string;
  accounts: NodeJoinAccount[];
  /** Credentials for AssumeRole. Default: fixed test keys (moto's default account). */
  hubCredentials?: { accessKeyId: string; secretAccessKey: string };
  /** Poll period of DescribeInstances in every account × region. Default 1000. */
  intervalMs?: number;
  /** A running instance joins only this long after the join first saw it running. Default 0. */
  registrationDelayMs?: number;
  /** Instances that never join (e.g. for a registration-timeout test). */
  neverJoin?: (instance: NodeJoinInstance) => boolean;
  /**
   * When a Node is deleted, force-delete the Pods bound to it, as kube-controller-manager's
   * pod garbage collector would (the test plane runs none). Default true.
   */
  deleteOrphanedPods?: boolean;
  log?: (message: string) => void;
}

export interface NodeJoin {
  /** One pass now (queued behind a running one): join new running instances, delete Nodes of gone ones. */
  syncOnce(): Promise<{ created: number; deleted: number }>;
  /** The Node name an instance joined as, if it joined. */
  nodeNameOf(instanceId: string): string | undefined;
  /** instance id → Node name, for every joined instance. */
  joinedNodes(): Map<string, string>;
  /** This instance will never join (from now on). */
  preventJoin(instanceId: string): void;
  /** Stops polling (Nodes stay). */
  stop(): Promise<void>;
}

/**
 * Polls DescribeInstances in every account × region and registers each running instance
 * as a Node the way nodeadm + kubelet would (see nodeJoin.js for the exact fields), handed
 * to KWOK; deletes the Node when the instance is terminated.
 */
export function startNodeJoin(options: StartNodeJoinOptions): Promise<NodeJoin>;

/** The --node-labels / --register-with-taints kubelet flags found in (base64) user data. */
export function kubeletFlagsFromUserData(userDataBase64: string | undefined): {
  labels: Record<string, string>;
  taints: Array<{ key: string; value?: string; effect: string }>;
};

/** Tag whose JSON object value adds Node labels: 'fabric.cloudspectra.io/node-labels'. */
export const NODE_LABELS_TAG: string;
/** Tag whose JSON array of {key, value, effect} adds Node taints: 'fabric.cloudspectra.io/node-taints'. */
export const NODE_TAINTS_TAG: string;
