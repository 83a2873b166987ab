import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
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
  buildDestroyPlan,
  islandExecutors,
  islandFromPlacement,
  IslandKubernetesApplier,
  IslandRefusedError,
  Plan,
  planIsland,
  RamApi,
  validateIsland,
  compilePlacement,
  KubernetesObject,
  kubernetesExecutors,
  planCellProvisioning,
  renderCellJoinArtifacts,
  demoAccounts,
} from '@internal/backstage-plugin-fabric-node';
import { RAM } from '@aws-sdk/client-ram';
import { FabricRefusal, Inventory, Placement, PlacementRecord } from '@internal/backstage-plugin-fabric-common';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DatabasePlanStore, PlanRecord } from '../database/DatabasePlanStore';
import { islandRefusal } from './engineRefusals';

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
      /** Extra executors registered by kind (tests add fakes of unavailable APIs). */
      executors?: StepExecutor[];
      /** The hub cluster, for the Kubernetes steps of islands. */
      kubernetes?: IslandKubernetesApplier;
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

  /** Stored plans, newest first, without step status (see {@link PlanService.view}). */
  async list(filter: { kind?: PlanRecord['kind']; subject?: string }): Promise<PlanRecord[]> {
    return this.deps.plans.listPlans(filter);
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
    const executors = this.allExecutors();
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

  /**
   * Plans an EFA training island, from a full island spec or from a stored
   * tightly-coupled placement (`{ placementId, networkAccountId, vpcId, subnetCidr }`).
   * An island that would span AZ-IDs is refused with the reason; nothing is stored.
   */
  async planIsland(body: unknown, createdBy: string, inventory: Inventory, placement?: Placement): Promise<PlanRecord> {
    const { config } = this.deps;
    const input = (body ?? {}) as Record<string, unknown>;
    // An island needs only the cluster and node role of the hub, never its credentials.
    const hub = { clusterName: config.hub.clusterName, nodeRoleName: config.hub.nodeRoleName };
    let spec: unknown = { hub, ...input };
    if (placement) {
      const { placementId: _placementId, ...options } = input;
      const derived = islandFromPlacement(placement, inventory, {
        ...(options as any),
        hub: (options as any).hub ?? hub,
      });
      if (!derived.ok) throw islandRefusal(derived.reasons);
      spec = derived.spec;
    }
    const validation = validateIsland(spec, inventory);
    if (!validation.ok) throw islandRefusal(validation.reasons);
    const id = randomUUID();
    let plan: Plan;
    try {
      plan = planIsland(validation.spec, { inventory, owner: createdBy, planId: id });
    } catch (error) {
      if (error instanceof IslandRefusedError) throw islandRefusal(error.reasons);
      throw error;
    }
    const now = this.now().toISOString();
    const record: PlanRecord = {
      id,
      kind: 'island',
      subject: validation.spec.id,
      status: 'planned',
      createdBy,
      createdAt: now,
      updatedAt: now,
      plan,
      details: { island: validation.spec as unknown as Record<string, unknown> },
    };
    await this.deps.plans.savePlan(record);
    return record;
  }

  /** The account running the hub cluster: the one enrolled as `hub` (the demo's hub in the demo). */
  private hubAccountId(): string | undefined {
    const { estate } = this.deps.config;
    if (estate.source === 'demo') return demoAccounts.find(a => a.role === 'hub')?.id;
    return estate.accounts.find(a => a.role === 'hub')?.id;
  }

  /** Plans putting a placed placement's NodePools and EC2NodeClasses on the hub cluster. */
  async planCells(record: PlacementRecord, inventory: Inventory, createdBy: string): Promise<PlanRecord> {
    if (record.placement.status !== 'placed') {
      throw new FabricRefusal('placement-not-placed', `Placement ${record.id} is ${record.placement.status}; only a placed placement has cells to provision`);
    }
    const { hub } = this.deps.config;
    const compiled = compilePlacement(record.placement, inventory, {
      clusterName: hub.clusterName,
      nodeRoleName: hub.nodeRoleName,
    });
    const id = randomUUID();
    const plan = planCellProvisioning({
      planId: id,
      owner: createdBy,
      placementId: record.id,
      clusterName: hub.clusterName,
      ec2NodeClasses: compiled.ec2NodeClasses as unknown as KubernetesObject[],
      nodePools: compiled.nodePools as unknown as KubernetesObject[],
    });
    const now = this.now().toISOString();
    const planRecord: PlanRecord = {
      id,
      kind: 'cells',
      subject: record.id,
      status: 'planned',
      createdBy,
      createdAt: now,
      updatedAt: now,
      plan,
      details: {
        placement: record.id,
        hubClusterConfigured: Boolean(this.deps.kubernetes),
        // What each member account of the placement needs so its nodes can join the hub.
        joinArtifacts: Object.fromEntries(
          [...new Set(record.placement.chosen.map(c => c.accountId))]
            .filter(accountId => accountId !== this.hubAccountId())
            .map(accountId => [
              accountId,
              renderCellJoinArtifacts({
                clusterName: hub.clusterName,
                hubAccountId: this.hubAccountId() ?? '000000000000',
                memberAccountId: accountId,
                nodeRoleName: hub.nodeRoleName,
                apiServerEndpoint: hub.kubernetes?.url ?? 'https://<hub API server endpoint>',
                certificateAuthority: hub.kubernetes?.caData
                  ? Buffer.from(hub.kubernetes.caData).toString('base64')
                  : '<base64 cluster CA>',
                serviceCidr: hub.serviceCidr,
              }),
            ]),
        ),
      } as unknown as Record<string, unknown>,
    };
    await this.deps.plans.savePlan(planRecord);
    return planRecord;
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

  /** The newest plan of an island, for apply and destroy by island id. */
  async latestIslandPlan(islandId: string): Promise<PlanRecord> {
    const [latest] = await this.deps.plans.listPlans({ kind: 'island', subject: islandId });
    if (!latest) throw new NotFoundError(`No island ${islandId}`);
    return latest;
  }

  /**
   * Plans the island's removal: the reverse of what its applied plan created, nothing
   * else. Shown before it runs, like every plan.
   */
  async planIslandDestroy(islandId: string, createdBy: string): Promise<PlanRecord> {
    const applied = await this.latestIslandPlan(islandId);
    const id = randomUUID();
    const destroy = await buildDestroyPlan(applied.plan, {
      executors: this.allExecutors(),
      checkpoints: this.deps.plans,
      planId: id,
    });
    if (destroy.plan.steps.length === 0 && destroy.unsettled.length === 0) {
      throw new FabricRefusal('nothing-to-remove', `Island ${islandId} has nothing the fabric created to remove`);
    }
    const now = this.now().toISOString();
    const record: PlanRecord = {
      id,
      kind: 'island-destroy',
      subject: islandId,
      status: 'planned',
      createdBy,
      createdAt: now,
      updatedAt: now,
      plan: destroy.plan,
      details: { destroys: applied.id, unsettled: destroy.unsettled as unknown as Record<string, unknown>[] },
    };
    await this.deps.plans.savePlan(record);
    return record;
  }

  /** Resolves when a background apply of the plan (if any) has finished. */
  async settled(id: string): Promise<void> {
    await this.running.get(id);
  }

  private allExecutors(): StepExecutor[] {
    const { awsClients } = this.deps;
    const extra = this.deps.executors ?? [];
    if (!awsClients) return [...kubernetesExecutors(this.deps.kubernetes), ...extra];
    return [
      ...meshExecutors({ clients: awsClients, accountOf: this.accountOf }),
      ...islandExecutors({
        clients: awsClients,
        accountOf: this.accountOf,
        ram: cell =>
          new RAM({
            region: cell.region,
            endpoint: this.deps.config.aws.endpoint,
            maxAttempts: this.deps.config.aws.maxAttempts,
            credentials: awsClients.credentialsFor(this.accountOf(cell.accountId)) as any,
          }) as unknown as RamApi,
        kubernetes: this.deps.kubernetes,
      }),
      ...extra,
    ];
  }
}
