import { createApiRef } from '@backstage/core-plugin-api';
import {
  CapacityResponse,
  CapacityType,
  EstateResponse,
  FabricHealth,
  FabricIntent,
  NodeClaimsResponse,
  PlacementRecord,
  PlanFilter,
  PlanSummary,
  PlanView,
  ProvisionerHealthResponse,
} from '@internal/backstage-plugin-fabric-common';

/** Filters of a capacity query, as the backend accepts them. @public */
export interface CapacityFilter {
  gpu?: string;
  family?: string;
  minGpus?: number;
  region?: string;
  azId?: string;
  capacityType?: CapacityType;
  efaOnly?: boolean;
  intent?: FabricIntent;
}

/** Filters of `GET /nodeclaims`. @public */
export interface NodeClaimFilter {
  /** `<account>.<region>`. */
  cell?: string;
  entityRef?: string;
  nodePool?: string;
}

/** Client of the fabric backend. @public */
export interface FabricApi {
  health(): Promise<FabricHealth>;
  capacity(filter?: CapacityFilter): Promise<CapacityResponse>;
  estate(): Promise<EstateResponse>;
  /** Plans the peering mesh (never changes anything). */
  planMesh(): Promise<PlanView>;
  /** Plans removing what the fabric's mesh applies created (never changes anything). */
  planMeshRemoval(): Promise<PlanView>;
  /** Stored plans, newest first (at most 100). */
  plans(filter?: PlanFilter): Promise<PlanSummary[]>;
  /** A plan and the status of each of its steps. */
  plan(id: string): Promise<PlanView>;
  /** Starts applying a plan; progress is read with {@link FabricApi.plan}. */
  applyPlan(id: string): Promise<PlanView>;
  /** Placements of one workload, newest first. */
  placements(entityRef: string): Promise<PlacementRecord[]>;
  /** The provisioner's NodeClaims in the hub cluster and the fabric pods still pending. */
  nodeClaims(filter?: NodeClaimFilter): Promise<NodeClaimsResponse>;
  /** The provisioner's health from its leader-election Lease. */
  provisioner(): Promise<ProvisionerHealthResponse>;
}

/** @public */
export const fabricApiRef = createApiRef<FabricApi>({ id: 'plugin.fabric.service' });
