import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { CapacityResponse, FABRIC_INTENTS } from '@internal/backstage-plugin-fabric-common';
import { examples } from './capacityQuery.examples';
import { FabricApiClient } from './FabricApiClient';
import { identifier, requireAzIdInRegion } from './util';

/**
 * `fabric:capacity:query`: what the estate can run now for a GPU need and intent.
 * Read-only, so it also runs in dry-run.
 */
export function createFabricCapacityQueryAction(options: { client: FabricApiClient }) {
  return createTemplateAction({
    id: 'fabric:capacity:query',
    description: 'Queries GPU capacity across the fabric estate (accounts × regions × AZ-IDs)',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        gpu: z => z.string().min(1).max(32).optional().describe('GPU name, e.g. H100, A100, L4, L40S, A10G'),
        region: z => identifier(z, 'region').optional().describe('Region, e.g. us-east-1'),
        azId: z => identifier(z, 'azId').optional().describe('AZ-ID, e.g. use1-az4 (never an AZ name)'),
        minGpus: z => z.number().int().min(1).max(64).optional().describe('Minimum GPUs per node'),
        capacityType: z => z.enum(['spot', 'on-demand', 'reserved']).optional().describe('How the capacity is bought'),
        intent: z =>
          z.enum(FABRIC_INTENTS).optional().describe('Workload intent; tightly-coupled keeps EFA-capable types only'),
      },
      output: {
        gpus: z => z.number().describe('GPUs available within quota across matching offerings'),
        offerings: z => z.number().describe('Matching offerings'),
        cheapestPerGpuHour: z => z.number().optional().describe('Cheapest USD per GPU-hour among offerings within quota'),
        source: z => z.string().describe('demo or aws'),
        staleCells: z => z.number().describe('Cells whose data is stale; results exclude them'),
      },
    },
    async handler(ctx) {
      const { gpu, region, azId, minGpus, capacityType, intent } = ctx.input;
      if (azId && region) requireAzIdInRegion(azId, region);
      const params = new URLSearchParams();
      if (gpu) params.set('gpu', gpu);
      if (region) params.set('region', region);
      if (azId) params.set('azId', azId);
      if (minGpus) params.set('minGpus', String(minGpus));
      if (capacityType) params.set('capacityType', capacityType);
      if (intent === 'tightly-coupled') params.set('efaOnly', 'true');

      const capacity = await options.client.get<CapacityResponse>(
        `/capacity?${params}`,
        await ctx.getInitiatorCredentials(),
      );
      const usable = capacity.rows.filter(r => r.quotaHeadroomInstances > 0);
      const gpus = usable.reduce((sum, r) => sum + r.quotaHeadroomInstances * r.gpuCount, 0);
      const cheapest = usable.length
        ? Math.min(...usable.map(r => r.pricePerHour / r.gpuCount))
        : undefined;
      ctx.logger.info(
        `${usable.length} offerings within quota, ${gpus} GPUs${cheapest !== undefined ? `, from $${cheapest.toFixed(2)}/GPU-h` : ''} (${capacity.source} estate)`,
      );
      ctx.output('gpus', gpus);
      ctx.output('offerings', usable.length);
      if (cheapest !== undefined) ctx.output('cheapestPerGpuHour', Math.round(cheapest * 10000) / 10000);
      ctx.output('source', capacity.source);
      ctx.output('staleCells', capacity.staleCells.length);
    },
  });
}

