import {
  CreatePlacementGroupCommand,
  DeletePlacementGroupCommand,
  DescribePlacementGroupsCommand,
  PlacementGroup,
} from '@aws-sdk/client-ec2';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { ec2Arn } from '../../aws/arns';
import { AwsStepAccess, cellOfStep, createdIf, deleteExecutor, stepEc2, undoStep, withFabricTags } from '../../plan/awsExecutors';
import { AwsTag, isTaggedByStep } from '../../plan/tags';
import { StepContext, StepExecutor } from '../../plan/types';
import { ISLAND_STEP_TYPES } from '../planIsland';

interface PlacementGroupInput {
  GroupName: string;
  Strategy: 'cluster';
  Tags?: AwsTag[];
}
interface DeletePlacementGroupInput {
  GroupName: string;
  GroupId: string;
}

const placementGroupOutput = (group: PlacementGroup, cell: CellRef) => ({
  GroupId: group.GroupId!,
  GroupName: group.GroupName!,
  GroupArn: group.GroupArn ?? ec2Arn(cell, 'placement-group', group.GroupName!),
  Strategy: group.Strategy ?? 'cluster',
});

/**
 * The island's cluster placement group. Members of other accounts launch into it by
 * GroupId once it is shared (docs/aws-facts.md §3.2), so its output always carries one.
 */
export function placementGroupExecutors(access: AwsStepAccess): StepExecutor[] {
  const findPlacementGroup = async (ctx: StepContext<{ GroupName: string }>): Promise<PlacementGroup | undefined> => {
    // A filter, not GroupNames: an unknown name in GroupNames is an error, not an empty answer.
    const response = await stepEc2(access, ctx).describe(
      new DescribePlacementGroupsCommand({ Filters: [{ Name: 'group-name', Values: [ctx.input.GroupName] }] }),
    );
    return response.PlacementGroups?.find(
      g => g.GroupName === ctx.input.GroupName && g.State !== 'deleted' && g.State !== 'deleting',
    );
  };

  const createPlacementGroup: StepExecutor<PlacementGroupInput> = {
    type: ISLAND_STEP_TYPES.createPlacementGroup,
    async probe(ctx) {
      const group = await findPlacementGroup(ctx);
      if (!group) return undefined;
      if (group.Strategy !== ctx.input.Strategy) {
        throw new Error(
          `Placement group ${group.GroupName} (${group.GroupId}) exists with strategy ${group.Strategy}; an EFA island needs a cluster placement group`,
        );
      }
      if (!group.GroupId) throw new Error(`Placement group ${group.GroupName} has no GroupId; participants can only use it by id`);
      const ours = isTaggedByStep(group.Tags, ctx.plan, ctx.step.key);
      return { ...placementGroupOutput(group, cellOfStep(ctx.step)), ...createdIf(ours) };
    },
    async run(ctx) {
      const response = await stepEc2(access, ctx).mutate(
        new CreatePlacementGroupCommand({
          GroupName: ctx.input.GroupName,
          Strategy: ctx.input.Strategy,
          TagSpecifications: [{ ResourceType: 'placement-group', Tags: withFabricTags(ctx) }],
        }),
      );
      const group = response.PlacementGroup?.GroupId ? response.PlacementGroup : await findPlacementGroup(ctx);
      if (!group?.GroupId) throw new Error(`CreatePlacementGroup ${ctx.input.GroupName} returned no GroupId`);
      return placementGroupOutput({ ...group, GroupName: group.GroupName ?? ctx.input.GroupName }, cellOfStep(ctx.step));
    },
    undo({ step, output }) {
      return [
        undoStep(step, {
          type: ISLAND_STEP_TYPES.deletePlacementGroup,
          title: `Delete the island's placement group ${output.GroupName} (${output.GroupId})`,
          input: { GroupName: output.GroupName as string, GroupId: output.GroupId as string },
        }),
      ];
    },
  };

  const deletePlacementGroup = deleteExecutor<DeletePlacementGroupInput>({
    type: ISLAND_STEP_TYPES.deletePlacementGroup,
    // Gone, or a group of the same name that is not the one this island made.
    exists: async ctx => (await findPlacementGroup(ctx))?.GroupId === ctx.input.GroupId,
    remove: ctx => stepEc2(access, ctx).mutate(new DeletePlacementGroupCommand({ GroupName: ctx.input.GroupName })),
  });

  return [createPlacementGroup, deletePlacementGroup];
}
