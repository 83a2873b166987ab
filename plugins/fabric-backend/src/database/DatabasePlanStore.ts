import { DatabaseService, resolvePackagePath } from '@backstage/backend-plugin-api';
import type {
  CheckpointStore,
  Plan,
  StepCheckpoint,
} from '@internal/backstage-plugin-fabric-node';
import { PlanFilter, PlanRecordStatus, PlanSummary } from '@internal/backstage-plugin-fabric-common';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath('@internal/backstage-plugin-fabric-backend', 'migrations');

/** A plan as the fabric stores it: the wire shape, with the engine's full steps. */
export interface PlanRecord extends PlanSummary {
  plan: Plan;
}

/**
 * Plans and the checkpoint of every step, in the Backstage database. Apply writes each
 * step's checkpoint as it finishes, so after a crash or restart it resumes from the
 * last finished step.
 */
export class DatabasePlanStore implements CheckpointStore {
  static async create(options: { database: DatabaseService }): Promise<DatabasePlanStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new DatabasePlanStore(client);
  }

  private constructor(private readonly db: Knex) {}

  async savePlan(record: PlanRecord): Promise<void> {
    await this.db('fabric_plans').insert({
      id: record.id,
      kind: record.kind,
      subject: record.subject,
      status: record.status,
      created_by: record.createdBy,
      created_at: new Date(record.createdAt),
      updated_at: new Date(record.updatedAt),
      plan: JSON.stringify({ plan: record.plan, details: record.details }),
    });
  }

  async setStatus(id: string, status: PlanRecordStatus, now: Date = new Date()): Promise<void> {
    await this.db('fabric_plans').where({ id }).update({ status, updated_at: now });
  }

  /**
   * Moves a plan to `applying` only if it is not already applying, so two applies of
   * one plan never run at once. Returns false when another apply holds it.
   */
  async claimForApply(id: string, now: Date = new Date()): Promise<boolean> {
    const updated = await this.db('fabric_plans')
      .where({ id })
      .whereNot({ status: 'applying' })
      .update({ status: 'applying', updated_at: now });
    return updated === 1;
  }

  async getPlan(id: string): Promise<PlanRecord | undefined> {
    const row = await this.db('fabric_plans').where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  async listPlans(filter: PlanFilter = {}): Promise<PlanRecord[]> {
    let query = this.db('fabric_plans');
    if (filter.kind) query = query.where({ kind: filter.kind });
    if (filter.subject) query = query.where({ subject: filter.subject });
    const rows = await query.orderBy('created_at', 'desc').limit(100);
    return rows.map(toRecord);
  }

  async get(planId: string, key: string): Promise<StepCheckpoint | undefined> {
    const row = await this.db('fabric_plan_steps').where({ plan_id: planId, step_key: key }).first();
    return row ? toCheckpoint(row) : undefined;
  }

  async put(planId: string, key: string, checkpoint: StepCheckpoint): Promise<void> {
    await this.db('fabric_plan_steps')
      .insert({
        plan_id: planId,
        step_key: key,
        status: checkpoint.status,
        output: checkpoint.output === undefined ? null : JSON.stringify(checkpoint.output),
        error: checkpoint.error ?? null,
        started_at: checkpoint.startedAt ? new Date(checkpoint.startedAt) : null,
        finished_at: checkpoint.finishedAt ? new Date(checkpoint.finishedAt) : null,
      })
      .onConflict(['plan_id', 'step_key'])
      .merge();
  }

  async list(planId: string): Promise<Record<string, StepCheckpoint>> {
    const rows = await this.db('fabric_plan_steps').where({ plan_id: planId });
    return Object.fromEntries(rows.map(row => [row.step_key, toCheckpoint(row)]));
  }
}

function toRecord(row: any): PlanRecord {
  const { plan, details } = JSON.parse(row.plan);
  return {
    id: row.id,
    kind: row.kind,
    subject: row.subject,
    status: row.status,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    plan,
    ...(details ? { details } : {}),
  };
}

function toCheckpoint(row: any): StepCheckpoint {
  return {
    status: row.status,
    ...(row.output ? { output: JSON.parse(row.output) } : {}),
    ...(row.error ? { error: row.error } : {}),
    startedAt: new Date(row.started_at).toISOString(),
    ...(row.finished_at ? { finishedAt: new Date(row.finished_at).toISOString() } : {}),
  };
}
