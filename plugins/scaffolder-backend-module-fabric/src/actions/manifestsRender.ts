import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { ConflictError, InputError } from '@backstage/errors';
import { PlacementRecord } from '@internal/backstage-plugin-fabric-common';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'yaml';
import { examples } from './manifestsRender.examples';
import { FabricApiClient } from './FabricApiClient';
import { DRY_RUN_PLACEMENT_ID, placementShortName } from './util';

/** Fields of the compiled pod constraints that belong in a pod spec. */
const POD_SPEC_FIELDS = ['nodeSelector', 'affinity', 'tolerations', 'topologySpreadConstraints', 'schedulingGates'];

/**
 * `fabric:manifests:render`: writes a stored placement's compiled Karpenter objects and
 * the scheduling constraints of its pods into the workspace, so later steps (publish,
 * catalog:write) can ship them with the workload. Only reads from the fabric, so it also
 * runs in a dry run; given the dry-run placement id it writes placeholder files, so a
 * dry run shows what a real run writes where.
 */
export function createFabricManifestsRenderAction(options: { client: FabricApiClient }) {
  return createTemplateAction({
    id: 'fabric:manifests:render',
    description:
      "Writes a placement's Karpenter NodePools with their node classes (EC2NodeClass in the hub account, FabricNodeClass in member accounts) as YAML, and its pod scheduling snippet, into the workspace",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        placementId: z => z.string().uuid().describe('A placement id, e.g. the output of fabric:placement:request'),
        targetPath: z =>
          z.string().min(1).optional().describe('Folder in the workspace to write into (default fabric/)'),
      },
      output: {
        manifestPath: z => z.string().describe('The Karpenter YAML, relative to the workspace'),
        podSchedulingPath: z => z.string().describe('The pod scheduling snippet, relative to the workspace'),
        paths: z => z.array(z.string()).describe('Every file written, relative to the workspace'),
      },
    },
    async handler(ctx) {
      const { placementId, targetPath = 'fabric/' } = ctx.input;
      let folder: string;
      try {
        folder = resolveSafeChildPath(ctx.workspacePath, targetPath);
      } catch {
        throw new InputError(`targetPath ${targetPath} is outside the workspace`);
      }

      const short = placementShortName(placementId);
      const manifestFile = path.join(folder, `${short}.yaml`);
      const podFile = path.join(folder, `${short}-pod-scheduling.yaml`);

      let manifest: string;
      let podScheduling: string;
      if (ctx.isDryRun && placementId === DRY_RUN_PLACEMENT_ID) {
        ctx.logger.info('Dry run: writing placeholder manifests; a real run writes the placement\'s compiled YAML');
        const note = '# Dry run: a real run writes the compiled objects of the placement here.\n';
        manifest = note;
        podScheduling = note;
      } else {
        const record = await options.client.get<PlacementRecord>(
          `/placements/${encodeURIComponent(placementId)}`,
          await ctx.getInitiatorCredentials(),
        );
        if (!record.artifacts) {
          throw new ConflictError(
            `Placement ${placementId} is ${record.placement.status}; only a placed placement has manifests`,
          );
        }
        const header = [
          `# Placement ${record.id} of ${record.entityRef}, compiled by CloudSpectra Fabric`,
          `# (${record.inventorySource} estate, inventory of ${record.placement.inventoryTakenAt}).`,
        ];
        manifest = `${header.join('\n')}\n# Karpenter v1 NodePools and node classes for the hub cluster: ${record.artifacts.objects.map(o => `${o.kind}/${o.name}`).join(', ')}\n${record.artifacts.yaml}`;
        podScheduling = `${header.join('\n')}\n# Merge into the pod template of the workload (e.g. spec.template of a Job or Deployment).\n${yaml.stringify(podSnippet(record.artifacts.podScheduling))}`;
      }

      await mkdir(folder, { recursive: true });
      await writeFile(manifestFile, manifest, 'utf8');
      await writeFile(podFile, podScheduling, 'utf8');
      const relative = (file: string) => path.relative(ctx.workspacePath, file).split(path.sep).join('/');
      ctx.logger.info(`Wrote ${relative(manifestFile)} and ${relative(podFile)}`);
      ctx.output('manifestPath', relative(manifestFile));
      ctx.output('podSchedulingPath', relative(podFile));
      ctx.output('paths', [relative(manifestFile), relative(podFile)]);
    },
  });
}

/** The compiled constraints as a pod template fragment: labels in metadata, the rest in spec. */
function podSnippet(podScheduling: Record<string, unknown>) {
  const spec = Object.fromEntries(
    POD_SPEC_FIELDS.filter(k => podScheduling[k] !== undefined).map(k => [k, podScheduling[k]]),
  );
  const labels = podScheduling.labels as Record<string, string> | undefined;
  return { ...(labels ? { metadata: { labels } } : {}), spec };
}
