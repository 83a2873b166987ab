import {
  CreateLaunchTemplateCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  LaunchTemplate,
  RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { AwsStepAccess, cellTextOf, createdIf, deleteExecutor, stepEc2, undoStep, withFabricTags } from '../../plan/awsExecutors';
import { AwsTag, isTaggedByStep } from '../../plan/tags';
import { StepContext, StepExecutor } from '../../plan/types';
import { ISLAND_STEP_TYPES } from '../planIsland';
import { launchTemplateDrift } from './launchTemplateDrift';

interface LaunchTemplateInput {
  LaunchTemplateName: string;
  Tags?: AwsTag[];
  LaunchTemplateData: RequestLaunchTemplateData;
}
interface LaunchTemplateIdInput {
  LaunchTemplateId: string;
  LaunchTemplateName: string;
}

const templateOutput = (template: LaunchTemplate) => ({
  LaunchTemplateId: template.LaunchTemplateId!,
  LaunchTemplateName: template.LaunchTemplateName!,
  DefaultVersionNumber: template.DefaultVersionNumber ?? 1,
});

/**
 * One launch template per member account and instance type: the EFA NIC layout, the
 * shared placement group by id, the type's reservation. Found again by name; a template
 * of that name that launches differently is an error, never adopted.
 */
export function launchTemplateExecutors(access: AwsStepAccess): StepExecutor[] {
  const findLaunchTemplate = async (ctx: StepContext<{ LaunchTemplateName: string }>): Promise<LaunchTemplate | undefined> => {
    // A filter, not LaunchTemplateNames: an unknown name there is an error, not an empty answer.
    const response = await stepEc2(access, ctx).describe(
      new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: [ctx.input.LaunchTemplateName] }] }),
    );
    return response.LaunchTemplates?.find(t => t.LaunchTemplateName === ctx.input.LaunchTemplateName);
  };

  const createLaunchTemplate: StepExecutor<LaunchTemplateInput> = {
    type: ISLAND_STEP_TYPES.createLaunchTemplate,
    async probe(ctx) {
      const template = await findLaunchTemplate(ctx);
      if (!template?.LaunchTemplateId) return undefined;
      const versions = await stepEc2(access, ctx).describe(
        new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template.LaunchTemplateId, Versions: ['$Default'] }),
      );
      const drift = launchTemplateDrift(ctx.input.LaunchTemplateData, versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData);
      if (drift.length) {
        throw new Error(
          `Launch template ${template.LaunchTemplateName} (${template.LaunchTemplateId}) exists but differs from the island: ` +
            `${drift.join('; ')}. Destroy the island's earlier plan or delete the template, then apply again`,
        );
      }
      const ours = isTaggedByStep(template.Tags, ctx.plan, ctx.step.key);
      return { ...templateOutput(template), ...createdIf(ours) };
    },
    async run(ctx) {
      const response = await stepEc2(access, ctx).mutate(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: ctx.input.LaunchTemplateName,
          LaunchTemplateData: ctx.input.LaunchTemplateData,
          ClientToken: ctx.clientToken,
          TagSpecifications: [{ ResourceType: 'launch-template', Tags: withFabricTags(ctx) }],
        }),
      );
      if (!response.LaunchTemplate?.LaunchTemplateId) throw new Error('CreateLaunchTemplate returned no template id');
      return templateOutput(response.LaunchTemplate);
    },
    undo({ step, output }) {
      return [
        undoStep(step, {
          type: ISLAND_STEP_TYPES.deleteLaunchTemplate,
          title: `Delete launch template ${output.LaunchTemplateName} (${output.LaunchTemplateId}) in ${cellTextOf(step)}`,
          input: { LaunchTemplateId: output.LaunchTemplateId as string, LaunchTemplateName: output.LaunchTemplateName as string },
        }),
      ];
    },
  };

  const deleteLaunchTemplate = deleteExecutor<LaunchTemplateIdInput>({
    type: ISLAND_STEP_TYPES.deleteLaunchTemplate,
    exists: async ctx => {
      const { LaunchTemplateId } = ctx.input;
      const response = await stepEc2(access, ctx).describe(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [LaunchTemplateId] }));
      return Boolean(response.LaunchTemplates?.some(t => t.LaunchTemplateId === LaunchTemplateId));
    },
    remove: ctx => stepEc2(access, ctx).mutate(new DeleteLaunchTemplateCommand({ LaunchTemplateId: ctx.input.LaunchTemplateId })),
  });

  return [createLaunchTemplate, deleteLaunchTemplate];
}
