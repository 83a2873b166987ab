import { ModifyVpcPeeringConnectionOptionsCommand } from '@aws-sdk/client-ec2';
import { AwsStepAccess, stepEc2 } from '../../plan/awsExecutors';
import { StepExecutor } from '../../plan/types';
import { MESH_STEP_TYPES } from '../planMesh';
import { failIfDead, PeeringIdInput, peeringSeenBy } from './peeringStatus';

interface PeeringOptionsInput extends PeeringIdInput {
  side: 'requester' | 'accepter';
  AllowDnsResolutionFromRemoteVpc: boolean;
}

/**
 * Lets one side of a peering resolve the other side's private DNS names. Each owner sets
 * its own side, in its own region: an inter-region peering takes no other way.
 */
export function peeringDnsExecutor(access: AwsStepAccess): StepExecutor<PeeringOptionsInput> {
  return {
    type: MESH_STEP_TYPES.peeringOptions,
    async probe(ctx) {
      const pcx = failIfDead(await peeringSeenBy(access, ctx));
      const info = ctx.input.side === 'requester' ? pcx.RequesterVpcInfo : pcx.AccepterVpcInfo;
      const current = info?.PeeringOptions?.AllowDnsResolutionFromRemoteVpc === true;
      return current === ctx.input.AllowDnsResolutionFromRemoteVpc
        ? { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, side: ctx.input.side }
        : undefined;
    },
    async run(ctx) {
      const sideOptions = { AllowDnsResolutionFromRemoteVpc: ctx.input.AllowDnsResolutionFromRemoteVpc };
      await stepEc2(access, ctx).mutate(
        new ModifyVpcPeeringConnectionOptionsCommand({
          VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId,
          ...(ctx.input.side === 'requester'
            ? { RequesterPeeringConnectionOptions: sideOptions }
            : { AccepterPeeringConnectionOptions: sideOptions }),
        }),
      );
      return { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, side: ctx.input.side };
    },
  };
}
