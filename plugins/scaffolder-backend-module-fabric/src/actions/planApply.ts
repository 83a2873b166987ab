import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { ConflictError, isError } from '@backstage/errors';
import { FabricApiClient } from './FabricApiClient';
import { FabricPlanView } from './types';

/**
 * Starts applying one stored plan (`POST /plans/:id/apply`) inside a checkpoint, so a
 * resumed task does not apply twice. The apply runs in the fabric's background; the
 * plan page shows its progress. A refusal (plan-only mode, an apply already running)
 * keeps the fabric's message and says where the stored plan can be reviewed.
 */
export async function applyStoredPlan(
  client: FabricApiClient,
  ctx: Pick<ActionContext<any>, 'checkpoint' | 'getInitiatorCredentials' | 'task' | 'logger'>,
  planId: string,
): Promise<{ status: string }> {
  return ctx.checkpoint<{ status: string }>({
    key: `fabric.plan.apply.${ctx.task.id}.${planId}`,
    fn: async () => {
      try {
        const view = await client.post<FabricPlanView>(
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
