import {
  applyPlan,
  EC2_MUTATING_BUCKET,
  planStatus,
  StepExecutor,
  TokenBucketLimiter,
} from '@internal/backstage-plugin-fabric-node';
import { FabricRefusal, PlanFilter, PlanView } from '@internal/backstage-plugin-fabric-common';
import { NotFoundError } from '@backstage/errors';
import { PlanRecord } from '../../database/DatabasePlanStore';
import { PlanningDeps } from './planningDeps';

/**
 * Applies stored plans. Apply runs in the background, checkpointing each step in the
 * database, so a crashed or restarted backend resumes where it stopped. Plan-only mode
 * refuses every apply.
 */
export class PlanRunner {
  private readonly mutatingLimiter = new TokenBucketLimiter(EC2_MUTATING_BUCKET);
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: Pick<PlanningDeps, 'config' | 'plans' | 'logger' | 'clock'> & {
      executors: () => StepExecutor[];
    },
  ) {}

  private now() {
    return (this.deps.clock ?? (() => new Date()))();
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
    const { config, plans, logger } = this.deps;
    if (config.estate.mode !== 'apply') {
      throw new FabricRefusal(
        'plan-only',
        'The fabric runs in plan-only mode: plans are shown but never applied. Set fabric.estate.mode: apply to apply them.',
      );
    }
    const record = await plans.getPlan(id);
    if (!record) throw new NotFoundError(`No plan ${id}`);
    if (!(await plans.claimForApply(id, this.now()))) {
      throw new FabricRefusal('apply-in-progress', `Plan ${id} is already being applied`);
    }
    const run = applyPlan(record.plan, {
      executors: this.deps.executors(),
      checkpoints: plans,
      limiter: this.mutatingLimiter,
    })
      .then(async result => {
        await plans.setStatus(id, result.status === 'done' ? 'applied' : 'failed', this.now());
        logger.info('Plan applied', { plan: id, status: result.status });
      })
      .catch(async error => {
        await plans.setStatus(id, 'failed', this.now());
        logger.error('Plan apply failed', { plan: id, error: String(error) });
      })
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
    return this.view(id);
  }

  /**
   * Applies that were running when the backend stopped are resumed from their last
   * finished step: every step is idempotent and checkpointed, so nothing is repeated.
   */
  async resumeInterrupted(): Promise<string[]> {
    if (this.deps.config.estate.mode !== 'apply') return [];
    const interrupted = (await this.deps.plans.listPlans()).filter(p => p.status === 'applying');
    for (const plan of interrupted) {
      await this.deps.plans.setStatus(plan.id, 'failed', this.now());
      this.deps.logger.info('Resuming an apply interrupted by a restart', { plan: plan.id });
      await this.startApply(plan.id);
    }
    return interrupted.map(p => p.id);
  }

  /** Resolves when a background apply of the plan (if any) has finished. */
  async settled(id: string): Promise<void> {
    await this.running.get(id);
  }
}
