import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  applyPlan,
  AwsClientFactory,
  demoMeshVpcs,
  discoverMeshVpcs,
  estimateMeshCost,
  FabricConfig,
  lookupMeshPeerings,
  meshExecutors,
  planMesh,
  planStatus,
  StepExecutor,
  StepResult,
  TokenBucketLimiter,
  EC2_MUTATING_BUCKET,
} from '@internal/backstage-plugin-fabric-node';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DatabasePlanStore, PlanRecord } from '../database/DatabasePlanStore';

const endpoint = z
  .string()
  .regex(/^\d{12}\/[a-z]{2}(-gov)?-[a-z]+-\d\/[a-z]{2,5}\d+-az\d+$/, 'must be <account>/<region>/<AZ-ID>, e.g. 222222222222/us-east-1/use1-az4');
const meshPlanBodySchema = z
  .object({
    /** Expected traffic between cells, for the peering vs Transit Gateway estimate. */
    traffic: z
      .array(
        z
          .object({
            /** `<account>/<region>/<AZ-ID>`, e.g. `222222222222/us-east-1/use1-az4`. */
            from: endpoint,
            to: endpoint,
            gbPerMonth: z.number().nonnegative(),
          })
          .strict(),
      )
      .max(500)
      .optional(),
  })
  .strict();

/** A stored plan with every step's status, as GET /plans/:id shows it. */
export interface PlanView extends PlanRecord {
  steps: StepResult[];
}

/**
 * Plans and applies the fabric's infrastructure changes. Every plan is stored and shown
 * before it runs; apply runs in the background, checkpointing each step in the database,
 * so a crashed or restarted backend resumes where it stopped. Plan-only mode refuses
 * every apply.
 */
export class PlanService {
  private readonly mutatingLimiter = new TokenBucketLimiter(EC2_MUTATING_BUCKET);
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: {
      config: FabricConfig;
      plans: DatabasePlanStore;
      logger: LoggerService;
      awsClients?: AwsClientFactory;
      /** Extra executors (islands, Kubernetes) registered by kind. */
      executors?: StepExecutor[];
      clock?: () => Date;
    },
  ) {}

  private now() {
    return (this.deps.clock ?? (() => new Date()))();
  }

  private accountOf = (accountId: string) => {
    const account = this.deps.config.estate.accounts.find(a => a.id === accountId);
    if (!account) throw new Error(`Account ${accountId} is not enrolled`);
    return account;
  };

  /** Plans the full peering mesh across every enrolled cell's mesh VPCs. */
  async planMesh(body: unknown, createdBy: string): Promise<PlanRecord> {
    const parsed = meshPlanBodySchema.safeParse(body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`Invalid mesh plan request '${issue.path.join('.') || '(body)'}': ${issue.message}`);
    }
    const { config, awsClients } = this.deps;
    let vpcs;
    let routeCounts: Record<string, number> = {};
    let unreadable: Array<{ cell: string; error: string }> = [];
    let existingPeerings;
    if (config.estate.source === 'demo') {
      vpcs = demoMeshVpcs();
    } else {
      if (!awsClients) throw new Error('An aws estate needs AWS clients');
      const found = await discoverMeshVpcs({
        config,
        ec2: cell => awsClients.ec2(cell, this.accountOf(cell.accountId)),
      });
      vpcs = found.vpcs;
      routeCounts = found.routeCounts;
      unreadable = found.errors.map(e => ({ cell: `${e.cell.accountId}/${e.cell.region}`, error: e.error }));
      existingPeerings = await lookupMeshPeerings({ clients: awsClients, accountOf: this.accountOf }, vpcs);
    }
    const id = randomUUID();
    const mesh = planMesh({ vpcs, existingPeerings, routeCounts, ownerTag: createdBy, planId: id });
    const traffic = parsed.data.traffic ?? [];
    const cost = estimateMeshCost({
      trafficGbPerMonth: traffic.map(t => ({ from: t.from, to: t.to, gb: t.gbPerMonth })),
      vpcAttachments: vpcs.length,
    });
    const now = this.now().toISOString();
    const record: PlanRecord = {
      id,
      kind: 'mesh',
      subject: 'mesh',
      status: 'planned',
      createdBy,
      createdAt: now,
      updatedAt: now,
      plan: mesh.plan,
      details: {
        source: config.estate.source,
        vpcs: vpcs.length,
        planned: mesh.planned.map(p => ({ requester: p.requester.cell, accepter: p.accepter.cell, requesterVpc: p.requester.vpcId, accepterVpc: p.accepter.vpcId })),
        existing: mesh.existing,
        refused: mesh.refused,
        unreadableCells: unreadable,
        cost,
      } as unknown as Record<string, unknown>,
    };
    await this.deps.plans.savePlan(record);
    return record;
  }

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
      throw new ConflictError(
        "The fabric runs in plan-only mode: plans are shown but never applied. Set fabric.estate.mode: apply to apply them.",
      );
    }
    const record = await plans.getPlan(id);
    if (!record) throw new NotFoundError(`No plan ${id}`);
    if (!(await plans.claimForApply(id, this.now()))) {
      throw new ConflictError(`Plan ${id} is already being applied`);
    }
    const executors = [...this.executorsFor(), ...(this.deps.executors ?? [])];
    const run = applyPlan(record.plan, {
      executors,
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

  /** Resolves when a background apply of the plan (if any) has finished. */
  async settled(id: string): Promise<void> {
    await this.running.get(id);
  }

  private executorsFor(): StepExecutor[] {
    const { awsClients } = this.deps;
    if (!awsClients) return [];
    return meshExecutors({ clients: awsClients, accountOf: this.accountOf });
  }
}
