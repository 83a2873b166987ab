import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { FABRIC_INTENTS } from '@internal/backstage-plugin-fabric-common';
import { examples } from './workloadRegister.examples';
import { FabricApiClient } from './FabricApiClient';
import { checkpointKey, DNS_LABEL_PATTERN } from './util';

const ENTITY_REF_OR_NAME = /^(?:[a-z][a-z0-9-]*:)?(?:[a-z0-9][-a-z0-9_.]*\/)?[a-z0-9][-a-z0-9_.]*$/i;

/**
 * `fabric:workload:register`: asks the fabric to create the workload's Component
 * (`POST /workloads`). The fabric stores it and its `fabric-workloads` catalog entity
 * provider registers it in the catalog within seconds, with no git host needed.
 * Registering the same workload again is a no-op; a name another owner holds is refused.
 * In a dry run nothing is sent.
 */
export function createFabricWorkloadRegisterAction(options: { client: FabricApiClient }) {
  return createTemplateAction({
    id: 'fabric:workload:register',
    description:
      'Registers a new workload Component with the fabric annotations in the catalog, through the fabric (no SCM needed)',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z => z.string().max(63).regex(DNS_LABEL_PATTERN).describe('Component name, a DNS-1123 label, e.g. llm-finetune'),
        namespace: z => z.string().max(63).regex(DNS_LABEL_PATTERN).optional().describe('Catalog namespace (default: default)'),
        title: z => z.string().max(256).optional().describe('Display title'),
        description: z => z.string().max(4096).optional().describe('Description'),
        owner: z =>
          z.string().regex(ENTITY_REF_OR_NAME).describe('Owner, an entity ref such as group:default/ml-research or a name'),
        system: z => z.string().regex(ENTITY_REF_OR_NAME).optional().describe('System the component belongs to'),
        intent: z => z.enum(FABRIC_INTENTS).describe('throughput, tightly-coupled or balanced'),
        gpu: z => z.string().min(1).max(64).describe('GPU family, GPU name or instance type, e.g. p5, H100 or p5.48xlarge'),
      },
      output: {
        entityRef: z => z.string().describe('The registered component, e.g. component:default/llm-finetune'),
      },
    },
    async handler(ctx) {
      // Empty form fields render as '' or undefined: neither is sent.
      const body = Object.fromEntries(
        Object.entries(ctx.input).filter(([, v]) => v !== undefined && v !== ''),
      );
      const entityRef = `component:${ctx.input.namespace || 'default'}/${ctx.input.name}`;

      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: ${entityRef} would be registered through the fabric; the fabric was not asked`);
        ctx.output('entityRef', entityRef);
        return;
      }

      const registered = await ctx.checkpoint<{ entityRef: string }>({
        key: checkpointKey('workload.register', ctx.task.id, ctx.input),
        fn: async () => {
          const res = await options.client.post<{ entityRef: string }>(
            '/workloads',
            body,
            await ctx.getInitiatorCredentials(),
          );
          return { entityRef: res.entityRef };
        },
      });

      ctx.logger.info(
        `Registered ${registered.entityRef} through the fabric; the catalog shows it within seconds`,
      );
      ctx.output('entityRef', registered.entityRef);
    },
  });
}
