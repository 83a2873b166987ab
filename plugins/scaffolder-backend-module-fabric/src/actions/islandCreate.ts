import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { ConflictError, InputError } from '@backstage/errors';
import { PlacementRecord } from '@internal/backstage-plugin-fabric-common';
import { examples } from './islandCreate.examples';
import { FabricApiClient } from './FabricApiClient';
import { planThenApply } from './planApply';
import {
  DNS_LABEL_PATTERN,
  DRY_RUN_PLACEMENT_ID,
  identifier,
  islandIdForPlacement,
  requireAzIdInRegion,
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
            .regex(DNS_LABEL_PATTERN)
            .optional()
            .describe('Island id, a DNS label of at most 24 characters (required with a spec; default from the placement)'),
        region: z => identifier(z, 'region').optional().describe('Spec: the region of the AZ-ID'),
        azId: z => identifier(z, 'azId').optional().describe('Spec: the one AZ-ID, e.g. use1-az4'),
        instanceTypes: z =>
          z.array(identifier(z, 'instanceType')).min(1).optional().describe('Spec: EFA-capable instance types, e.g. [p5.48xlarge]'),
        memberAccountIds: z =>
          z.array(identifier(z, 'accountId')).min(1).optional().describe('Spec: accounts that launch into the island'),
        networkAccountId: z => identifier(z, 'accountId').describe('The account owning the shared VPC'),
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
        requireAzIdInRegion(rest.azId!, rest.region!);
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

      // A dry run plans nothing but still reads the placement, so a preview already
      // fails for a placement that does not exist or has no island.
      if (ctx.isDryRun && placementId !== undefined && placementId !== DRY_RUN_PLACEMENT_ID) {
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

      await planThenApply(options.client, ctx, {
        subject: 'the island',
        step: 'island.plan',
        path: '/islands',
        body,
        apply,
        summarize: plan => ({ planId: plan.id, islandId: plan.subject, steps: plan.plan.steps.length }),
        dryRunOutputs: { islandId: islandId ?? islandIdForPlacement(placementId!), steps: 0 },
        describe: planned =>
          `Planned island ${planned.islandId}: ${planned.steps} steps, plan ${planned.planId} (/fabric/plans/${planned.planId})`,
      });
    },
  });
}
