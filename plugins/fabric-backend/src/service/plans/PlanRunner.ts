import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  applyPlan,
  CheckpointStore,
  planStatus,
  StepExecutor,
  AwsRateLimits,
} from '@internal/backstage-plugin-fabric-node';
import { FabricRefusal, PlanFilter, PlanView } from '@internal/backstage-plugin-fabric-common';
import { NotFoundError } from '@backstage/errors';
import { PlanRecord } from '../../database/DatabasePlanStore';
import { PlanningDeps } from './planningDeps';

/** How long an apply lease lasts without renewal, unless configured (`fabric.plans.leaseSeconds`). */
export const DEFAULT_PLAN_LEASE_MS = 60_000;

/**
 * Applies stored plans. Apply runs in the background, checkpointing each step in the
 * database, so a crashed or restarted backend resumes where it stopped. Plan-only mode
 * refuses every apply.
 *
 * Several backend replicas may share one database: each apply holds a lease on its plan
 * (owner, expiry), renewed while it runs and checked before every checkpoint it writes.
 * A replica resumes another's apply only once that lease has expired — the holder was
 * killed or lost the database — and the old holder, should it come back, finds its lease
 * gone and stops before it runs another step.
 */
export class PlanRunner {
  private readonly running = new Map<string, { done: Promise<void>; abort: AbortController }>();
  private readonly owner: string;
  private readonly leaseMs: number;
  private readonly rateLimits: AwsRateLimits;
  private adoption?: ReturnType<typeof setInterval>;

  constructor(
    private readonly deps: Pick<PlanningDeps, 'config' | 'plans' | 'logger' | 'clock' | 'rateLimits'> & {
      executors: () => StepExecutor[];
      /** This process's name in leases; unique per process by default. */
      owner?: string;
      leaseMs?: number;
    },
  ) {
    this.owner = deps.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = deps.leaseMs ?? DEFAULT_PLAN_LEASE_MS;
    this.rateLimits = deps.rateLimits ?? new AwsRateLimits();
  }

  private now() {
    return (this.deps.clock ?? (() => new Date()))();
  }

  private lease() {
    return { owner: this.owner, now: this.now(), ttlMs: this.leaseMs };
  }

  /** Stored plans, newest first, without step status (see {@link PlanRunner.view}). */
  async list(filter: PlanFilter): Promise<PlanRecord[]> {
    return this.deps.plans.listPlans(filter);
  }

  /** A stored plan with every step's status. */
  async view(id: string): Promise<PlanView> {
    const record = await this.deps.plans.getPlan(id);
    if (!record) throw new NotFoundError(`No plan ${id}`);
    return { ...record, steps: await planStatus(record.plan, this.deps.plans) };
  }

  /**
   * Starts applying a stored plan in the background and returns at once; progress is
   * read from GET /plans/:id. Applying an applied plan again re-checks every step and
   * changes nothing.
   */
  async startApply(id: string): Promise<PlanView> {
    const { plans } = this.deps;
    this.assertCanApply();
    const record = await plans.getPlan(id);
    if (!record) throw new NotFoundError(`No plan ${id}`);
    if (!(await plans.claimForApply(id, this.lease()))) {
      throw new FabricRefusal('apply-in-progress', `Plan ${id} is already being applied`);
    }
    this.run(record);
    return this.view(id);
  }

  /** Refuses in plan-only mode, before anything is planned or stored. */
  assertCanApply(): void {
    if (this.deps.config.estate.mode !== 'apply') {
      throw new FabricRefusal(
        'plan-only',
        'The fabric runs in plan-only mode: plans are shown but never applied. Set fabric.estate.mode: apply to apply them.',
      );
    }
  }

  /**
   * Resumes applies whose holder stopped renewing its lease (a replica that crashed, was
   * killed, or this process before a restart), from their last finished step: every
   * step is idempotent and checkpointed, so nothing is repeated. Applies another live
   * replica is running are left alone.
   */
  async resumeInterrupted(): Promise<string[]> {
    if (this.deps.config.estate.mode !== 'apply') return [];
    const adopted = await this.deps.plans.claimExpiredLeases(this.lease());
    for (const id of adopted) {
      const record = await this.deps.plans.getPlan(id);
      if (!record) continue;
      this.deps.logger.info('Resuming an apply whose previous holder stopped', { plan: id, owner: this.owner });
      this.run(record);
    }
    return adopted;
  }

  /**
   * Looks for interrupted applies to resume now and then (every half lease), so a replica
   * takes over from one that died without anybody restarting anything.
   */
  startAdopting(): void {
    if (this.adoption || this.deps.config.estate.mode !== 'apply') return;
    this.adoption = setInterval(() => {
      this.resumeInterrupted().catch(error =>
        this.deps.logger.warn('Could not look for interrupted applies', { error: String(error) }),
      );
    }, Math.max(1_000, this.leaseMs / 2));
    this.adoption.unref?.();
  }

  /**
   * Stops adopting, stops every running apply before its next step, and lets their
   * leases expire at once so another replica resumes them without waiting.
   */
  async shutdown(): Promise<void> {
    if (this.adoption) clearInterval(this.adoption);
    this.adoption = undefined;
    const runs = [...this.running.entries()];
    for (const [, run] of runs) run.abort.abort(new Error('The backend is shutting down'));
    await Promise.all(runs.map(([, run]) => run.done));
  }

  /** Resolves when a background apply of the plan (if any) has finished. */
  async settled(id: string): Promise<void> {
    await this.running.get(id)?.done;
  }

  /** Who holds this process's leases. */
  get leaseOwner(): string {
    return this.owner;
  }

  private run(record: PlanRecord) {
    const { plans, logger } = this.deps;
    const id = record.id;
    const abort = new AbortController();
    const lost = () => abort.abort(new Error(`The apply lease of plan ${id} was taken over by another replica`));
    const heartbeat = setInterval(() => {
      plans.renewLease(id, this.lease()).then(
        held => held || lost(),
        error => logger.warn('Could not renew an apply lease', { plan: id, error: String(error) }),
      );
    }, Math.max(250, this.leaseMs / 3));
    heartbeat.unref?.();

    // Every checkpoint is written only while this process still holds the lease, so a
    // replica that took the plan over never sees this one record (or run) another step.
    const fenced: CheckpointStore = {
      get: (planId, key) => plans.get(planId, key),
      list: planId => plans.list(planId),
      put: async (planId, key, checkpoint) => {
        if (!(await plans.renewLease(planId, this.lease()))) {
          lost();
          throw new Error(`lease of plan ${planId} lost`);
        }
        await plans.put(planId, key, checkpoint);
      },
    };

    const done = applyPlan(record.plan, {
      executors: this.deps.executors(),
      checkpoints: fenced,
      // The process's shared buckets: concurrent applies and discovery draw from the same
      // per account-region budget, as they do at AWS.
      limiter: this.rateLimits.mutating,
      readLimiter: this.rateLimits.nonMutating,
      signal: abort.signal,
    })
      .then(async result => {
        const status = result.status === 'done' ? 'applied' : 'failed';
        await plans.releaseLease(id, this.owner, status, this.now());
        logger.info('Plan applied', { plan: id, status: result.status });
      })
      .catch(async error => {
        if (abort.signal.aborted) {
          // Stopped on purpose (shutdown) or superseded: the plan stays `applying` for the
          // replica that holds, or will take, the lease.
          await plans.expireLease(id, this.owner, this.now());
          logger.info('Plan apply stopped before its next step', { plan: id, reason: String(abort.signal.reason) });
          return;
        }
        await plans.releaseLease(id, this.owner, 'failed', this.now());
        logger.error('Plan apply failed', { plan: id, error: String(error) });
      })
      .finally(() => {
        clearInterval(heartbeat);
        this.running.delete(id);
      });
    this.running.set(id, { done, abort });
  }
}
