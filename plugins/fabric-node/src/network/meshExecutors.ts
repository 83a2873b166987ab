import {
  AcceptVpcPeeringConnectionCommand,
  CreateRouteCommand,
  CreateVpcPeeringConnectionCommand,
  DeleteRouteCommand,
  DeleteVpcPeeringConnectionCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ModifyVpcPeeringConnectionOptionsCommand,
  ReplaceRouteCommand,
  Route,
  VpcPeeringConnection,
} from '@aws-sdk/client-ec2';
import { FabricClock, systemClock } from '../aws/clock';
import { awsErrorCode } from '../aws/errors';
import { isTaggedByStep } from '../plan/tags';
import { PlanStep, StepContext, StepExecutor } from '../plan/types';
import { MESH_STEP_TYPES } from './planMesh';
import { describePeering, describePeeringsOfVpcs, isLivePeering, MeshAwsAccess } from './peerings';

export interface MeshExecutorOptions extends MeshAwsAccess {
  clock?: FabricClock;
  /** How long a peering may take to turn active after acceptance (default 5 minutes). */
  activeTimeoutMs?: number;
  /** Pause between status checks while waiting (default 2 s). */
  pollIntervalMs?: number;
}

interface CreatePeeringInput {
  VpcId: string;
  PeerVpcId: string;
  PeerOwnerId: string;
  PeerRegion: string;
}
interface PeeringIdInput {
  VpcPeeringConnectionId: string;
}
interface PeeringOptionsInput extends PeeringIdInput {
  side: 'requester' | 'accepter';
  AllowDnsResolutionFromRemoteVpc: boolean;
}
interface RouteInput {
  RouteTableId: string;
  DestinationCidrBlock: string;
  VpcPeeringConnectionId: string;
}

const FAILED_PEERING_STATES = ['failed', 'rejected', 'expired', 'deleted', 'deleting'];

function statusText(pcx: VpcPeeringConnection): string {
  const code = pcx.Status?.Code ?? 'unknown';
  return pcx.Status?.Message ? `${code} (${pcx.Status.Message})` : code;
}

/**
 * Executors for the mesh's AWS steps. Each call goes to the step's cell: its account via
 * `accountOf` (assumed role) and its region. None of these EC2 APIs takes a `ClientToken`,
 * so idempotency rests on the probes: a peering is found by its VPC pair, a route by its
 * table and destination.
 */
export function meshExecutors(options: MeshExecutorOptions): StepExecutor[] {
  const clock = options.clock ?? systemClock;
  const activeTimeoutMs = options.activeTimeoutMs ?? 5 * 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;

  const ec2Of = (step: PlanStep): EC2Client => {
    if (!step.cell) throw new Error(`Step '${step.key}' has no cell to call EC2 in`);
    return options.clients.ec2(step.cell, options.accountOf(step.cell.accountId));
  };

  /** The peering as the step's cell sees it; an error when it cannot see it at all. */
  const peeringSeenBy = async (ctx: StepContext<PeeringIdInput>): Promise<VpcPeeringConnection> => {
    const id = ctx.input.VpcPeeringConnectionId;
    const pcx = await ctx.describe(() => describePeering(ec2Of(ctx.step), id));
    if (!pcx) {
      throw new Error(`Peering ${id} is not visible in ${ctx.step.cell?.accountId}/${ctx.step.cell?.region}`);
    }
    return pcx;
  };
  const failIfDead = (pcx: VpcPeeringConnection) => {
    if (FAILED_PEERING_STATES.includes(pcx.Status?.Code ?? '')) {
      throw new Error(`Peering ${pcx.VpcPeeringConnectionId} is ${statusText(pcx)}`);
    }
  };

  const createPeering: StepExecutor<CreatePeeringInput> = {
    type: MESH_STEP_TYPES.createPeering,
    async probe(ctx) {
      const { VpcId, PeerVpcId } = ctx.input;
      const live = (await ctx.describe(() => describePeeringsOfVpcs(ec2Of(ctx.step), [VpcId, PeerVpcId]))).filter(
        pcx =>
          isLivePeering(pcx) &&
          [VpcId, PeerVpcId].includes(pcx.RequesterVpcInfo?.VpcId ?? '') &&
          [VpcId, PeerVpcId].includes(pcx.AccepterVpcInfo?.VpcId ?? '') &&
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
        ...(ours ? { created: true } : {}),
      };
    },
    async run(ctx) {
      const response = await ctx.mutate(() =>
        ec2Of(ctx.step).send(
          new CreateVpcPeeringConnectionCommand({
            VpcId: ctx.input.VpcId,
            PeerVpcId: ctx.input.PeerVpcId,
            PeerOwnerId: ctx.input.PeerOwnerId,
            PeerRegion: ctx.input.PeerRegion,
            TagSpecifications: [{ ResourceType: 'vpc-peering-connection', Tags: ctx.tags }],
          }),
        ),
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
        {
          key: `destroy:${step.key}`,
          title: `Delete peering ${output.VpcPeeringConnectionId} (${output.RequesterVpcId} ↔ ${output.AccepterVpcId})`,
          kind: 'aws',
          type: MESH_STEP_TYPES.deletePeering,
          cell: step.cell,
          input: { VpcPeeringConnectionId: output.VpcPeeringConnectionId as string },
        },
      ];
    },
  };

  const acceptPeering: StepExecutor<PeeringIdInput> = {
    type: MESH_STEP_TYPES.acceptPeering,
    async probe(ctx) {
      const pcx = await peeringSeenBy(ctx);
      failIfDead(pcx);
      if (pcx.Status?.Code === 'pending-acceptance' || pcx.Status?.Code === 'initiating-request') return undefined;
      return { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, Status: pcx.Status?.Code ?? 'unknown' };
    },
    async run(ctx) {
      const response = await ctx.mutate(() =>
        ec2Of(ctx.step).send(
          new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId }),
        ),
      );
      return {
        VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId,
        Status: response.VpcPeeringConnection?.Status?.Code ?? 'unknown',
      };
    },
  };

  const waitPeeringActive: StepExecutor<PeeringIdInput> = {
    type: MESH_STEP_TYPES.waitPeeringActive,
    async probe(ctx) {
      const pcx = await peeringSeenBy(ctx);
      failIfDead(pcx);
      return pcx.Status?.Code === 'active'
        ? { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, Status: 'active' }
        : undefined;
    },
    async run(ctx) {
      const deadline = clock.now() + activeTimeoutMs;
      for (;;) {
        await clock.sleep(pollIntervalMs, ctx.signal);
        const pcx = await peeringSeenBy(ctx);
        failIfDead(pcx);
        if (pcx.Status?.Code === 'active') {
          return { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, Status: 'active' };
        }
        if (clock.now() >= deadline) {
          throw new Error(
            `Peering ${ctx.input.VpcPeeringConnectionId} is still ${statusText(pcx)} after ${Math.round(activeTimeoutMs / 1000)} s`,
          );
        }
      }
    },
  };

  const peeringOptions: StepExecutor<PeeringOptionsInput> = {
    type: MESH_STEP_TYPES.peeringOptions,
    async probe(ctx) {
      const pcx = await peeringSeenBy(ctx);
      failIfDead(pcx);
      const info = ctx.input.side === 'requester' ? pcx.RequesterVpcInfo : pcx.AccepterVpcInfo;
      const current = info?.PeeringOptions?.AllowDnsResolutionFromRemoteVpc === true;
      return current === ctx.input.AllowDnsResolutionFromRemoteVpc
        ? { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, side: ctx.input.side }
        : undefined;
    },
    async run(ctx) {
      // Each owner sets its own side, in its own region: an inter-region peering takes no other way.
      const sideOptions = { AllowDnsResolutionFromRemoteVpc: ctx.input.AllowDnsResolutionFromRemoteVpc };
      await ctx.mutate(() =>
        ec2Of(ctx.step).send(
          new ModifyVpcPeeringConnectionOptionsCommand({
            VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId,
            ...(ctx.input.side === 'requester'
              ? { RequesterPeeringConnectionOptions: sideOptions }
              : { AccepterPeeringConnectionOptions: sideOptions }),
          }),
        ),
      );
      return { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, side: ctx.input.side };
    },
  };

  const routeTo = async (ctx: StepContext<{ RouteTableId: string; DestinationCidrBlock: string }>) => {
    const response = await ctx.describe(() =>
      ec2Of(ctx.step).send(new DescribeRouteTablesCommand({ RouteTableIds: [ctx.input.RouteTableId] })),
    );
    const table = response.RouteTables?.find(t => t.RouteTableId === ctx.input.RouteTableId);
    if (!table) throw new Error(`Route table ${ctx.input.RouteTableId} not found`);
    return table.Routes?.find((r: Route) => r.DestinationCidrBlock === ctx.input.DestinationCidrBlock);
  };
  const routeOutput = (input: RouteInput) => ({
    RouteTableId: input.RouteTableId,
    DestinationCidrBlock: input.DestinationCidrBlock,
    VpcPeeringConnectionId: input.VpcPeeringConnectionId,
  });
  /** A route to the destination that is ours (`true`), absent or dead (`false`), or someone else's (an error). */
  const routeIsOurs = (route: Route | undefined, input: RouteInput): boolean => {
    if (!route || route.State === 'blackhole') return false;
    if (route.VpcPeeringConnectionId === input.VpcPeeringConnectionId) return true;
    const target =
      route.VpcPeeringConnectionId ?? route.GatewayId ?? route.TransitGatewayId ?? route.NatGatewayId ?? route.NetworkInterfaceId ?? 'another target';
    throw new Error(
      `Route table ${input.RouteTableId} already sends ${input.DestinationCidrBlock} to ${target}; ` +
        `the fabric does not replace a live route it did not create`,
    );
  };

  const createRoute: StepExecutor<RouteInput> = {
    type: MESH_STEP_TYPES.createRoute,
    async probe(ctx) {
      return routeIsOurs(await routeTo(ctx), ctx.input) ? routeOutput(ctx.input) : undefined;
    },
    async run(ctx) {
      const existing = await routeTo(ctx);
      const params = {
        RouteTableId: ctx.input.RouteTableId,
        DestinationCidrBlock: ctx.input.DestinationCidrBlock,
        VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId,
      };
      try {
        // A blackhole route (its peering was deleted) is dead weight: take its place.
        await ctx.mutate(() =>
          ec2Of(ctx.step).send(existing ? new ReplaceRouteCommand(params) : new CreateRouteCommand(params)),
        );
      } catch (error) {
        // Another apply got there first: fine when it routes to the same peering.
        if (awsErrorCode(error) !== 'RouteAlreadyExists' || !routeIsOurs(await routeTo(ctx), ctx.input)) throw error;
      }
      return routeOutput(ctx.input);
    },
    undo({ step, output }) {
      return [
        {
          key: `destroy:${step.key}`,
          title: `Delete the route to ${output.DestinationCidrBlock} from ${output.RouteTableId} (peering ${output.VpcPeeringConnectionId})`,
          kind: 'aws',
          type: MESH_STEP_TYPES.deleteRoute,
          cell: step.cell,
          input: {
            RouteTableId: output.RouteTableId as string,
            DestinationCidrBlock: output.DestinationCidrBlock as string,
            VpcPeeringConnectionId: output.VpcPeeringConnectionId as string,
          },
        },
      ];
    },
  };

  const deleteRoute: StepExecutor<RouteInput> = {
    type: MESH_STEP_TYPES.deleteRoute,
    async probe(ctx) {
      let route: Route | undefined;
      try {
        route = await routeTo(ctx);
      } catch (error) {
        if (awsErrorCode(error) === 'InvalidRouteTableID.NotFound') return { ...routeOutput(ctx.input), deleted: true };
        throw error;
      }
      // Gone, or now pointing elsewhere (someone else's route, not ours to delete).
      return route?.VpcPeeringConnectionId === ctx.input.VpcPeeringConnectionId
        ? undefined
        : { ...routeOutput(ctx.input), deleted: true };
    },
    async run(ctx) {
      await ctx.mutate(() =>
        ec2Of(ctx.step).send(
          new DeleteRouteCommand({
            RouteTableId: ctx.input.RouteTableId,
            DestinationCidrBlock: ctx.input.DestinationCidrBlock,
          }),
        ),
      );
      return { ...routeOutput(ctx.input), deleted: true };
    },
  };

  const deletePeering: StepExecutor<PeeringIdInput> = {
    type: MESH_STEP_TYPES.deletePeering,
    async probe(ctx) {
      const pcx = await ctx.describe(() => describePeering(ec2Of(ctx.step), ctx.input.VpcPeeringConnectionId));
      return !pcx || !isLivePeering(pcx)
        ? { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, deleted: true }
        : undefined;
    },
    async run(ctx) {
      await ctx.mutate(() =>
        ec2Of(ctx.step).send(
          new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId }),
        ),
      );
      return { VpcPeeringConnectionId: ctx.input.VpcPeeringConnectionId, deleted: true };
    },
  };

  return [createPeering, acceptPeering, waitPeeringActive, peeringOptions, createRoute, deleteRoute, deletePeering];
}
