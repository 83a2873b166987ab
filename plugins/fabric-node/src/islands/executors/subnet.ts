import { CreateSubnetCommand, DeleteSubnetCommand, DescribeSubnetsCommand, Subnet } from '@aws-sdk/client-ec2';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { ec2Arn } from '../../aws/arns';
import { collectPages } from '../../aws/paginate';
import { AwsStepAccess, cellOfStep, createdIf, deleteExecutor, stepEc2, undoStep, withFabricTags } from '../../plan/awsExecutors';
import { AwsTag, isTaggedByStep } from '../../plan/tags';
import { StepExecutor } from '../../plan/types';
import { ISLAND_STEP_TYPES } from '../planIsland';

interface SubnetInput {
  VpcId: string;
  CidrBlock: string;
  AvailabilityZoneId: string;
  Tags?: AwsTag[];
}

const subnetOutput = (subnet: Subnet, cell: CellRef) => ({
  SubnetId: subnet.SubnetId!,
  SubnetArn: subnet.SubnetArn ?? ec2Arn(cell, 'subnet', subnet.SubnetId!),
  AvailabilityZoneId: subnet.AvailabilityZoneId ?? '',
  VpcId: subnet.VpcId ?? '',
  CidrBlock: subnet.CidrBlock ?? '',
});

/**
 * The island's one subnet in the shared VPC, in the island's AZ-ID. Found again by VPC
 * and CIDR (subnets of a VPC never overlap); a subnet with the CIDR in another AZ-ID is
 * an error, never adopted.
 */
export function subnetExecutors(access: AwsStepAccess): StepExecutor[] {
  const createSubnet: StepExecutor<SubnetInput> = {
    type: ISLAND_STEP_TYPES.createSubnet,
    async probe(ctx) {
      const { VpcId, CidrBlock, AvailabilityZoneId } = ctx.input;
      const filters = [
        { Name: 'vpc-id', Values: [VpcId] },
        { Name: 'cidr-block', Values: [CidrBlock] },
      ];
      const ec2 = stepEc2(access, ctx);
      const subnets = await collectPages(
        NextToken => ec2.describe(new DescribeSubnetsCommand({ Filters: filters, NextToken })),
        page => page.Subnets,
      );
      const subnet = subnets.find(s => s.VpcId === VpcId && s.CidrBlock === CidrBlock);
      if (!subnet) return undefined;
      if (subnet.AvailabilityZoneId !== AvailabilityZoneId) {
        throw new Error(
          `${VpcId} already has ${CidrBlock} as ${subnet.SubnetId} in ${subnet.AvailabilityZoneId}, not ${AvailabilityZoneId}; ` +
            'an island subnet must sit in the island\'s AZ-ID: choose another CIDR',
        );
      }
      const ours = isTaggedByStep(subnet.Tags, ctx.plan, ctx.step.key);
      return { ...subnetOutput(subnet, cellOfStep(ctx.step)), ...createdIf(ours) };
    },
    async run(ctx) {
      const response = await stepEc2(access, ctx).mutate(
        new CreateSubnetCommand({
          VpcId: ctx.input.VpcId,
          CidrBlock: ctx.input.CidrBlock,
          // The AZ-ID, never a name: names differ per account (docs/aws-facts.md §1).
          AvailabilityZoneId: ctx.input.AvailabilityZoneId,
          TagSpecifications: [{ ResourceType: 'subnet', Tags: withFabricTags(ctx) }],
        }),
      );
      if (!response.Subnet?.SubnetId) throw new Error('CreateSubnet returned no subnet id');
      return subnetOutput(response.Subnet, cellOfStep(ctx.step));
    },
    undo({ step, output }) {
      return [
        undoStep(step, {
          type: ISLAND_STEP_TYPES.deleteSubnet,
          title: `Delete the island's subnet ${output.SubnetId} (${output.CidrBlock} in ${output.AvailabilityZoneId})`,
          input: { SubnetId: output.SubnetId as string },
        }),
      ];
    },
  };

  const deleteSubnet = deleteExecutor<{ SubnetId: string }>({
    type: ISLAND_STEP_TYPES.deleteSubnet,
    exists: async ctx => {
      const { SubnetId } = ctx.input;
      const response = await stepEc2(access, ctx).describe(new DescribeSubnetsCommand({ SubnetIds: [SubnetId] }));
      return Boolean(response.Subnets?.some(s => s.SubnetId === SubnetId));
    },
    remove: ctx => stepEc2(access, ctx).mutate(new DeleteSubnetCommand({ SubnetId: ctx.input.SubnetId })),
  });

  return [createSubnet, deleteSubnet];
}
