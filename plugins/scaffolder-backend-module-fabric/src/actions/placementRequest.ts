import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { InputError } from '@backstage/errors';
import {
  cellId,
  FABRIC_INTENTS,
  parsePlacementRequest,
  PlacementRecord,
  SPOT_POLICIES,
} from '@internal/backstage-plugin-fabric-common';
import { examples } from './placementRequest.examples';
import { FabricApiClient } from './FabricApiClient';
import { azIdInRegion, checkpointKey, distinct, DRY_RUN_PLACEMENT_ID, identifier, outputAll } from './util';

/** What the action keeps of a placement: its outputs, JSON for the checkpoint. */
interface PlacementSummary {
  placementId: string;
  status: string;
  gpus: number;
  azIds: string[];
  cells: string[];
  computePerHour: number;
  spotShare: number;
  reasons: string[];
  yaml?: string;
  largestFeasibleGpus?: number;
  [key: string]: string | number | string[] | undefined;
}

/**
 * `fabric:placement:request`: asks the fabric where a workload's GPUs should go and
 * stores the decision (`POST /placements`). Planning never changes a cloud resource; a
 * request the guardrails refuse stores nothing. In a dry run the request is validated
 * with the fabric's own schema and nothing is sent.
 */
export function createFabricPlacementRequestAction(options: { client: FabricApiClient }) {
  return createTemplateAction({
    id: 'fabric:placement:request',
    description:
      'Plans where a workload runs in the fabric estate (accounts × regions × AZ-IDs) and stores the placement with its compiled Karpenter YAML',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z => identifier(z, 'entityRef').describe('The workload, e.g. component:default/llm-pretraining'),
        intent: z => z.enum(FABRIC_INTENTS).describe('throughput, tightly-coupled or balanced'),
        gpu: z =>
          z
            .object({
              instanceTypes: z.array(identifier(z, 'instanceType')).min(1).optional().describe('Instance types, e.g. [p5.48xlarge]'),
              family: identifier(z, 'instanceFamily').optional().describe('Instance family, e.g. p5 or g6e'),
              minGpuMemoryGiB: z.number().positive().max(1024).optional().describe('Minimum memory per GPU (GiB)'),
              gpusPerNode: z.number().int().min(1).max(64).optional().describe('GPUs every node carries'),
              totalGpus: z.number().int().min(1).max(4096).describe('GPUs in total'),
            })
            .strict()
            .describe('The GPU need: exactly one of instanceTypes, family or minGpuMemoryGiB, and totalGpus'),
        spotPolicy: z =>
          z
            .enum(SPOT_POLICIES)
          .optional()
          .describe('spot-only, spot-first, on-demand-only or reserved-first (default per intent)'),
        allowSpotForTightlyCoupled: z =>
          z
            .boolean()
          .optional()
          .describe('Let a tightly-coupled gang run spot-only (one interruption stops the whole gang)'),
        maxHourlyPrice: z => z.number().positive().optional().describe('Most the placement may cost, USD per hour'),
        allowedRegions: z => z.array(identifier(z, 'region')).min(1).optional().describe('Regions the workload may run in'),
        preferredRegion: z => identifier(z, 'region').optional().describe('Preferred region (balanced intent only)'),
        azId: z =>
          identifier(z, 'azId')
            .optional()
            .describe(
              'A preferred AZ-ID, e.g. use1-az4. The fabric takes no AZ-ID preference: it is checked against the regions and only reported (azIdPreferenceMet)',
            ),
      },
      output: {
        placementId: z => z.string().describe('Id of the stored placement'),
        status: z => z.string().describe('placed or cannot-place-now (dry-run in a dry run)'),
        gpus: z => z.number().describe('GPUs placed (requested GPUs in a dry run)'),
        azIds: z => z.array(z.string()).describe('AZ-IDs the placement uses'),
        cells: z => z.array(z.string()).describe('Cells (<account>/<region>) the placement uses'),
        computePerHour: z => z.number().describe('Compute cost, USD per hour'),
        spotShare: z => z.number().describe('Share of the placed GPUs bought as spot, 0..1'),
        reasons: z => z.array(z.string()).describe('The decision in plain words, in the order it was taken'),
        yaml: z => z.string().optional().describe('The compiled Karpenter NodePools and their EC2NodeClass (hub account) or FabricNodeClass (member accounts) YAML (placed only)'),
        largestFeasibleGpus: z =>
          z.number().optional().describe('For cannot-place-now: the most GPUs that could be placed now'),
        azIdPreferenceMet: z =>
          z.boolean().optional().describe('With azId: whether every chosen offering is in that AZ-ID'),
      },
    },
    async handler(ctx) {
      const { azId, ...fields } = ctx.input;
      const request = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));

      // The AZ-ID is not part of the request: it must sit in the region(s) the request allows.
      if (azId) {
        const { preferredRegion, allowedRegions } = fields;
        if (preferredRegion && !azIdInRegion(azId, preferredRegion)) {
          throw new InputError(`azId ${azId} is not in the preferred region ${preferredRegion}`);
        }
        if (allowedRegions && !allowedRegions.some(r => azIdInRegion(azId, r))) {
          throw new InputError(`azId ${azId} is not in the allowed regions (${allowedRegions.join(', ')})`);
        }
      }

      if (ctx.isDryRun) {
        const parsed = parsePlacementRequest(request);
        if (!parsed.ok) {
          throw new InputError(
            `Invalid placement request: ${parsed.errors.map(e => `${e.path} ${e.message}`).join('; ')}`,
          );
        }
        ctx.logger.info(
          `Dry run: the placement request for ${parsed.request.entityRef} is valid (spot policy ${parsed.request.spotPolicy}); the fabric was not asked`,
        );
        outputAll(ctx, {
          placementId: DRY_RUN_PLACEMENT_ID,
          status: 'dry-run',
          gpus: parsed.request.gpu.totalGpus,
          azIds: [],
          cells: [],
          computePerHour: 0,
          spotShare: 0,
          reasons: ['Dry run: the request is valid; the fabric was not asked, so nothing was placed.'],
          yaml: '# Dry run: the fabric compiles the Karpenter YAML when the placement is made.\n',
        });
        return;
      }

      const summary = await ctx.checkpoint<PlacementSummary>({
        key: checkpointKey('placement.request', ctx.task.id, ctx.input),
        fn: async () => {
          const record = await options.client.post<PlacementRecord>(
            '/placements',
            request,
            await ctx.getInitiatorCredentials(),
          );
          return summarize(record);
        },
      });

      ctx.logger.info(
        `Placement ${summary.placementId}: ${summary.status}, ${summary.gpus} GPUs in ${summary.azIds.join(', ') || 'no AZ-ID'} for $${summary.computePerHour}/h`,
      );
      for (const reason of summary.reasons) ctx.logger.info(`  ${reason}`);
      if (summary.status !== 'placed') {
        ctx.logger.warn(
          `The fabric cannot place ${ctx.input.gpu.totalGpus} GPUs now${summary.largestFeasibleGpus !== undefined ? ` (at most ${summary.largestFeasibleGpus})` : ''}; the placement is stored without manifests`,
        );
      }

      outputAll(ctx, summary);
      if (azId) {
        const met = summary.azIds.length > 0 && summary.azIds.every(a => a === azId);
        ctx.logger.info(
          met
            ? `The placement is in the preferred AZ-ID ${azId}`
            : `The placement is not (only) in the preferred AZ-ID ${azId}: the fabric chose ${summary.azIds.join(', ') || 'nothing'}`,
        );
        ctx.output('azIdPreferenceMet', met);
      }
    },
  });
}

function summarize(record: PlacementRecord): PlacementSummary {
  const { placement } = record;
  return {
    placementId: record.id,
    status: placement.status,
    gpus: placement.totals.gpus,
    azIds: distinct(placement.chosen.map(c => c.azId)),
    cells: distinct(placement.chosen.map(cellId)),
    computePerHour: placement.cost.computePerHour,
    spotShare: placement.cost.spotShare,
    reasons: placement.reasons,
    ...(record.artifacts ? { yaml: record.artifacts.yaml } : {}),
    ...(placement.largestFeasibleGpus !== undefined ? { largestFeasibleGpus: placement.largestFeasibleGpus } : {}),
  };
}
