import { createApiRef } from '@backstage/core-plugin-api';
import {
  CapacityResponse,
  EstateResponse,
  FabricHealth,
  FabricIntent,
  PlacementRecord,
} from '@internal/backstage-plugin-fabric-common';

export type { EstateResponse };

/** One step of a plan with its status, as `GET /plans/:id` returns it. @public */
export interface PlanStepView {
  key: string;
  title: string;
  status: 'pending' | 'running' | 'done' | 'failed';
  via?: string;
  error?: string;
  output?: Record<string, unknown>;
  startedAt?: string;
  finishedAt?: string;
}

/** A stored plan with its steps' status. @public */
export interface PlanView {
  id: string;
  kind: string;
  subject: string;
  status: 'planned' | 'applying' | 'applied' | 'failed';
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  plan: { id: string; title: string; steps: Array<{ key: string; title: string; type: string; cell?: { accountId: string; region: string } }> };
  details?: Record<string, any>;
  steps: PlanStepView[];
}

/** A stored plan as `GET /plans` lists it: what {@link PlanView} shows, without step status. @public */
export type PlanSummary = Omit<PlanView, 'steps'>;

/** Filters of `GET /plans`. @public */
export interface PlanFilter {
  kind?: 'mesh' | 'island' | 'island-destroy' | 'mesh-destroy' | 'cells';
  subject?: string;
}

/** Filters of a capacity query, as the backend accepts them. @public */
export interface CapacityFilter {
  gpu?: string;
  family?: string;
  minGpus?: number;
  region?: string;
  azId?: string;
  capacityType?: 'spot' | 'on-demand' | 'reserved';
  efaOnly?: boolean;
  intent?: FabricIntent;
}

/** Client of the fabric backend. @public */
export interface FabricApi {
  health(): Promise<FabricHealth>;
  capacity(filter?: CapacityFilter): Promise<CapacityResponse>;
  estate(): Promise<EstateResponse>;
  /** Plans the peering mesh (never changes anything). */
  planMesh(): Promise<PlanView>;
  /** Stored plans, newest first (at most 100). */
  plans(filter?: PlanFilter): Promise<PlanSummary[]>;
  /** A plan and the status of each of its steps. */
  plan(id: string): Promise<PlanView>;
  /** Starts applying a plan; progress is read with {@link FabricApi.plan}. */
  applyPlan(id: string): Promise<PlanView>;
  /** Placements of one workload, newest first. */
  placements(entityRef: string): Promise<PlacementRecord[]>;
}

/** @public */
export const fabricApiRef = createApiRef<FabricApi>({ id: 'plugin.fabric.service' });
