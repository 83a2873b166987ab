import useAsync from 'react-use/esm/useAsync';
import { useApi } from '@backstage/core-plugin-api';
import { CapacityResponse, CapacityRow } from '@internal/backstage-plugin-fabric-common';
import { fabricApiRef } from '../api/FabricApi';

/** A region × GPU chosen on the estate page. */
export interface RegionGpuSelection {
  region: string;
  gpu: string;
}

/** One physical zone of a region × GPU: its GPUs within quota and what each account calls it. */
export interface ZoneRow {
  id: string;
  azId: string;
  gpus: number;
  cheapestSpot?: number;
  cheapestOnDemand?: number;
  /** `ml-platform-hub: us-east-1c · ml-research: us-east-1b` */
  names: string;
}

/** An offering of the selection, with a key for tables. */
export type OfferingRow = CapacityRow & { id: string };

/** The selection's zones and offerings. */
export interface CapacityDrillDown {
  zones: ZoneRow[];
  offerings: OfferingRow[];
}

type ZonePrices = Pick<ZoneRow, 'cheapestSpot' | 'cheapestOnDemand'>;

/**
 * The cheapest price per GPU-hour of each AZ-ID, among offerings with quota headroom.
 * The only per-zone figure the API's `byAzId` does not carry.
 */
function cheapestPerZone(rows: CapacityRow[]): Map<string, ZonePrices> {
  const prices = new Map<string, ZonePrices>();
  for (const row of rows) {
    if (row.quotaHeadroomInstances <= 0) continue;
    const zone = prices.get(row.azId) ?? {};
    const perGpu = row.pricePerHour / row.gpuCount;
    if (row.capacityType === 'spot') zone.cheapestSpot = Math.min(zone.cheapestSpot ?? Infinity, perGpu);
    if (row.capacityType === 'on-demand') zone.cheapestOnDemand = Math.min(zone.cheapestOnDemand ?? Infinity, perGpu);
    prices.set(row.azId, zone);
  }
  return prices;
}

/**
 * One row per physical zone of a one-region capacity answer, as the API sums it
 * (`byAzId`): the same AZ-ID carries a different name in each account.
 */
export function zoneRowsOf(slice: CapacityResponse): ZoneRow[] {
  const prices = cheapestPerZone(slice.rows);
  return slice.byAzId.map(zone => ({
    id: zone.azId,
    azId: zone.azId,
    gpus: zone.gpus,
    names: zone.azNames.map(n => `${n.accountName}: ${n.azName}`).join(' · '),
    ...prices.get(zone.azId),
  }));
}

/**
 * Asks the API for the selected region × GPU and shows its answer by AZ-ID and by
 * offering; nothing while nothing is selected.
 */
export function useCapacityDrillDown(selection: RegionGpuSelection | undefined) {
  const api = useApi(fabricApiRef);
  const region = selection?.region;
  const gpu = selection?.gpu;
  return useAsync(async (): Promise<CapacityDrillDown | undefined> => {
    if (!region || !gpu) return undefined;
    const slice = await api.capacity({ region, gpu });
    return {
      zones: zoneRowsOf(slice),
      offerings: slice.rows.map((row, i) => ({ ...row, id: String(i) })),
    };
  }, [api, region, gpu]);
}
