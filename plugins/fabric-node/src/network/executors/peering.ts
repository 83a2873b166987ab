import {
  AcceptVpcPeeringConnectionCommand,
  CreateVpcPeeringConnectionCommand,
  DeleteVpcPeeringConnectionCommand,
} from '@aws-sdk/client-ec2';
import { AwsStepAccess, createdIf, deleteExecutor, ec2OfStep, stepEc2, undoStep } from '../../plan/awsExecutors';
import { isTaggedByStep } from '../../plan/tags';
import { StepExecutor } from '../../plan/types';
import { describePeering, describePeeringsOfVpcs, isLivePeering } from '../peerings';
import { MESH_STEP_TYPES } from '../planMesh';
import { failIfDead, PeeringIdInput, peeringSeenBy, statusText } from './peeringStatus';

interface CreatePeeringInput {
  VpcId: string;
  PeerVpcId: string;
  PeerOwnerId: string;
  PeerRegion: string;
}

/**
 * A peering requested by the smaller cell, accepted by the peer's owner in the peer's
 * region, and deleted on destroy. No peering API takes a `ClientToken`, so a peering is
 * found again by its VPC pair.
 */
export function peeringExecutors(access: AwsStepAccess): StepExecutor[] {
  const createPeering: StepExecutor<CreatePeeringInput> = {
    type: MESH_STEP_TYPES.createPeering,
    async probe(ctx) {
      const { VpcId, PeerVpcId } = ctx.input;
      const pair = [VpcId, PeerVpcId];
      const live = (await ctx.describe(() => describePeeringsOfVpcs(ec2OfStep(access, ctx.step), pair))).filter(
        pcx =>
          isLivePeering(pcx) &&
          pair.includes(pcx.RequesterVpcInfo?.VpcId ?? '') &&
          pair.includes(pcx.AccepterVpcInfo?.VpcId ?? '') &&
          pcx.RequesterVpcInfo?.VpcId !== pcx.AccepterVpcInfo?.VpcId,
      );
      const ours = live.find(pcx => isTaggedByStep(pcx.Tags, ctx.plan, ctx.step.key));
      const pcx = ours ?? live.find(p => p.Status?.Code === 'active') ?? live[0];
      if (!pcx) return undefined;
      const reversed = pcx.RequesterVpcInfo?.VpcId !== VpcId;
      if (reversed && pcx.Status?.Code !== 'active') {
        throw new Error(
          `Peering ${pcx.VpcPeeringConnectionId} from ${PeerVpcId} to ${VpcId} is ${statusText(pcx)}; ` +
            'accept or delete it before planning this pair again',
        );
      }
      return {
        VpcPeeringConnectionId: pcx.VpcPeeringConnectionId!,
        RequesterVpcId: pcx.RequesterVpcInfo?.VpcId ?? VpcId,
        AccepterVpcId: pcx.AccepterVpcInfo?.VpcId ?? PeerVpcId,
        Status: pcx.Status?.Code ?? 'unknown',
        ...createdIf(Boolean(ours)),
      };
    },
    async run(ctx) {
      const { VpcId, PeerVpcId, PeerOwnerId, PeerRegion } = ctx.input;
      const response = await stepEc2(access, ctx).mutate(
        new CreateVpcPeeringConnectionCommand({
          VpcId,
          PeerVpcId,
          PeerOwnerId,
          PeerRegion,
          TagSpecifications: [{ ResourceType: 'vpc-peering-connection', Tags: ctx.tags }],
        }),
      );
      const pcx = response.VpcPeeringConnection;
      if (!pcx?.VpcPeeringConnectionId) throw new Error('CreateVpcPeeringConnection returned no peering id');
      return {
        VpcPeeringConnectionId: pcx.VpcPeeringConnectionId,
        RequesterVpcId: ctx.input.VpcId,
        AccepterVpcId: ctx.input.PeerVpcId,
        Status: pcx.Status?.Code ?? 'initiating-request',
      };
    },
    undo({ step, output }) {
      return [
        undoStep(step, {
          type: MESH_STEP_TYPES.deletePeering,
          title: `Delete peering ${output.VpcPeeringConnectionId} (${output.RequesterVpcId} ↔ ${output.AccepterVpcId})`,
          input: { VpcPeeringConnectionId: output.VpcPeeringConnectionId as string },
        }),
      ];
    },
  };

  const acceptPeering: StepExecutor<PeeringIdInput> = {
    type: MESH_STEP_TYPES.acceptPeering,
    async probe(ctx) {
      const pcx = failIfDead(await peeringSeenBy(access, ctx));
      if (pcx.Status?.Code === 'pending-acceptance' || pcx.Status?.Code === 'initiating-request') return undefined;
      return { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, Status: pcx.Status?.Code ?? 'unknown' };
    },
    async run(ctx) {
      const { VpcPeeringConnectionId } = ctx.input;
      const response = await stepEc2(access, ctx).mutate(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId }));
      return { VpcPeeringConnectionId, Status: response.VpcPeeringConnection?.Status?.Code ?? 'unknown' };
    },
  };

  const deletePeering = deleteExecutor<PeeringIdInput>({
    type: MESH_STEP_TYPES.deletePeering,
    exists: async ctx => {
      const pcx = await ctx.describe(() => describePeering(ec2OfStep(access, ctx.step), ctx.input.VpcPeeringConnectionId));
      return Boolean(pcx && isLivePeering(pcx));
    },
    remove: ctx =>
      stepEc2(access, ctx).mutate(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId })),
  });

  return [createPeering, acceptPeering, deletePeering];
}
