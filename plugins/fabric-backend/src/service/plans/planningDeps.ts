import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AccountCredentialsRef,
  AwsClientFactory,
  AwsRateLimits,
  demoAccounts,
  FabricConfig,
  IslandKubernetesApplier,
  Plan,
  StepExecutor,
} from '@internal/backstage-plugin-fabric-node';
import { PlanKind } from '@internal/backstage-plugin-fabric-common';
import { DatabasePlanStore, PlanRecord } from '../../database/DatabasePlanStore';

/** What the planners and the runner are built from. */
export interface PlanningDeps {
  config: FabricConfig;
  plans: DatabasePlanStore;
  logger: LoggerService;
  awsClients?: AwsClientFactory;
  /** Extra executors registered by kind (tests add fakes of unavailable APIs). */
  executors?: StepExecutor[];
  /** The hub cluster, for the Kubernetes steps of islands and cells. */
  kubernetes?: IslandKubernetesApplier;
  clock?: () => Date;
  /** How long an apply lease lasts without renewal. */
  leaseMs?: number;
  /** The process's EC2 buckets, shared with discovery; a private set when omitted. */
  rateLimits?: AwsRateLimits;
}

/** The enrolled account behind an account id, with the role the fabric assumes in it. */
export function enrolledAccountLookup(config: FabricConfig): (accountId: string) => AccountCredentialsRef {
  return accountId => {
    const account = config.estate.accounts.find(a => a.id === accountId);
    if (!account) throw new Error(`Account ${accountId} is not enrolled`);
    return account;
  };
}

/** The account running the hub cluster: the one enrolled as `hub` (the demo's hub in the demo). */
export function hubAccountId(config: FabricConfig): string | undefined {
  const { estate } = config;
  if (estate.source === 'demo') return demoAccounts.find(a => a.role === 'hub')?.id;
  return estate.accounts.find(a => a.role === 'hub')?.id;
}

/** Stores a new plan as `planned`: shown to people before anything runs. */
export async function savePlanned(
  deps: Pick<PlanningDeps, 'plans' | 'clock'>,
  plan: { id: string; kind: PlanKind; subject: string; createdBy: string; plan: Plan; details: Record<string, any> },
): Promise<PlanRecord> {
  const now = (deps.clock ?? (() => new Date()))().toISOString();
  const record: PlanRecord = {
    id: plan.id,
    kind: plan.kind,
    subject: plan.subject,
    status: 'planned',
    createdBy: plan.createdBy,
    createdAt: now,
    updatedAt: now,
    plan: plan.plan,
    details: plan.details,
  };
  await deps.plans.savePlan(record);
  return record;
}
