import { VpcPeeringConnection } from '@aws-sdk/client-ec2';
import { FabricClock } from '../../aws/clock';
import { AwsStepAccess } from '../../plan/awsExecutors';
import { StepExecutor } from '../../plan/types';
import { MESH_STEP_TYPES } from '../planMesh';
import { failIfDead, PeeringIdInput, peeringSeenBy, statusText } from './peeringStatus';

/** How long to wait for an accepted peering to turn active, and how often to look. */
export interface PeeringWait {
  clock: FabricClock;
  activeTimeoutMs: number;
  pollIntervalMs: number;
}

/**
 * Waits until an accepted peering is active, so its DNS options and routes are set on a
 * working peering. A peering that fails or is rejected meanwhile fails the step at once
 * instead of waiting out the timeout.
 */
export function peeringActiveExecutor(access: AwsStepAccess, wait: PeeringWait): StepExecutor<PeeringIdInput> {
  const active = (pcx: VpcPeeringConnection) => pcx.Status?.Code === 'active';
  return {
    type: MESH_STEP_TYPES.waitPeeringActive,
    async probe(ctx) {
      const pcx = failIfDead(await peeringSeenBy(access, ctx));
      return active(pcx) ? { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, Status: 'active' } : undefined;
    },
    async run(ctx) {
      const deadline = wait.clock.now() + wait.activeTimeoutMs;
      for (;;) {
        await wait.clock.sleep(wait.pollIntervalMs, ctx.signal);
        const pcx = failIfDead(await peeringSeenBy(access, ctx));
        if (active(pcx)) return { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, Status: 'active' };
        if (wait.clock.now() >= deadline) {
          throw new Error(
            `Peering ${ctx.input.VpcPeeringConnectionId} is still ${statusText(pcx)} after ${Math.round(wait.activeTimeoutMs / 1000)} s`,
          );
        }
      }
    },
  };
}
