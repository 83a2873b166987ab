import { createHash } from 'node:crypto';

/**
 * The placement id every dry run reports. A nil UUID: it passes the actions' own
 * validation, so a template's later steps see the shape they get in a real run, and it
 * can never name a stored placement.
 */
export const DRY_RUN_PLACEMENT_ID = '00000000-0000-0000-0000-000000000000';

/** The plan id every dry run reports (never a stored plan). */
export const DRY_RUN_PLAN_ID = '00000000-0000-0000-0000-000000000000';

/** Pattern of a region name, as the fabric's request schema accepts it. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Pattern of an AZ-ID (`use1-az4`), never an AZ name (`us-east-1a`). */
export const AZ_ID_PATTERN = /^[a-z]{2,5}\d+-az\d+$/;

/** Pattern of a 12-digit AWS account id. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/**
 * A short, deterministic digest of an action's input, for checkpoint keys: the same
 * input in the same task finds its checkpoint again after a restart, a different input
 * never does. Key order does not matter.
 */
export function inputHash(input: unknown): string {
  return createHash('sha256').update(stableStringify(input)).digest('hex').slice(0, 16);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareCodePoints(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Locale-independent order, so a key never changes with the runtime's ICU data. */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

const AREA_CODES: Record<string, string> = {
  gov: 'g',
  east: 'e',
  west: 'w',
  north: 'n',
  south: 's',
  central: 'c',
  northeast: 'ne',
  southeast: 'se',
  northwest: 'nw',
  southwest: 'sw',
};

/**
 * The prefix of a region's AZ-IDs: `us-east-1` → `use1`, `ap-northeast-1` → `apne1`,
 * `us-gov-west-1` → `usgw1`.
 */
export function regionPrefix(region: string): string {
  const parts = region.split('-');
  const n = parts[parts.length - 1];
  const middle = parts.slice(1, -1).map(p => AREA_CODES[p] ?? p[0]);
  return `${parts[0]}${middle.join('')}${n}`;
}

/** Whether an AZ-ID belongs to a region: `use1-az4` is in `us-east-1`, not in `us-east-2`. */
export function azIdInRegion(azId: string, region: string): boolean {
  return azId.startsWith(`${regionPrefix(region)}-az`);
}

/**
 * The short name the fabric gives a placement's artifacts (the Karpenter objects are
 * named after it): the id without dashes, first 12 characters.
 */
export function placementShortName(placementId: string): string {
  return placementId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12);
}

/**
 * The island id the fabric derives from a placement when none is given (mirrors the
 * backend, so a dry run reports the id a real run gets).
 */
export function islandIdForPlacement(placementId: string): string {
  return placementId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/, '');
}

/** Sorted distinct values. */
export function distinct(values: string[]): string[] {
  return [...new Set(values)].sort();
}
