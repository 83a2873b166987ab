import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { ConflictError, isError } from '@backstage/errors';
import { PlanRecordStatus, PlanSummary, PlanView } from '@internal/backstage-plugin-fabric-common';
import { FabricApiClient } from './FabricApiClient';
import { checkpointKey, DRY_RUN_PLAN_ID, outputAll } from './util';

/** What the plan steps use of an action's context. */
type PlanStepContext = Pick<
  ActionContext<any, any>,
  'checkpoint' | 'getInitiatorCredentials' | 'task' | 'logger' | 'output' | 'isDryRun'
>;

/** What an action keeps of the plan it stored: JSON for the checkpoint, each field a step output. */
export type PlannedOutputs = { planId: string } & Record<string, string | number>;

/**
 * The run every plan-then-apply action shares: asks the fabric for a plan (which it
 * stores for review) once per task and input, so a resumed task finds its plan instead
 * of storing a second one; reports it; and with `apply` starts applying exactly that
 * plan. Outputs the plan's fields and `applied`. A dry run asks the fabric nothing and
 * outputs the dry-run plan id with placeholders of the same shape.
 */
export async function planThenApply<TPlanned extends PlannedOutputs>(
  client: FabricApiClient,
  ctx: PlanStepContext,
  options: {
    /** What is planned, for the task log: `the mesh`, `the island`. */
    subject: string;
    /** Checkpoint step, e.g. `mesh.plan`. */
    step: string;
    /** The fabric's planning route, e.g. `/mesh/plan`. */
    path: string;
    body: Record<string, unknown>;
    summarize(plan: PlanSummary): TPlanned;
    describe(planned: TPlanned): string;
    apply: boolean;
    /** What a dry run outputs besides its plan id. */
    dryRunOutputs: Omit<TPlanned, 'planId'>;
  },
): Promise<void> {
  if (ctx.isDryRun) {
    ctx.logger.info(
      `Dry run: ${options.subject} would be planned${options.apply ? ' and applied' : ''}; the fabric was not asked to plan it`,
    );
    outputAll(ctx, { planId: DRY_RUN_PLAN_ID, ...options.dryRunOutputs, applied: false });
    return;
  }

  const planned = await ctx.checkpoint<TPlanned>({
    key: checkpointKey(options.step, ctx.task.id, options.body),
    fn: async () =>
      options.summarize(
        await client.post<PlanSummary>(options.path, options.body, await ctx.getInitiatorCredentials()),
      ),
  });
  ctx.logger.info(options.describe(planned));
  outputAll(ctx, planned);

  if (options.apply) {
    await applyStoredPlan(client, ctx, planned.planId);
  }
  ctx.output('applied', options.apply);
}

/**
 * Starts applying one stored plan (`POST /plans/:id/apply`) inside a checkpoint, so a
 * resumed task does not apply twice. The apply runs in the fabric's background; the
 * plan page shows its progress. A refusal (plan-only mode, an apply already running)
 * keeps the fabric's message and says where the stored plan can be reviewed.
 */
export async function applyStoredPlan(
  client: FabricApiClient,
  ctx: Pick<PlanStepContext, 'checkpoint' | 'getInitiatorCredentials' | 'task' | 'logger'>,
  planId: string,
): Promise<{ status: PlanRecordStatus }> {
  return ctx.checkpoint<{ status: PlanRecordStatus }>({
    key: `fabric.plan.apply.${ctx.task.id}.${planId}`,
    fn: async () => {
      try {
        const view = await client.post<PlanView>(
          `/plans/${encodeURIComponent(planId)}/apply`,
          {},
          await ctx.getInitiatorCredentials(),
        );
        ctx.logger.info(`Applying plan ${planId} (${view.plan.steps.length} steps); progress on /fabric/plans/${planId}`);
        return { status: view.status };
      } catch (error) {
        if (isError(error) && error.name === 'ConflictError') {
          throw new ConflictError(
            `${error.message} Nothing was applied; plan ${planId} is stored for review at /fabric/plans/${planId}.`,
          );
        }
        throw error;
      }
    },
  });
}
