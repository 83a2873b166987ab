import useAsync from 'react-use/esm/useAsync';
import { useApi } from '@backstage/core-plugin-api';
import { PlacementRecord } from '@internal/backstage-plugin-fabric-common';
import { fabricApiRef } from '../api/FabricApi';

/** A placement with the key its table needs (its own `id` is the placement's). */
export type PlacementRow = PlacementRecord & { tableId: string };

/** The placements of one workload, newest first. */
export function usePlacements(entityRef: string) {
  const api = useApi(fabricApiRef);
  return useAsync(async (): Promise<PlacementRow[]> => {
    const records = await api.placements(entityRef);
    return records.map(record => ({ ...record, tableId: record.id }));
  }, [api, entityRef]);
}
