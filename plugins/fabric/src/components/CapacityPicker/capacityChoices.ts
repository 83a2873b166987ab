import {
  CapacityResponse,
  CapacityRow,
  cellId,
  FabricIntent,
  isFabricIntent,
} from '@internal/backstage-plugin-fabric-common';
import { CapacityFilter } from '../../api/FabricApi';

/** What the picker stores: a region, and optionally one AZ-ID of it. @public */
export interface FabricCapacityPickerValue {
  region?: string;
  azId?: string;
}

/** The workload's need, as the rest of the form describes it. */
export interface CapacityNeed {
  intent?: FabricIntent;
  /** A GPU name (`H100`, `L4`), an instance family (`p5`) or an instance type (`p5.48xlarge`). */
  gpu?: string;
  totalGpus?: number;
}

/** One physical zone, with what each account calls it and what it can hold for the need. */
export interface ZoneChoice {
  region: string;
  azId: string;
  /** `ml-platform-hub: us-east-1c · ml-research: us-east-1b` */
  localNames: string;
  /**
   * GPUs the quotas allow here for the intent. For a tightly-coupled gang: the most on
   * one instance type, reserved and on-demand only, since the gang runs on one type and
   * spot is off for gangs by default.
   */
  gpus: number;
  cheapestPerGpuHour?: number;
}

/** One region with its zones. */
export interface RegionChoice {
  region: string;
  /**
   * GPUs the quotas allow in the region; for a tightly-coupled gang, the largest gang
   * one AZ-ID of it can hold (a gang never spans AZ-IDs).
   */
  gpus: number;
  cheapestPerGpuHour?: number;
  zones: ZoneChoice[];
}

/** Families are `p5`, `g6e`, `trn1`, `inf2`, `dl1`…; GPU names are `H100`, `L4`, `A10G`… */
const FAMILY = /^(p|g|gr|trn|inf|dl|vt|f)\d+[a-z]*$/;

/** The capacity query for a need: a GPU name filters by GPU, a family or type by family. */
export function capacityFilterFor(need: CapacityNeed): CapacityFilter {
  const filter: CapacityFilter = {};
  if (need.intent) filter.intent = need.intent;
  const gpu = need.gpu?.trim();
  if (gpu) {
    if (gpu.includes('.')) filter.family = gpu.split('.')[0].toLowerCase();
    else if (FAMILY.test(gpu)) filter.family = gpu;
    else filter.gpu = gpu;
  }
  return filter;
}

/** Reads `intent`, `gpu` and `totalGpus` from the scaffolder form's data; anything else is ignored. */
export function needFromForm(formData: unknown): CapacityNeed {
  const data = (formData && typeof formData === 'object' ? formData : {}) as Record<string, unknown>;
  const need: CapacityNeed = {};
  if (isFabricIntent(data.intent)) need.intent = data.intent;
  if (typeof data.gpu === 'string' && data.gpu.trim()) need.gpu = data.gpu.trim();
  const total = typeof data.totalGpus === 'string' ? Number(data.totalGpus) : data.totalGpus;
  if (typeof total === 'number' && Number.isInteger(total) && total > 0) need.totalGpus = total;
  return need;
}

/** Nodes an offering can give now: its quota headroom, and for a reservation its free instances too. */
function nodesOf(row: CapacityRow): number {
  if (row.capacityType === 'reserved') {
    return Math.max(0, Math.min(row.reservedInstances ?? row.quotaHeadroomInstances, row.quotaHeadroomInstances));
  }
  return Math.max(0, row.quotaHeadroomInstances);
}

/**
 * Offerings the placement engine could use for the intent: fresh cells only (a stale
 * cell's offerings are never placed on), a usable price, headroom left, and for a
 * tightly-coupled gang EFA-capable types without spot.
 */
function usable(capacity: CapacityResponse, intent?: FabricIntent): CapacityRow[] {
  const stale = new Set(capacity.staleCells.map(cellId));
  const gang = intent === 'tightly-coupled';
  return capacity.rows.filter(
    row =>
      !stale.has(cellId(row)) &&
      Number.isFinite(row.pricePerHour) &&
      row.pricePerHour >= 0 &&
      nodesOf(row) > 0 &&
      (!gang || (row.efaSupported && row.capacityType !== 'spot')),
  );
}

const byName = (a: string, b: string) => a.localeCompare(b);

/**
 * Regions and AZ-IDs that can hold GPUs for the intent, with what each account calls
 * each zone. Zones with offerings but no usable capacity are listed with 0 so a quota
 * wall stays visible.
 */
export function capacityChoices(capacity: CapacityResponse, intent?: FabricIntent): RegionChoice[] {
  const gang = intent === 'tightly-coupled';
  const names = new Map<string, Map<string, string>>();
  const zoneRegion = new Map<string, string>();
  for (const row of capacity.rows) {
    zoneRegion.set(row.azId, row.region);
    const accounts = names.get(row.azId) ?? new Map<string, string>();
    accounts.set(row.accountName, row.azName);
    names.set(row.azId, accounts);
  }

  // GPUs per zone × instance type, so a gang can be held to one type.
  const perType = new Map<string, Map<string, number>>();
  const cheapest = new Map<string, number>();
  for (const row of usable(capacity, intent)) {
    const types = perType.get(row.azId) ?? new Map<string, number>();
    types.set(row.instanceType, (types.get(row.instanceType) ?? 0) + nodesOf(row) * row.gpuCount);
    perType.set(row.azId, types);
    const perGpu = row.pricePerHour / row.gpuCount;
    cheapest.set(row.azId, Math.min(cheapest.get(row.azId) ?? Infinity, perGpu));
  }

  const regions = new Map<string, RegionChoice>();
  for (const [azId, region] of [...zoneRegion].sort(([a], [b]) => byName(a, b))) {
    const typeGpus = [...(perType.get(azId)?.values() ?? [])];
    const zone: ZoneChoice = {
      region,
      azId,
      localNames: [...(names.get(azId) ?? [])]
        .sort(([a], [b]) => byName(a, b))
        .map(([account, name]) => `${account}: ${name}`).join(' · '),
      gpus: gang ? Math.max(0, ...typeGpus) : typeGpus.reduce((sum, n) => sum + n, 0),
      cheapestPerGpuHour: cheapest.get(azId),
    };
    const choice = regions.get(region) ?? { region, gpus: 0, zones: [] };
    choice.zones.push(zone);
    choice.gpus = gang ? Math.max(choice.gpus, zone.gpus) : choice.gpus + zone.gpus;
    if (zone.cheapestPerGpuHour !== undefined) {
      choice.cheapestPerGpuHour = Math.min(choice.cheapestPerGpuHour ?? Infinity, zone.cheapestPerGpuHour);
    }
    regions.set(region, choice);
  }
  return [...regions.values()].sort((a, b) => byName(a.region, b.region));
}

/** `8 H100 GPUs`, or `8 GPUs` when the GPU is not known. */
function gpusText(gpus: number, gpu?: string): string {
  return `${gpus} ${gpu ? `${gpu} ` : ''}GPU${gpus === 1 ? '' : 's'}`;
}

/**
 * Why a choice cannot hold the workload, in one sentence; undefined when it can (or when
 * nothing was chosen: the placement then chooses).
 */
export function checkCapacityChoice(
  value: FabricCapacityPickerValue | undefined,
  need: CapacityNeed,
  capacity: CapacityResponse,
): string | undefined {
  if (!value?.region && !value?.azId) return undefined;
  const what = need.gpu ? `${need.gpu} ` : '';
  const choices = capacityChoices(capacity, need.intent);
  const zones = choices.flatMap(c => c.zones);
  if (!value.region) {
    const zone = zones.find(z => z.azId === value.azId);
    return `Choose the region of ${value.azId}${zone ? ` (${zone.region})` : ''} as well`;
  }
  const region = choices.find(c => c.region === value.region);
  if (value.azId) {
    const zone = zones.find(z => z.azId === value.azId);
    if (zone && zone.region !== value.region) {
      return `${value.azId} is an AZ-ID of ${zone.region}, not of ${value.region}`;
    }
    if (!zone) {
      return `${value.azId} has no ${what}offerings in ${value.region}; choose an AZ-ID from the list`;
    }
    if (need.totalGpus !== undefined && zone.gpus < need.totalGpus) {
      const gang = need.intent === 'tightly-coupled' ? ' (a tightly-coupled gang must fit in this one AZ-ID)' : '';
      return `${zone.azId} has ${gpusText(zone.gpus, need.gpu)} within quota${
        need.intent ? ` for ${need.intent} work` : ''
      }; the workload asks for ${need.totalGpus}${gang}`;
    }
    return undefined;
  }
  if (!region) return `${value.region} has no ${what}offerings; choose a region from the list`;
  if (need.totalGpus === undefined || region.gpus >= need.totalGpus) return undefined;
  if (need.intent === 'tightly-coupled') {
    const best = [...region.zones].sort((a, b) => b.gpus - a.gpus)[0];
    return `No AZ-ID in ${region.region} holds ${gpusText(need.totalGpus, need.gpu)} for a tightly-coupled gang, which must fit in one AZ-ID; the most in one is ${
      best.gpus
    } (${best.azId})`;
  }
  return `${region.region} has ${gpusText(region.gpus, need.gpu)} within quota${
    need.intent ? ` for ${need.intent} work` : ''
  }; the workload asks for ${need.totalGpus}`;
}
