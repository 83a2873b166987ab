import type { CellRef } from './types';

/**
 * The wire shapes of stored plans, as `GET /plans` and `GET /plans/:id` return them and
 * as the portal, the scaffolder actions and the CLI read them.
 */

/** What kind of change a plan makes. @public */
export const PLAN_KINDS = ['mesh', 'mesh-destroy', 'island', 'island-destroy', 'cells'] as const;

/** @public */
export type PlanKind = (typeof PLAN_KINDS)[number];

/** Where a stored plan is in its life. @public */
export const PLAN_STATUSES = ['planned', 'applying', 'applied', 'failed'] as const;

/** @public */
export type PlanRecordStatus = (typeof PLAN_STATUSES)[number];

/** Status of one step; `pending` means no checkpoint yet. @public */
export type PlanStepStatus = 'pending' | 'running' | 'done' | 'failed';

/** A step as a reviewer sees it before apply. @public */
export interface PlanStepSummary {
  key: string;
  title: string;
  kind?: 'aws' | 'kubernetes';
  type: string;
  cell?: CellRef;
  dependsOn?: string[];
}

/** The ordered steps of a plan. @public */
export interface PlanDocument {
  id: string;
  owner?: string;
  title: string;
  steps: PlanStepSummary[];
}

/** One step of a plan with its status, as `GET /plans/:id` returns it. @public */
export interface PlanStepView {
  key: string;
  title: string;
  status: PlanStepStatus;
  via?: string;
  error?: string;
  output?: Record<string, unknown>;
  startedAt?: string;
  finishedAt?: string;
}

/** A stored plan as `GET /plans` lists it. @public */
export interface PlanSummary {
  id: string;
  kind: PlanKind;
  /** What it is for: `mesh`, an island id, or a placement id. */
  subject: string;
  status: PlanRecordStatus;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  plan: PlanDocument;
  /** Anything the planner shows beside the steps (cost estimate, refused pairs…). */
  details?: Record<string, any>;
}

/** A stored plan with every step's status, as `GET /plans/:id` returns it. @public */
export interface PlanView extends PlanSummary {
  steps: PlanStepView[];
}

/** Filters of `GET /plans`. @public */
export interface PlanFilter {
  kind?: PlanKind;
  subject?: string;
}

/** Narrows a string to a plan kind. @public */
export function isPlanKind(value: unknown): value is PlanKind {
  return typeof value === 'string' && (PLAN_KINDS as readonly string[]).includes(value);
}
