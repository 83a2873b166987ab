import useAsync from 'react-use/esm/useAsync';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import {
  CapacityRow,
  FABRIC_GPU_ANNOTATION,
  FABRIC_WORKLOAD_ANNOTATION,
  FabricIntent,
  isFabricIntent,
} from '@internal/backstage-plugin-fabric-common';
import { CapacityFilter, fabricApiRef } from '../api/FabricApi';

/** What the workload's intent asks of capacity. */
export function filterFor(intent: FabricIntent, gpu?: string): CapacityFilter {
  const filter: CapacityFilter = {};
  if (gpu) {
    if (gpu.includes('.')) filter.family = gpu.split('.')[0];
    else filter.gpu = gpu;
  }
  if (intent === 'tightly-coupled') filter.efaOnly = true;
  return filter;
}

/** Offerings the workload could use now: within quota, cheapest per GPU-hour first. */
function withinQuota(rows: CapacityRow[]): Array<CapacityRow & { id: string }> {
  return rows
    .filter(r => r.quotaHeadroomInstances > 0)
    .sort((a, b) => a.pricePerHour / a.gpuCount - b.pricePerHour / b.gpuCount)
    .map((r, i) => ({ ...r, id: String(i) }));
}

/**
 * Capacity for a catalog entity's declared intent and GPU, read from its annotations.
 * Nothing is queried for an entity without a known intent.
 */
export function useWorkloadCapacity(entity: Entity) {
  const api = useApi(fabricApiRef);
  const annotation = entity.metadata.annotations?.[FABRIC_WORKLOAD_ANNOTATION];
  const gpu = entity.metadata.annotations?.[FABRIC_GPU_ANNOTATION];
  const intent = isFabricIntent(annotation) ? annotation : undefined;
  const entityRef = stringifyEntityRef(entity);
  const state = useAsync(async () => {
    if (!intent) return undefined;
    const capacity = await api.capacity(filterFor(intent, gpu));
    return { capacity, rows: withinQuota(capacity.rows) };
  }, [api, intent, gpu, entityRef]);
  return { annotation, intent, gpu, entityRef, state };
}
