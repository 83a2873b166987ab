import { createApiRef } from '@backstage/core-plugin-api';
import {
  CapacityResponse,
  CellStatus,
  FabricHealth,
} from '@internal/backstage-plugin-fabric-common';

/** Filters of a capacity query, as the backend accepts them. @public */
export interface CapacityFilter {
  gpu?: string;
  family?: string;
  minGpus?: number;
  region?: string;
  azId?: string;
  capacityType?: 'spot' | 'on-demand' | 'reserved';
  efaOnly?: boolean;
}

/** Body of `GET /api/fabric/estate`. @public */
export interface EstateResponse {
  source: string;
  takenAt: string;
  snapshot?: string;
  cells: CellStatus[];
}

/** Client of the fabric backend. @public */
export interface FabricApi {
  health(): Promise<FabricHealth>;
  capacity(filter?: CapacityFilter): Promise<CapacityResponse>;
  estate(): Promise<EstateResponse>;
}

/** @public */
export const fabricApiRef = createApiRef<FabricApi>({ id: 'plugin.fabric.service' });
