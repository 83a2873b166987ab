import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { examples } from './meshApply.examples';
import { FabricApiClient } from './FabricApiClient';
import { applyStoredPlan } from './planApply';
import { FabricPlanView } from './types';
import { DRY_RUN_PLAN_ID, inputHash } from './util';

/** `<account>/<region>/<AZ-ID>`, as the mesh cost estimate names traffic endpoints. */
const ENDPOINT = /^\d{12}\/[a-z]{2}(-gov)?-[a-z]+-\d\/[a-z]{2,5}\d+-az\d+$/;

/** What the action reads of a mesh plan's details. */
interface MeshDetails {
  planned?: unknown[];
  existing?: unknown[];
  refused?: unknown[];
  cost?: { peering?: { totalUsd?: number }; transitGateway?: { totalUsd?: number } };
}

/**
 * `fabric:mesh:apply`: plans the full peering mesh of the estate's mesh VPCs
 * (`POST /mesh/plan`) with the peering vs Transit Gateway estimate and, with
 * `apply: true`, applies exactly that plan (`POST /plans/:id/apply`). In plan-only mode
 * the apply is refused with the fabric's message. A dry run plans nothing.
 */
export function createFabricMeshApplyAction(options: { client: FabricApiClient }) {
  return createTemplateAction({
    id: 'fabric:mesh:apply',
    description:
      'Plans the VPC peering mesh across every enrolled cell (pairs, refusals, peering vs Transit Gateway cost) and optionally applies it',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        traffic: z =>
          z
            .array(
              z
                .object({
                  from: z.string().regex(ENDPOINT).describe('<account>/<region>/<AZ-ID>'),
                  to: z.string().regex(ENDPOINT).describe('<account>/<region>/<AZ-ID>'),
                  gbPerMonth: z.number().nonnegative().describe('GB per month from → to'),
                })
                .strict(),
            )
            .max(500)
            .optional()
            .describe('Expected traffic between cells, for the cost estimate'),
        apply: z => z.boolean().optional().describe('Apply the plan after planning it (default false)'),
      },
      output: {
        planId: z => z.string().describe('Id of the stored mesh plan (/fabric/plans/<planId>)'),
        peerings: z => z.number().describe('Peerings the plan creates'),
        existing: z => z.number().describe('Pairs already peered, left alone'),
        refused: z => z.number().describe('Pairs refused (overlapping CIDRs, limits)'),
        costPeeringUsd: z => z.number().describe('Monthly cost of the traffic over peering, USD'),
        costTransitGatewayUsd: z => z.number().describe('Monthly cost of the same traffic over a Transit Gateway, USD'),
        applied: z => z.boolean().describe('Whether the apply was started (it runs in the background)'),
      },
    },
    async handler(ctx) {
      const { traffic, apply = false } = ctx.input;
      const body = traffic ? { traffic } : {};

      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: the mesh would be planned${apply ? ' and applied' : ''}; the fabric was not asked`);
        ctx.output('planId', DRY_RUN_PLAN_ID);
        ctx.output('peerings', 0);
        ctx.output('existing', 0);
        ctx.output('refused', 0);
        ctx.output('costPeeringUsd', 0);
        ctx.output('costTransitGatewayUsd', 0);
        ctx.output('applied', false);
        return;
      }

      const planned = await ctx.checkpoint({
        key: `fabric.mesh.plan.${ctx.task.id}.${inputHash(body)}`,
        fn: async () => {
          const view = await options.client.post<FabricPlanView>('/mesh/plan', body, await ctx.getInitiatorCredentials());
          const details = (view.details ?? {}) as MeshDetails;
          return {
            planId: view.id,
            peerings: details.planned?.length ?? 0,
            existing: details.existing?.length ?? 0,
            refused: details.refused?.length ?? 0,
            costPeeringUsd: details.cost?.peering?.totalUsd ?? 0,
            costTransitGatewayUsd: details.cost?.transitGateway?.totalUsd ?? 0,
          };
        },
      });
      ctx.logger.info(
        `Planned the mesh: ${planned.peerings} new peerings, ${planned.existing} existing, ${planned.refused} refused; ` +
          `$${planned.costPeeringUsd}/month over peering vs $${planned.costTransitGatewayUsd}/month over a Transit Gateway (plan ${planned.planId})`,
      );
      ctx.output('planId', planned.planId);
      ctx.output('peerings', planned.peerings);
      ctx.output('existing', planned.existing);
      ctx.output('refused', planned.refused);
      ctx.output('costPeeringUsd', planned.costPeeringUsd);
      ctx.output('costTransitGatewayUsd', planned.costTransitGatewayUsd);

      if (apply) {
        await applyStoredPlan(options.client, ctx, planned.planId);
      }
      ctx.output('applied', apply);
    },
  });
}
