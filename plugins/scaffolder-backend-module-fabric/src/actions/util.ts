import { InputError } from '@backstage/errors';
import {
  ACCOUNT_ID_PATTERN,
  AZ_ID_PATTERN,
  ENTITY_REF_PATTERN,
  IDENTIFIER_MESSAGES,
  INSTANCE_FAMILY_PATTERN,
  INSTANCE_TYPE_PATTERN,
  MESH_ENDPOINT_PATTERN,
  REGION_PATTERN,
} from '@internal/backstage-plugin-fabric-common';
import { createHash } from 'node:crypto';

/**
 * The placement id every dry run reports. A nil UUID: it passes the actions' own
 * validation, so a template's later steps see the shape they get in a real run, and it
 * can never name a stored placement.
 */
export const DRY_RUN_PLACEMENT_ID = '00000000-0000-0000-0000-000000000000';

/** The plan id every dry run reports (never a stored plan). */
export const DRY_RUN_PLAN_ID = '00000000-0000-0000-0000-000000000000';

/** The fabric's identifiers, each with the pattern every fabric surface accepts. */
export type FabricIdentifier = keyof typeof IDENTIFIER_MESSAGES;

const IDENTIFIER_PATTERNS: Record<FabricIdentifier, RegExp> = {
  azId: AZ_ID_PATTERN,
  region: REGION_PATTERN,
  accountId: ACCOUNT_ID_PATTERN,
  entityRef: ENTITY_REF_PATTERN,
  instanceType: INSTANCE_TYPE_PATTERN,
  instanceFamily: INSTANCE_FAMILY_PATTERN,
  meshEndpoint: MESH_ENDPOINT_PATTERN,
};

/** The part of a zod module that builds a string schema, whichever copy of zod it is. */
interface StringSchemas<TString> {
  string(): { regex(pattern: RegExp, options: { message: string }): TString };
}

/**
 * An action input field for one of the fabric's identifiers: fabric-common's pattern and
 * message, built on the zod the scaffolder hands the schema callback
 * (`azId: z => identifier(z, 'azId').optional()`). fabric-common's own schemas
 * (`azIdSchema`…) come from another copy of zod, whose types the scaffolder's
 * `createTemplateAction` cannot check against its own ("excessively deep").
 */
export function identifier<TString>(z: StringSchemas<TString>, kind: FabricIdentifier): TString {
  return z.string().regex(IDENTIFIER_PATTERNS[kind], { message: IDENTIFIER_MESSAGES[kind] });
}

/**
 * A DNS-1123 label (without its 63-character limit, which each field sets): what the
 * fabric accepts as a component name, a namespace and an island id.
 */
export const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A short, deterministic digest of an action's input, for checkpoint keys: the same
 * input in the same task finds its checkpoint again after a restart, a different input
 * never does. Key order does not matter.
 */
export function inputHash(input: unknown): string {
  return createHash('sha256').update(stableStringify(input)).digest('hex').slice(0, 16);
}

/**
 * The checkpoint key of one side effect of a task: `fabric.<step>.<task id>.<input hash>`.
 * The same step with the same input in the same task finds its checkpoint again after a
 * restart, so a resumed task never stores or applies twice.
 */
export function checkpointKey(step: string, taskId: string, input: unknown): string {
  return `fabric.${step}.${taskId}.${inputHash(input)}`;
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

/** Refuses an AZ-ID of another region before the fabric is asked. */
export function requireAzIdInRegion(azId: string, region: string): void {
  if (!azIdInRegion(azId, region)) {
    throw new InputError(`azId ${azId} is not in region ${region}`);
  }
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

/**
 * Sets each defined value as a step output, in the order given (the task log lists
 * outputs as they were set); an undefined value sets no output.
 */
export function outputAll<TOutput extends object>(
  ctx: { output(name: keyof TOutput, value: TOutput[keyof TOutput]): void },
  values: Partial<TOutput>,
): void {
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) ctx.output(name as keyof TOutput, value as TOutput[keyof TOutput]);
  }
}
