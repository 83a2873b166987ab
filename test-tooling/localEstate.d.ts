import type { MotoServer } from './moto/motoServer';
import type { FaultProxy, StartFaultProxyOptions, ServiceQuotaTable } from './moto/faultProxy';
import type { ControlPlane } from './kube/controlPlane';
import type { NodeJoin, NodeJoinAccount, StartNodeJoinOptions } from './kube/nodeJoin';

export interface StartLocalEstateOptions {
  /** The member accounts (role to assume, regions) whose instances join the hub as Nodes. */
  accounts: NodeJoinAccount[];
  /** Service Quotas the accounts have (account → region → quota code → value; '*' for any). */
  serviceQuotas?: ServiceQuotaTable;
  awsDefaultQuotas?: Record<string, number>;
  /** Each account's AZ names. Default: rotatedAzNames(). */
  azNames?: StartFaultProxyOptions['azNames'];
  /** Spot prices DescribeSpotPriceHistory answers (see the fault proxy). Default: none (moto's). */
  spotPrices?: StartFaultProxyOptions['spotPrices'];
  /** Node join's other options (poll interval, registration delay, neverJoin). */
  join?: Partial<Pick<StartNodeJoinOptions, 'intervalMs' | 'registrationDelayMs' | 'neverJoin' | 'hubCredentials'>>;
  /**
   * Also run kube-controller-manager (Jobs, ReplicaSets, garbage collection), so workloads
   * recreate pods a drain evicts, as in a real cluster. Default false.
   */
  controllerManager?: boolean;
  log?: (message: string) => void;
}

export interface LocalEstate {
  /** The endpoint the fabric's AWS clients use (the fault proxy in front of moto). */
  awsEndpoint: string;
  moto: MotoServer;
  proxy: FaultProxy;
  /** The hub cluster (with KWOK). */
  plane: ControlPlane;
  nodeJoin: NodeJoin;
  /** Stops node join, the proxy, the plane and moto. */
  stop(): Promise<void>;
}

/**
 * moto behind the fault proxy, the Kubernetes test plane with KWOK, and node join for the
 * given accounts: an estate and its hub cluster on one machine.
 */
export function startLocalEstate(options: StartLocalEstateOptions): Promise<LocalEstate>;
