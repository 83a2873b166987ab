/** moto's account for access keys that did not come from an AssumeRole seen by the proxy. */
export const MOTO_DEFAULT_ACCOUNT: '123456789012';

/**
 * What a rule does to a matching call.
 * - `insufficient-capacity`: only CreateFleet and RunInstances. CreateFleet answers 200 with
 *   the matching overrides in `errorSet` (errorCode InsufficientInstanceCapacity) and moto
 *   launches on the overrides that are left (no instances and a made-up fleet id when none
 *   is left); RunInstances answers HTTP 500 InsufficientInstanceCapacity.
 * - `throttle`: EC2 503 RequestLimitExceeded, STS 400 Throttling, JSON 400 TooManyRequestsException.
 * - `server-error`: EC2 500 InternalError, STS 500 InternalFailure, JSON 500 ServiceException.
 * - `unavailable`: 503 (EC2 Unavailable, STS ServiceUnavailable).
 * - `access-denied`: EC2 403 UnauthorizedOperation, STS 403 AccessDenied (AssumeRole into the
 *   rule's account is refused), JSON 400 AccessDeniedException.
 * - `timeout`: the request is held (until the client gives up, `holdMs`, or stop()) and the
 *   connection then closed, with nothing forwarded.
 * - `reset`: the connection is destroyed before anything is forwarded.
 * - `lose-response`: forwarded to moto (it acts), then the connection is destroyed.
 * - `custom`: answers `status`/`code`/`message` in the called service's error format.
 */
export type FaultKind =
  | 'insufficient-capacity'
  | 'throttle'
  | 'server-error'
  | 'unavailable'
  | 'access-denied'
  | 'timeout'
  | 'reset'
  | 'lose-response'
  | 'custom';

/**
 * A fault and the calls it applies to. Every filter left out matches anything; a list
 * matches any of its values. Rules are tried in order, the first that matches applies.
 */
export interface FaultRule {
  fault: FaultKind;
  /** The caller's account (AssumeRole counts as the account of the role it assumes). */
  account?: string | string[];
  region?: string | string[];
  /** Signing name: 'ec2', 'sts', 'servicequotas', ... */
  service?: string | string[];
  /** API action, e.g. 'CreateFleet', 'DescribeInstances', 'AssumeRole', 'GetServiceQuota'. */
  action?: string | string[];
  /** insufficient-capacity only: the launch's instance type. */
  instanceType?: string | string[];
  /** insufficient-capacity only: the AZ-ID of the override's subnet or AvailabilityZone. */
  azId?: string | string[];
  /** insufficient-capacity only: the AZ name as the calling account names it. */
  azName?: string | string[];
  /** insufficient-capacity only: CreateFleet's DefaultTargetCapacityType / RunInstances' market type. */
  capacityType?: 'spot' | 'on-demand' | Array<'spot' | 'on-demand'>;
  /**
   * insufficient-capacity only: the pool has this many instances left instead of none.
   * When every override of a CreateFleet draws on the pool, the fleet gets min(available,
   * target) instances and an error for the shortfall, or nothing (and the error) when
   * available is below the request's MinTargetCapacity. Launches from the pool use it up.
   */
  available?: number;
  /** Applies this many times (per matching request), then no more. Default: always. */
  count?: number;
  /** Same as count: 1. */
  once?: boolean;
  /** timeout: release the held request after this long. */
  holdMs?: number;
  /** custom (or to override a kind's defaults): HTTP status, error code, message. */
  status?: number;
  code?: string;
  message?: string;
}

/** account → region → quota code → value. '*' as account or region applies to all. */
export type ServiceQuotaTable = Record<string, Record<string, Record<string, number>>>;

/** The account's AZ names in a region, by AZ-ID; undefined keeps moto's names. */
export type AzNamesFunction = (
  accountId: string,
  region: string,
  motoZones: Array<{ zoneName: string; zoneId: string }>,
) => Record<string, string> | undefined;

export interface StartFaultProxyOptions {
  /** moto_server's endpoint, e.g. MotoServer.endpoint. */
  target: string;
  /** Listen port on 127.0.0.1. Default: a free one. */
  port?: number;
  rules?: FaultRule[];
  /** Values GetServiceQuota / ListServiceQuotas answer; a missing code is NoSuchResourceException. */
  serviceQuotas?: ServiceQuotaTable;
  /** quota code → value GetAWSDefaultServiceQuota answers; a missing code is NoSuchResourceException. */
  awsDefaultQuotas?: Record<string, number>;
  /**
   * Each account's AZ names: a table account → region → AZ-ID → name, or a function
   * (see rotatedAzNames). Applied to every EC2 request (the account's names → moto's) and
   * response (moto's names → the account's). Default: moto's names everywhere.
   */
  azNames?: Record<string, Record<string, Record<string, string>>> | AzNamesFunction;
  /**
   * Spot prices (USD per instance-hour) DescribeSpotPriceHistory answers: by instance type,
   * or a function of the call's account, region, type and zone. Each type × zone moto
   * offers becomes one Linux/UNIX row stamped now; no price, no row. The product-description
   * filter is honoured (moto alone answers nothing under it). Default: moto's own answer.
   */
  spotPrices?: Record<string, number> | SpotPriceFunction;
  /**
   * Answer the EC2 calls moto does not implement (DescribeCapacityReservations,
   * GetSpotPlacementScores) with empty lists instead of moto's HTTP 500. Default true.
   */
  answerMotoGaps?: boolean;
  log?: (message: string) => void;
}

export type SpotPriceFunction = (offering: {
  account: string;
  region: string;
  instanceType: string;
  azId: string;
  /** The account's name for the zone. */
  azName: string;
}) => number | undefined;

export interface ProxyCall {
  service: string;
  action: string;
  account: string;
  region: string;
  /** The fault that answered (or shaped) the call, if any. */
  fault?: FaultKind;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port>: use as the SDK clients' endpoint instead of moto's. */
  endpoint: string;
  /** Replaces the rules (each with a fresh count). */
  setRules(rules: FaultRule[]): void;
  /** The current rules with their remaining counts. */
  rules(): FaultRule[];
  setServiceQuotas(table: ServiceQuotaTable): void;
  setAzNames(azNames: StartFaultProxyOptions['azNames']): void;
  /** The account an access key id belongs to (learned from AssumeRole; else moto's default). */
  accountOf(accessKeyId: string): string;
  /** Declares an access key's account (for long-term keys that never pass AssumeRole). */
  rememberAccessKey(accessKeyId: string, accountId: string): void;
  /**
   * Every call seen since start (or clearCalls), in order. Calls sent with the header
   * `x-fault-proxy-exempt: 1` (node join's) are neither logged nor faulted.
   */
  calls(): ProxyCall[];
  clearCalls(): void;
  stop(): Promise<void>;
}

export function startFaultProxy(options: StartFaultProxyOptions): Promise<FaultProxy>;

/** AZ names rotated per account (by a hash of its id), so most accounts name each AZ-ID differently. */
export function rotatedAzNames(options?: { except?: string[] }): AzNamesFunction;
