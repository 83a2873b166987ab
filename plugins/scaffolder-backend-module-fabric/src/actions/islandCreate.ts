import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { ConflictError, InputError } from '@backstage/errors';
import { PlacementRecord } from '@internal/backstage-plugin-fabric-common';
import { examples } from './islandCreate.examples';
import { FabricApiClient } from './FabricApiClient';
import { applyStoredPlan } from './planApply';
import { FabricPlanView } from './types';
import {
  ACCOUNT_ID_PATTERN,
  AZ_ID_PATTERN,
  azIdInRegion,
  DRY_RUN_PLACEMENT_ID,
  DRY_RUN_PLAN_ID,
  inputHash,
  islandIdForPlacement,
  REGION_PATTERN,
} from './util';

const SPEC_FIELDS = ['region', 'azId', 'instanceTypes', 'memberAccountIds'] as const;

/**
 * `fabric:island:create`: plans an EFA training island (`POST /islands`) from a
 * tightly-coupled placement or a full spec and, with `apply: true`, applies exactly that
 * plan. The plan is stored and shown before anything runs; in plan-only mode the apply
 * is refused with the fabric's message. A dry run checks the input (and that the
 * placement exists) and plans nothing.
 */
export function createFabricIslandCreateAction(options: { client: FabricApiClient }) {
  return createTemplateAction({
    id: 'fabric:island:create',
    description:
      'Plans an EFA training island (one AZ-ID in one VPC: subnet, EFA security group, placement group, RAM share, launch templates) and optionally applies it',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        placementId: z =>
          z.string().uuid().optional().describe('A placed tightly-coupled placement; the island takes its AZ-ID, accounts and types'),
        islandId: z =>
          z
            .string()
            .max(24)
            .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
            .optional()
            .describe('Island id, a DNS label of at most 24 characters (required with a spec; default from the placement)'),
        region: z => z.string().regex(REGION_PATTERN).optional().describe('Spec: the region of the AZ-ID'),
        azId: z => z.string().regex(AZ_ID_PATTERN).optional().describe('Spec: the one AZ-ID, e.g. use1-az4'),
        instanceTypes: z =>
          z.array(z.string().min(1)).min(1).optional().describe('Spec: EFA-capable instance types, e.g. [p5.48xlarge]'),
        memberAccountIds: z =>
          z
            .array(z.string().regex(ACCOUNT_ID_PATTERN))
            .min(1)
            .optional()
            .describe('Spec: accounts that launch into the island'),
        networkAccountId: z =>
          z.string().regex(ACCOUNT_ID_PATTERN).describe('The account owning the shared VPC'),
        vpcId: z => z.string().regex(/^vpc-[0-9a-f]+$/).describe('The shared VPC, e.g. vpc-0a1b2c3d4e5f60718'),
        vpcCidr: z => z.string().optional().describe("The VPC's CIDR, so a subnet outside it is refused before anything runs"),
        subnetCidr: z => z.string().describe("The island's subnet CIDR, /16 to /28"),
        apply: z => z.boolean().optional().describe('Apply the plan after planning it (default false)'),
      },
      output: {
        planId: z => z.string().describe('Id of the stored island plan (/fabric/plans/<planId>)'),
        islandId: z => z.string().describe('Id of the island'),
        steps: z => z.number().describe('Steps in the plan (0 in a dry run)'),
        applied: z => z.boolean().describe('Whether the apply was started (it runs in the background)'),
      },
    },
    async handler(ctx) {
      const { placementId, islandId, apply = false, ...rest } = ctx.input;
      const given = SPEC_FIELDS.filter(f => rest[f] !== undefined);
      if (placementId !== undefined && given.length > 0) {
        throw new InputError(
          `Give either placementId or a spec (region, azId, instanceTypes, memberAccountIds), not both: the placement decides ${given.join(', ')}`,
        );
      }
      if (placementId === undefined) {
        const missing = [...(islandId === undefined ? ['islandId'] : []), ...SPEC_FIELDS.filter(f => rest[f] === undefined)];
        if (missing.length > 0) {
          throw new InputError(`An island from a spec needs ${missing.join(', ')} (or give placementId instead)`);
        }
        if (!azIdInRegion(rest.azId!, rest.region!)) {
          throw new InputError(`azId ${rest.azId} is not in region ${rest.region}`);
        }
      }

      const network = {
        networkAccountId: rest.networkAccountId,
        vpcId: rest.vpcId,
        ...(rest.vpcCidr !== undefined ? { vpcCidr: rest.vpcCidr } : {}),
        subnetCidr: rest.subnetCidr,
      };
      const body =
        placementId !== undefined
          ? { placementId, ...(islandId !== undefined ? { id: islandId } : {}), ...network }
          : {
              id: islandId,
              region: rest.region,
              azId: rest.azId,
              instanceTypes: rest.instanceTypes,
              memberAccountIds: rest.memberAccountIds,
              ...network,
            };

      if (ctx.isDryRun) {
        if (placementId !== undefined && placementId !== DRY_RUN_PLACEMENT_ID) {
          const record = await options.client.get<PlacementRecord>(
            `/placements/${encodeURIComponent(placementId)}`,
            await ctx.getInitiatorCredentials(),
          );
          if (record.placement.status !== 'placed') {
            throw new ConflictError(
              `Placement ${placementId} is ${record.placement.status}; only a placed placement has an island`,
            );
          }
        }
        ctx.logger.info(
          `Dry run: the island would be planned${apply ? ' and applied' : ''}; the fabric was not asked to plan it`,
        );
        ctx.output('planId', DRY_RUN_PLAN_ID);
        ctx.output('islandId', islandId ?? islandIdForPlacement(placementId!));
        ctx.output('steps', 0);
        ctx.output('applied', false);
        return;
      }

      const planned = await ctx.checkpoint<{ planId: string; islandId: string; steps: number }>({
        key: `fabric.island.plan.${ctx.task.id}.${inputHash(body)}`,
        fn: async () => {
          const view = await options.client.post<FabricPlanView>('/islands', body, await ctx.getInitiatorCredentials());
          return { planId: view.id, islandId: view.subject, steps: view.plan.steps.length };
        },
      });
      ctx.logger.info(
        `Planned island ${planned.islandId}: ${planned.steps} steps, plan ${planned.planId} (/fabric/plans/${planned.planId})`,
      );
      ctx.output('planId', planned.planId);
      ctx.output('islandId', planned.islandId);
      ctx.output('steps', planned.steps);

      if (apply) {
        await applyStoredPlan(options.client, ctx, planned.planId);
      }
      ctx.output('applied', apply);
    },
  });
}
