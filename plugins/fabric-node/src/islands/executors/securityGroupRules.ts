import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  IpPermission,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { awsErrorCode, isNotFound } from '../../aws/errors';
import { collectPages } from '../../aws/paginate';
import { AwsStepAccess, createdIf, stepEc2, undoStep } from '../../plan/awsExecutors';
import { isTaggedByStep } from '../../plan/tags';
import { StepContext, StepExecutor } from '../../plan/types';
import { ISLAND_STEP_TYPES } from '../planIsland';

interface GroupIdInput {
  GroupId: string;
}

/** The self-reference rules of a group: all protocols, to or from the group itself. */
function selfRules(rules: SecurityGroupRule[], groupId: string) {
  const self = (egress: boolean) =>
    rules.find(
      r =>
        r.GroupId === groupId &&
        r.IsEgress === egress &&
        r.IpProtocol === '-1' &&
        r.ReferencedGroupInfo?.GroupId === groupId,
    );
  return { ingress: self(false), egress: self(true) };
}

const selfPermission = (groupId: string): IpPermission[] => [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId }] }];

/**
 * The EFA rule: all traffic to and from the group itself, inbound and outbound
 * (docs/aws-facts.md §2.1), and its revocation on destroy.
 */
export function securityGroupRuleExecutors(access: AwsStepAccess): StepExecutor[] {
  const rulesOf = async (ctx: StepContext<GroupIdInput>): Promise<SecurityGroupRule[]> => {
    const filters = [{ Name: 'group-id', Values: [ctx.input.GroupId] }];
    return collectPages(
      NextToken => stepEc2(access, ctx).describe(new DescribeSecurityGroupRulesCommand({ Filters: filters, NextToken })),
      page => page.SecurityGroupRules,
    );
  };

  const authorizeSelfReference: StepExecutor<GroupIdInput> = {
    type: ISLAND_STEP_TYPES.authorizeSelfReference,
    async probe(ctx) {
      const { ingress, egress } = selfRules(await rulesOf(ctx), ctx.input.GroupId);
      if (!ingress || !egress) return undefined;
      const ours = [ingress, egress].every(r => isTaggedByStep(r.Tags, ctx.plan, ctx.step.key));
      return {
        GroupId: ctx.input.GroupId,
        IngressRuleId: ingress.SecurityGroupRuleId ?? '',
        EgressRuleId: egress.SecurityGroupRuleId ?? '',
        ...createdIf(ours),
      };
    },
    async run(ctx) {
      const { GroupId } = ctx.input;
      const ec2 = stepEc2(access, ctx);
      const existing = selfRules(await rulesOf(ctx), GroupId);
      const params = {
        GroupId,
        IpPermissions: selfPermission(GroupId),
        TagSpecifications: [{ ResourceType: 'security-group-rule' as const, Tags: ctx.tags }],
      };
      // A concurrent apply may add the same rule: a duplicate is the outcome we want.
      const tolerateDuplicate = (error: unknown) => {
        if (awsErrorCode(error) !== 'InvalidPermission.Duplicate') throw error;
      };
      if (!existing.ingress) {
        await ec2.mutate(new AuthorizeSecurityGroupIngressCommand(params)).catch(tolerateDuplicate);
      }
      if (!existing.egress) {
        await ec2.mutate(new AuthorizeSecurityGroupEgressCommand(params)).catch(tolerateDuplicate);
      }
      const { ingress, egress } = selfRules(await rulesOf(ctx), GroupId);
      if (!ingress || !egress) throw new Error(`The self-reference rules of ${GroupId} did not appear after authorizing them`);
      return { GroupId, IngressRuleId: ingress.SecurityGroupRuleId ?? '', EgressRuleId: egress.SecurityGroupRuleId ?? '' };
    },
    undo({ step, output }) {
      // Deleting the island's own group removes its rules too; revoking first also covers
      // a found group the destroy keeps.
      return [
        undoStep(step, {
          type: ISLAND_STEP_TYPES.revokeSelfReference,
          title: `Revoke the all-traffic self-reference rules of ${output.GroupId}`,
          input: { GroupId: output.GroupId as string },
        }),
      ];
    },
  };

  const revokeSelfReference: StepExecutor<GroupIdInput> = {
    type: ISLAND_STEP_TYPES.revokeSelfReference,
    async probe(ctx) {
      let rules: SecurityGroupRule[];
      try {
        rules = await rulesOf(ctx);
      } catch (error) {
        if (isNotFound(error)) return { GroupId: ctx.input.GroupId, revoked: true };
        throw error;
      }
      const { ingress, egress } = selfRules(rules, ctx.input.GroupId);
      return ingress || egress ? undefined : { GroupId: ctx.input.GroupId, revoked: true };
    },
    async run(ctx) {
      const { GroupId } = ctx.input;
      const ec2 = stepEc2(access, ctx);
      const { ingress, egress } = selfRules(await rulesOf(ctx), GroupId);
      const params = { GroupId, IpPermissions: selfPermission(GroupId) };
      // `InvalidPermission.NotFound`: someone revoked it first, which is what we want.
      const tolerateMissing = (error: unknown) => {
        if (!isNotFound(error)) throw error;
      };
      if (ingress) await ec2.mutate(new RevokeSecurityGroupIngressCommand(params)).catch(tolerateMissing);
      if (egress) await ec2.mutate(new RevokeSecurityGroupEgressCommand(params)).catch(tolerateMissing);
      return { GroupId, revoked: true };
    },
  };

  return [authorizeSelfReference, revokeSelfReference];
}
