import { VpcPeeringConnection } from '@aws-sdk/client-ec2';
import { AwsStepAccess, cellTextOf, ec2OfStep } from '../../plan/awsExecutors';
import { StepContext } from '../../plan/types';
import { describePeering } from '../peerings';

export interface PeeringIdInput {
  VpcPeeringConnectionId: string;
}

/** States a peering never comes back from. */
const FAILED_PEERING_STATES = ['failed', 'rejected', 'expired', 'deleted', 'deleting'];

/** `pending-acceptance (Pending Acceptance by 333333333333)`. */
export function statusText(pcx: VpcPeeringConnection): string {
  const code = pcx.Status?.Code ?? 'unknown';
  return pcx.Status?.Message ? `${code} (${pcx.Status.Message})` : code;
}

/** The peering as the step's cell sees it; an error when it cannot see it at all. */
export async function peeringSeenBy(access: AwsStepAccess, ctx: StepContext<PeeringIdInput>): Promise<VpcPeeringConnection> {
  const id = ctx.input.VpcPeeringConnectionId;
  const pcx = await ctx.describe(() => describePeering(ec2OfStep(access, ctx.step), id));
  if (!pcx) throw new Error(`Peering ${id} is not visible in ${cellTextOf(ctx.step)}`);
  return pcx;
}

/** The peering, unless it failed, was rejected, expired or is gone: then the step fails with its status. */
export function failIfDead(pcx: VpcPeeringConnection): VpcPeeringConnection {
  if (FAILED_PEERING_STATES.includes(pcx.Status?.Code ?? '')) {
    throw new Error(`Peering ${pcx.VpcPeeringConnectionId} is ${statusText(pcx)}`);
  }
  return pcx;
}
