import { createApiRef } from '@backstage/core-plugin-api';
import {
  CapacityResponse,
  EstateResponse,
  FabricHealth,
  FabricIntent,
  PlacementRecord,
} from '@internal/backstage-plugin-fabric-common';

export type { EstateResponse };

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
  /** Placements of one workload, newest first. */
  placements(entityRef: string): Promise<PlacementRecord[]>;
}

/** @public */
export const fabricApiRef = createApiRef<FabricApi>({ id: 'plugin.fabric.service' });
