import type { Placement } from './placementRequest';
/** How an offering is bought. @public */
export type CapacityType = 'spot' | 'on-demand' | 'reserved';

/** The role an account plays in the estate. @public */
export type AccountRole = 'hub' | 'network' | 'member';

/**
 * One (account, region): the unit the fabric discovers, provisions and reports on.
 * @public
 */
export interface CellRef {
  accountId: string;
  region: string;
}

/** Stable identifier of a cell, `<account>/<region>`. @public */
export function cellId(cell: CellRef): string {
  return `${cell.accountId}/${cell.region}`;
}

/** Static facts about a GPU or accelerator instance type. @public */
export interface InstanceTypeInfo {
  instanceType: string;
  /** Family as AWS prices and quotas it: `p5`, `g6e`, `trn1`. */
  family: string;
  vcpus: number;
  memoryMiB: number;
  acceleratorName: string;
  acceleratorManufacturer: string;
  acceleratorCount: number;
  acceleratorMemoryMiB: number;
  efaSupported: boolean;
  maxEfaInterfaces: number;
  networkCards: number;
}

/**
 * Something the fabric could launch: a type in one AZ-ID of one cell, bought one way.
 * Every locality decision keys on `azId`; `azName` is the owning account's local name,
 * kept only to show people.
 * @public
 */
export interface Offering {
  accountId: string;
  region: string;
  azId: string;
  azName: string;
  instanceType: string;
  capacityType: CapacityType;
  /** USD per instance-hour. */
  pricePerHour: number;
  /**
   * Where `pricePerHour` comes from: the current spot price (`spot-price-history`), the
   * fabric's built-in approximate on-demand list prices (`built-in-table`; EC2 APIs carry
   * no on-demand price), or nowhere (`unknown`: reserved capacity of a type the table
   * lacks, priced 0 because a reservation is paid for whether used or not). Absent in
   * the demo estate.
   */
  priceSource?: 'spot-price-history' | 'built-in-table' | 'unknown';
  /** Spot placement score 1–10 for the AZ-ID, when known (spot only). */
  placementScore?: number;
  /** How many more instances of this type the vCPU quota allows now. */
  quotaHeadroomInstances: number;
  /** Capacity reservation or capacity block backing a reserved offering. */
  reservationId?: string;
  /** Instances available in the reservation. */
  reservedInstances?: number;
}

/** Health of one cell's last discovery. @public */
export interface CellStatus extends CellRef {
  accountName: string;
  fresh: boolean;
  discoveredAt?: string;
  error?: string;
  /**
   * Things discovery had to assume in a cell that still completed: a quota read as the
   * AWS default or as 0, types left without an on-demand offering for lack of a price,
   * placement scores that could not be read.
   */
  warnings?: string[];
  /** The account's local AZ name → AZ-ID map for this region. */
  azMap: Record<string, string>;
}

/** A timestamped snapshot of every offering in the estate. @public */
export interface Inventory {
  id?: string;
  takenAt: string;
  source: EstateSource;
  cells: CellStatus[];
  instanceTypes: InstanceTypeInfo[];
  offerings: Offering[];
}

/** Where the estate's data comes from. @public */
export type EstateSource = 'demo' | 'aws';

/** The fabric's operating mode: plan-only never changes cloud resources. @public */
export type FabricMode = 'plan-only' | 'apply';

/** Body of `GET /api/fabric/health`. @public */
export interface FabricHealth {
  status: 'ok';
  version: string;
  mode: FabricMode;
  estateSource: EstateSource;
  /**
   * Enrolled accounts; once discovery has run, the accounts it found cells for.
   */
  accounts: number;
  /** Cells in the newest inventory; 0 while discovery is pending. */
  cells: number;
  /**
   * `pending` until the first discovery has stored an inventory. Health never starts
   * discovery itself: it is unauthenticated, and discovery calls AWS in every account.
   */
  discovery: 'pending' | 'done';
  /** When the newest inventory was taken. */
  discoveredAt?: string;
}

/** One row of `GET /api/fabric/capacity`. @public */
export interface CapacityRow extends Offering {
  accountName: string;
  gpu: string;
  gpuCount: number;
  gpuMemoryMiB: number;
  efaSupported: boolean;
}

/** Body of `GET /api/fabric/capacity`. @public */
export interface CapacityResponse {
  source: EstateSource;
  takenAt: string;
  staleCells: CellStatus[];
  rows: CapacityRow[];
  /** Sum of GPUs the quota headroom allows, per region × GPU. */
  byRegionAndGpu: Array<{
    region: string;
    gpu: string;
    gpus: number;
    cheapestSpotPerGpuHour?: number;
    cheapestOnDemandPerGpuHour?: number;
  }>;
  /**
   * Sum of GPUs the quota headroom allows, per physical zone. `azNames` lists what each
   * account calls that zone, since the same name is a different zone in another account.
   */
  byAzId: Array<{
    region: string;
    azId: string;
    gpus: number;
    azNames: Array<{ accountId: string; accountName: string; azName: string }>;
  }>;
}

/** One enrolled account as `GET /estate` shows it. @public */
export interface EstateAccountView {
  id: string;
  name: string;
  role: AccountRole;
  regions: string[];
  /** Cells of this account that are stale. */
  staleCells: number;
}

/** Body of `GET /api/fabric/estate`. @public */
export interface EstateResponse {
  source: EstateSource;
  mode: FabricMode;
  takenAt: string;
  snapshot?: string;
  accounts: EstateAccountView[];
  cells: CellStatus[];
}

/**
 * A stored placement: the decision, who asked, on which inventory, and the Kubernetes
 * artifacts it compiles to. Body of `POST /placements` and `GET /placements/:id`.
 * @public
 */
export interface PlacementRecord {
  id: string;
  entityRef: string;
  createdBy: string;
  createdAt: string;
  inventorySnapshot?: string;
  inventorySource: EstateSource;
  placement: Placement;
  /** For a placed placement: what the workload and the hub cluster need. */
  artifacts?: {
    /** Scheduling constraints for the workload's pods (affinity, tolerations, gates…). */
    podScheduling: Record<string, unknown>;
    /** The Karpenter objects, by kind and name. */
    objects: Array<{ apiVersion: string; kind: string; name: string }>;
    /** Every object as one multi-document YAML, ready to commit or apply. */
    yaml: string;
  };
}
