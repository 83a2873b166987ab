import { CreateSecurityGroupCommand, DeleteSecurityGroupCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { ec2Arn } from '../../aws/arns';
import { AwsStepAccess, cellOfStep, createdIf, deleteExecutor, stepEc2, undoStep, withFabricTags } from '../../plan/awsExecutors';
import { AwsTag, isTaggedByStep } from '../../plan/tags';
import { StepExecutor } from '../../plan/types';
import { ISLAND_STEP_TYPES } from '../planIsland';

interface SecurityGroupInput {
  VpcId: string;
  GroupName: string;
  Description: string;
  Tags?: AwsTag[];
}

const groupOutput = (group: { GroupId?: string; SecurityGroupArn?: string }, input: SecurityGroupInput, cell: CellRef) => ({
  GroupId: group.GroupId!,
  GroupArn: group.SecurityGroupArn ?? ec2Arn(cell, 'security-group', group.GroupId!),
  GroupName: input.GroupName,
  VpcId: input.VpcId,
});

/** The island's security group, found again by name in its VPC (names are unique per VPC). */
export function securityGroupExecutors(access: AwsStepAccess): StepExecutor[] {
  const createSecurityGroup: StepExecutor<SecurityGroupInput> = {
    type: ISLAND_STEP_TYPES.createSecurityGroup,
    async probe(ctx) {
      const { VpcId, GroupName } = ctx.input;
      const response = await stepEc2(access, ctx).describe(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [VpcId] },
            { Name: 'group-name', Values: [GroupName] },
          ],
        }),
      );
      const group = response.SecurityGroups?.find(g => g.GroupName === GroupName && g.VpcId === VpcId);
      if (!group) return undefined;
      const ours = isTaggedByStep(group.Tags, ctx.plan, ctx.step.key);
      return { ...groupOutput(group, ctx.input, cellOfStep(ctx.step)), ...createdIf(ours) };
    },
    async run(ctx) {
      const { VpcId, GroupName, Description } = ctx.input;
      const response = await stepEc2(access, ctx).mutate(
        new CreateSecurityGroupCommand({
          VpcId,
          GroupName,
          Description,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: withFabricTags(ctx) }],
        }),
      );
      if (!response.GroupId) throw new Error('CreateSecurityGroup returned no group id');
      return groupOutput(response, ctx.input, cellOfStep(ctx.step));
    },
    undo({ step, output }) {
      return [
        undoStep(step, {
          type: ISLAND_STEP_TYPES.deleteSecurityGroup,
          title: `Delete the island's security group ${output.GroupName} (${output.GroupId})`,
          input: { GroupId: output.GroupId as string },
        }),
      ];
    },
  };

  const deleteSecurityGroup = deleteExecutor<{ GroupId: string }>({
    type: ISLAND_STEP_TYPES.deleteSecurityGroup,
    exists: async ctx => {
      const { GroupId } = ctx.input;
      const response = await stepEc2(access, ctx).describe(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId] }));
      return Boolean(response.SecurityGroups?.some(g => g.GroupId === GroupId));
    },
    remove: ctx => stepEc2(access, ctx).mutate(new DeleteSecurityGroupCommand({ GroupId: ctx.input.GroupId })),
  });

  return [createSecurityGroup, deleteSecurityGroup];
}
