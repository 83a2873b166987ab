import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { PlanSummary } from '@internal/backstage-plugin-fabric-common';
import { examples } from './meshApply.examples';
import { FabricApiClient } from './FabricApiClient';
import { planThenApply } from './planApply';
import { identifier } from './util';

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
                  from: identifier(z, 'meshEndpoint').describe('<account>/<region>/<AZ-ID>'),
                  to: identifier(z, 'meshEndpoint').describe('<account>/<region>/<AZ-ID>'),
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

      await planThenApply(options.client, ctx, {
        subject: 'the mesh',
        step: 'mesh.plan',
        path: '/mesh/plan',
        body,
        apply,
        summarize: summarizeMeshPlan,
        dryRunOutputs: { peerings: 0, existing: 0, refused: 0, costPeeringUsd: 0, costTransitGatewayUsd: 0 },
        describe: planned =>
          `Planned the mesh: ${planned.peerings} new peerings, ${planned.existing} existing, ${planned.refused} refused; ` +
          `$${planned.costPeeringUsd}/month over peering vs $${planned.costTransitGatewayUsd}/month over a Transit Gateway (plan ${planned.planId})`,
      });
    },
  });
}

function summarizeMeshPlan(plan: PlanSummary) {
  const details = (plan.details ?? {}) as MeshDetails;
  return {
    planId: plan.id,
    peerings: details.planned?.length ?? 0,
    existing: details.existing?.length ?? 0,
    refused: details.refused?.length ?? 0,
    costPeeringUsd: details.cost?.peering?.totalUsd ?? 0,
    costTransitGatewayUsd: details.cost?.transitGateway?.totalUsd ?? 0,
  };
}
