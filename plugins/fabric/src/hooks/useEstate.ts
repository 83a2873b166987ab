import useAsync from 'react-use/esm/useAsync';
import { useApi } from '@backstage/core-plugin-api';
import {
  CapacityResponse,
  EstateResponse,
  FabricHealth,
} from '@internal/backstage-plugin-fabric-common';
import { fabricApiRef } from '../api/FabricApi';

/** One region × GPU group of `GET /capacity`, with a key for tables. */
export type RegionGpu = CapacityResponse['byRegionAndGpu'][number] & { id: string };

/** What the estate page shows: the backend's health, all capacity, and the enrolled estate. */
export interface Estate {
  health: FabricHealth;
  capacity: CapacityResponse;
  estate: EstateResponse;
  /** The API's region × GPU groups, region by region, the biggest pool of each region first. */
  regionGpus: RegionGpu[];
}

/** Groups in the order the summary, the heat map and a selection look them up. */
export function regionGpusOf(capacity: CapacityResponse): RegionGpu[] {
  return capacity.byRegionAndGpu
    .map(group => ({ ...group, id: `${group.region}|${group.gpu}` }))
    .sort((a, b) => a.region.localeCompare(b.region) || b.gpus - a.gpus);
}

/** Loads the estate page's data in one go: it shows nothing until all of it is there. */
export function useEstate() {
  const api = useApi(fabricApiRef);
  return useAsync(async (): Promise<Estate> => {
    const [health, capacity, estate] = await Promise.all([api.health(), api.capacity(), api.estate()]);
    return { health, capacity, estate, regionGpus: regionGpusOf(capacity) };
  }, [api]);
}
