import { z } from 'zod';
import { FABRIC_INTENTS, FabricIntent } from './annotations';
import { CapacityType } from './types';
import type { RefusalRule } from './refusals';
import { accountIdSchema, azIdSchema, entityRefSchema, instanceTypeSchema, regionSchema } from './vocabulary';

/**
 * How a request may buy capacity. `reserved-first` uses capacity reservations and
 * capacity blocks before anything else; the others never touch reservations, which are
 * usually bought for one specific run.
 * @public
 */
export const SPOT_POLICIES = ['spot-only', 'spot-first', 'on-demand-only', 'reserved-first'] as const;

/** @public */
export type SpotPolicy = (typeof SPOT_POLICIES)[number];

/**
 * The spot policy a request gets when it names none. Gangs default to reserved capacity
 * because one interrupted member stops the whole run; the rest tolerate interruptions.
 * @public
 */
export const DEFAULT_SPOT_POLICY: Record<FabricIntent, SpotPolicy> = {
  throughput: 'spot-first',
  'tightly-coupled': 'reserved-first',
  balanced: 'spot-first',
};

const region = regionSchema;
const account = accountIdSchema;
const nonEmptyList = <T extends z.ZodTypeAny>(item: T, what: string) =>
  z.array(item, { invalid_type_error: `must be a list of ${what}` }).min(1, { message: `must list at least one ${what}` });

const gpuNeedSchema = z
  .object({
    instanceTypes: nonEmptyList(
      instanceTypeSchema,
      'instance type',
    ).optional(),
    family: z
      .string({ invalid_type_error: 'must be an instance family such as p5 or g6e' })
      .regex(/^[a-z][a-z0-9-]*$/, { message: 'must be an instance family such as p5 or g6e' })
      .optional(),
    minGpuMemoryGiB: z
      .number({ invalid_type_error: 'must be a number of GiB per GPU' })
      .positive({ message: 'must be a positive number of GiB per GPU' })
      .max(1024, { message: 'must be at most 1024 GiB per GPU' })
      .optional(),
    gpusPerNode: z
      .number({ invalid_type_error: 'must be a whole number of GPUs per node' })
      .int({ message: 'must be a whole number of GPUs per node' })
      .min(1, { message: 'must be at least 1' })
      .max(64, { message: 'must be at most 64' })
      .optional(),
    totalGpus: z
      .number({ required_error: 'is required', invalid_type_error: 'must be a whole number of GPUs' })
      .int({ message: 'must be a whole number of GPUs' })
      .min(1, { message: 'must be between 1 and 4096' })
      .max(4096, { message: 'must be between 1 and 4096' }),
  }, { required_error: 'is required', invalid_type_error: 'must be an object' })
  .strict();

const dataMovementSchema = z
  .object({
    gbPerDay: z
      .number({ required_error: 'is required', invalid_type_error: 'must be a number of GB per day' })
      .nonnegative({ message: 'must not be negative' })
      .finite({ message: 'must be a finite number of GB per day' })
      .max(1e9, { message: 'must be at most 1e9 GB per day' }),
    region,
    azId: azIdSchema.optional(),
  })
  .strict();

const baseSchema = z
  .object({
    entityRef: entityRefSchema,
    intent: z.enum(FABRIC_INTENTS, {
      errorMap: () => ({ message: `must be one of ${FABRIC_INTENTS.join(', ')}` }),
    }),
    gpu: gpuNeedSchema,
    spotPolicy: z
      .enum(SPOT_POLICIES, { errorMap: () => ({ message: `must be one of ${SPOT_POLICIES.join(', ')}` }) })
      .optional(),
    allowSpotForTightlyCoupled: z.boolean({ invalid_type_error: 'must be true or false' }).default(false),
    maxHourlyPrice: z
      .number({ invalid_type_error: 'must be a price in USD per hour' })
      .positive({ message: 'must be a positive price in USD per hour' })
      .finite({ message: 'must be a finite price in USD per hour' })
      .max(1_000_000, { message: 'must be at most 1000000 USD per hour' })
      .optional(),
    allowedRegions: nonEmptyList(region, 'region').optional(),
    deniedRegions: nonEmptyList(region, 'region').optional(),
    allowedAccounts: nonEmptyList(account, 'account').optional(),
    deniedAccounts: nonEmptyList(account, 'account').optional(),
    preferredRegion: region.optional(),
    /**
     * Spread the workload over at least this many AZ-IDs (availability). Meaningful for
     * throughput and balanced only: a gang asking for it is refused, since EFA does not
     * cross AZs.
     */
    minAzIds: z
      .number({ invalid_type_error: 'must be a whole number' })
      .int({ message: 'must be a whole number' })
      .min(1, { message: 'must be at least 1' })
      .max(32, { message: 'must be at most 32' })
      .optional(),
    dataMovement: z.array(dataMovementSchema, { invalid_type_error: 'must be a list' }).max(20).optional(),
  })
  .strict();

/**
 * A placement request as the backend, the scaffolder actions and the CLI send it.
 * Cross-field rules come after the field rules so each error names one field.
 * @public
 */
export const placementRequestSchema = baseSchema
  .superRefine((r, ctx) => {
    const needs = (['instanceTypes', 'family', 'minGpuMemoryGiB'] as const).filter(k => r.gpu[k] !== undefined);
    if (needs.length !== 1) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['gpu'],
        message:
          needs.length === 0
            ? 'must name the GPU need: one of instanceTypes, family or minGpuMemoryGiB'
            : `must name exactly one of instanceTypes, family or minGpuMemoryGiB, not ${needs.join(' and ')}`,
      });
    }
    if (r.gpu.gpusPerNode && r.gpu.totalGpus % r.gpu.gpusPerNode !== 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['gpu', 'totalGpus'],
        message: `must be a multiple of gpusPerNode (${r.gpu.gpusPerNode}), since every node carries that many GPUs`,
      });
    }
    if (r.preferredRegion !== undefined && r.intent !== 'balanced') {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['preferredRegion'],
        message: 'is used by the balanced intent only; use allowedRegions to restrict other intents',
      });
    }
    if (r.preferredRegion && r.deniedRegions?.includes(r.preferredRegion)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['preferredRegion'], message: 'is also in deniedRegions' });
    }
    if (r.preferredRegion && r.allowedRegions && !r.allowedRegions.includes(r.preferredRegion)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['preferredRegion'], message: 'is not in allowedRegions' });
    }
    const deniedAllRegions = r.allowedRegions?.every(x => r.deniedRegions?.includes(x));
    if (deniedAllRegions) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['deniedRegions'], message: 'denies every allowed region' });
    }
    const deniedAllAccounts = r.allowedAccounts?.every(x => r.deniedAccounts?.includes(x));
    if (deniedAllAccounts) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['deniedAccounts'], message: 'denies every allowed account' });
    }
    if (r.intent === 'tightly-coupled' && r.spotPolicy === 'spot-only' && !r.allowSpotForTightlyCoupled) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['spotPolicy'],
        message:
          'spot-only for a tightly-coupled gang needs allowSpotForTightlyCoupled: true, because one interruption stops the whole gang',
      });
    }
  })
  .transform(r => ({ ...r, spotPolicy: r.spotPolicy ?? DEFAULT_SPOT_POLICY[r.intent] }));

/** A validated placement request, defaults filled in. @public */
export type PlacementRequest = z.output<typeof placementRequestSchema>;

/** What callers may send: defaulted fields optional. @public */
export type PlacementRequestInput = z.input<typeof placementRequestSchema>;

/** One thing wrong with a request, with the dotted path of the field, e.g. `gpu.totalGpus`. @public */
export interface PlacementRequestError {
  path: string;
  message: string;
}

/** @public */
export type ParsePlacementRequestResult =
  | { ok: true; request: PlacementRequest }
  | { ok: false; errors: PlacementRequestError[] };

/**
 * Validates a request without throwing, so the backend can answer 400 naming each field.
 * @public
 */
export function parsePlacementRequest(input: unknown): ParsePlacementRequestResult {
  const result = placementRequestSchema.safeParse(input);
  if (result.success) return { ok: true, request: result.data };
  const errors = result.error.issues.flatMap(issue =>
    // An unknown key is named by its own path, so a typo points at the typo.
    issue.code === z.ZodIssueCode.unrecognized_keys
      ? issue.keys.map(key => ({ path: pathOf([...issue.path, key]), message: 'is not a known field' }))
      : [{ path: pathOf(issue.path), message: readableMessage(issue) }],
  );
  return { ok: false, errors };
}

function pathOf(path: Array<string | number>): string {
  // An empty key is shown as "", so the message never reads as if a name were missing.
  return path.length ? path.map(key => (key === '' ? '""' : key)).join('.') : '(request)';
}

function readableMessage(issue: z.ZodIssue): string {
  if (issue.code === z.ZodIssueCode.invalid_type && issue.path.length === 0) return 'must be a JSON object';
  if (issue.code === z.ZodIssueCode.invalid_type && issue.received === 'undefined') return 'is required';
  return issue.message;
}

/** The answer to a request: where it goes, why, and what it costs. @public */
export type PlacementStatus = 'placed' | 'cannot-place-now' | 'refused';

/**
 * The terms of an offering's score, so a person can see why it ranked where it did.
 * `total` = price + availability + quota + interruptionRisk.
 * @public
 */
export interface ScoreBreakdown {
  /** Offering price per GPU-hour (USD). */
  pricePerGpuHour: number;
  /** The request's data movement, spread over its GPUs, if it ran here (USD per GPU-hour). */
  networkPerGpuHour: number;
  /** 0–50: 50 for the cheapest compute + network per GPU-hour among the candidates. */
  price: number;
  /** 0–20: reserved 20, on-demand 16, spot 2 × placement score (10 when unknown). */
  availability: number;
  /** 0–15: how much of the request the quota (or reservation) could hold here. */
  quota: number;
  /** −13.5–0: spot's interruption risk, (placement score − 10) × 1.5; 0 for on-demand and reserved. */
  interruptionRisk: number;
  total: number;
}

/** Identifies an offering in reasons and lists. @public */
export interface OfferingKey {
  accountId: string;
  region: string;
  azId: string;
  instanceType: string;
  capacityType: CapacityType;
}

/** An offering the placement uses, with how much of it. @public */
export interface ChosenOffering extends OfferingKey {
  azName: string;
  pricePerHour: number;
  placementScore?: number;
  reservationId?: string;
  nodes: number;
  gpus: number;
  score: number;
  scoreBreakdown: ScoreBreakdown;
}

/** An offering the placement did not use, and why in plain words. @public */
export interface RejectedOffering extends OfferingKey {
  reason: string;
}

/** A decision for one request. `id` is left to whoever stores it. @public */
export interface Placement {
  id?: string;
  request: PlacementRequest;
  intent: FabricIntent;
  status: PlacementStatus;
  /** Timestamp of the inventory the decision was made on. */
  inventoryTakenAt: string;
  chosen: ChosenOffering[];
  rejected: RejectedOffering[];
  /** The decision in plain words, in the order it was taken. */
  reasons: string[];
  refusal?: string;
  /** The rule behind `refusal` (see REFUSAL_RULES), so nobody reads its words to act on it. */
  refusalRule?: RefusalRule;
  /** For cannot-place-now: the most GPUs that could be placed now under the same rules. */
  largestFeasibleGpus?: number;
  cost: {
    computePerHour: number;
    networkPerMonth: number;
    /** Share of the placed GPUs bought as spot, 0..1. */
    spotShare: number;
  };
  totals: { nodes: number; gpus: number };
}
