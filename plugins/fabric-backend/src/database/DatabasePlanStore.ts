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

/** A lease on an apply: who holds it, the time now, and for how long it is taken. */
export interface PlanLease {
  owner: string;
  now: Date;
  ttlMs: number;
}

function expiry(lease: PlanLease): Date {
  return new Date(lease.now.getTime() + lease.ttlMs);
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
   * Takes the apply lease of a plan and moves it to `applying`, unless another process
   * holds a lease that has not expired. One conditional UPDATE, so of two replicas
   * claiming at once exactly one wins (PostgreSQL re-checks the condition under the row
   * lock; SQLite serializes writers). Returns false when another apply holds the plan.
   */
  async claimForApply(id: string, lease: PlanLease): Promise<boolean> {
    const updated = await this.db('fabric_plans')
      .where({ id })
      .andWhere(q =>
        q
          .whereNot({ status: 'applying' })
          .orWhereNull('lease_expires_at')
          .orWhere('lease_expires_at', '<', lease.now),
      )
      .update({
        status: 'applying',
        lease_owner: lease.owner,
        lease_expires_at: expiry(lease),
        updated_at: lease.now,
      });
    return updated === 1;
  }

  /**
   * Extends the holder's lease. False when the lease is no longer its own (it expired
   * and another replica took the plan over): the holder must stop at once.
   */
  async renewLease(id: string, lease: PlanLease): Promise<boolean> {
    const updated = await this.db('fabric_plans')
      .where({ id, lease_owner: lease.owner, status: 'applying' })
      .update({ lease_expires_at: expiry(lease) });
    return updated === 1;
  }

  /** Ends the holder's apply with its outcome and frees the plan; a no-op for a lost lease. */
  async releaseLease(id: string, owner: string, status: PlanRecordStatus, now: Date): Promise<boolean> {
    const updated = await this.db('fabric_plans')
      .where({ id, lease_owner: owner })
      .update({ status, lease_owner: null, lease_expires_at: null, updated_at: now });
    return updated === 1;
  }

  /**
   * Lets the lease expire now without ending the apply, so another replica resumes it
   * without waiting: what a backend that shuts down cleanly does with unfinished applies.
   */
  async expireLease(id: string, owner: string, now: Date): Promise<void> {
    await this.db('fabric_plans').where({ id, lease_owner: owner }).update({ lease_expires_at: now });
  }

  /**
   * Takes over applies whose holder stopped renewing: every `applying` plan whose lease
   * expired. On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED, so replicas
   * scanning at once each take different plans and none waits on another; on SQLite the
   * transaction holds the only write lock.
   */
  async claimExpiredLeases(lease: PlanLease, limit = 20): Promise<string[]> {
    return this.db.transaction(async tx => {
      let query = tx('fabric_plans')
        .select('id')
        .where({ status: 'applying' })
        .andWhere(q => q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', lease.now))
        .orderBy('updated_at')
        .limit(limit);
      if (tx.client.config.client === 'pg') query = query.forUpdate().skipLocked();
      const ids = (await query).map((row: { id: string }) => row.id);
      const claimed: string[] = [];
      for (const id of ids) {
        const updated = await tx('fabric_plans')
          .where({ id, status: 'applying' })
          .andWhere(q => q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', lease.now))
          .update({ lease_owner: lease.owner, lease_expires_at: expiry(lease), updated_at: lease.now });
        if (updated === 1) claimed.push(id);
      }
      return claimed;
    });
  }

  /** Who holds a plan's lease, and until when (for status views and tests). */
  async leaseOf(id: string): Promise<{ owner: string; expiresAt: string } | undefined> {
    const row = await this.db('fabric_plans').where({ id }).first('lease_owner', 'lease_expires_at');
    if (!row?.lease_owner) return undefined;
    return { owner: row.lease_owner, expiresAt: new Date(row.lease_expires_at).toISOString() };
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
