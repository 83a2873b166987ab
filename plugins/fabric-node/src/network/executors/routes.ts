import {
  CreateRouteCommand,
  DeleteRouteCommand,
  DescribeRouteTablesCommand,
  ReplaceRouteCommand,
  Route,
} from '@aws-sdk/client-ec2';
import { awsErrorCode } from '../../aws/errors';
import { AwsStepAccess, deleteExecutor, stepEc2, undoStep } from '../../plan/awsExecutors';
import { StepContext, StepExecutor } from '../../plan/types';
import { MESH_STEP_TYPES } from '../planMesh';

interface RouteInput {
  RouteTableId: string;
  DestinationCidrBlock: string;
  VpcPeeringConnectionId: string;
}

const routeOutput = (input: RouteInput) => ({
  RouteTableId: input.RouteTableId,
  DestinationCidrBlock: input.DestinationCidrBlock,
  VpcPeeringConnectionId: input.VpcPeeringConnectionId,
});

/** A route to the destination that is ours (`true`), absent or dead (`false`), or someone else's (an error). */
function routeIsOurs(route: Route | undefined, input: RouteInput): boolean {
  if (!route || route.State === 'blackhole') return false;
  if (route.VpcPeeringConnectionId === input.VpcPeeringConnectionId) return true;
  const target =
    route.VpcPeeringConnectionId ?? route.GatewayId ?? route.TransitGatewayId ?? route.NatGatewayId ?? route.NetworkInterfaceId ?? 'another target';
  throw new Error(
    `Route table ${input.RouteTableId} already sends ${input.DestinationCidrBlock} to ${target}; ` +
      `the fabric does not replace a live route it did not create`,
  );
}

/**
 * A route to a peer's CIDR through the peering, in one route table. Found again by table
 * and destination; a live route to the destination through anything else is never
 * replaced.
 */
export function routeExecutors(access: AwsStepAccess): StepExecutor[] {
  const routeTo = async (ctx: StepContext<RouteInput>) => {
    const response = await stepEc2(access, ctx).describe(new DescribeRouteTablesCommand({ RouteTableIds: [ctx.input.RouteTableId] }));
    const table = response.RouteTables?.find(t => t.RouteTableId === ctx.input.RouteTableId);
    if (!table) throw new Error(`Route table ${ctx.input.RouteTableId} not found`);
    return table.Routes?.find(r => r.DestinationCidrBlock === ctx.input.DestinationCidrBlock);
  };

  const createRoute: StepExecutor<RouteInput> = {
    type: MESH_STEP_TYPES.createRoute,
    async probe(ctx) {
      return routeIsOurs(await routeTo(ctx), ctx.input) ? routeOutput(ctx.input) : undefined;
    },
    async run(ctx) {
      const existing = await routeTo(ctx);
      const params = routeOutput(ctx.input);
      try {
        // A blackhole route (its peering was deleted) is dead weight: take its place.
        const ec2 = stepEc2(access, ctx);
        await (existing ? ec2.mutate(new ReplaceRouteCommand(params)) : ec2.mutate(new CreateRouteCommand(params)));
      } catch (error) {
        // Another apply got there first: fine when it routes to the same peering.
        if (awsErrorCode(error) !== 'RouteAlreadyExists' || !routeIsOurs(await routeTo(ctx), ctx.input)) throw error;
      }
      return routeOutput(ctx.input);
    },
    undo({ step, output }) {
      return [
        undoStep(step, {
          type: MESH_STEP_TYPES.deleteRoute,
          title: `Delete the route to ${output.DestinationCidrBlock} from ${output.RouteTableId} (peering ${output.VpcPeeringConnectionId})`,
          input: {
            RouteTableId: output.RouteTableId as string,
            DestinationCidrBlock: output.DestinationCidrBlock as string,
            VpcPeeringConnectionId: output.VpcPeeringConnectionId as string,
          },
        }),
      ];
    },
  };

  const deleteRoute = deleteExecutor<RouteInput>({
    type: MESH_STEP_TYPES.deleteRoute,
    // Gone (with its table, or pointing elsewhere: someone else's route, not ours to delete).
    exists: async ctx => (await routeTo(ctx))?.VpcPeeringConnectionId === ctx.input.VpcPeeringConnectionId,
    remove: ctx => {
      const { RouteTableId, DestinationCidrBlock } = ctx.input;
      return stepEc2(access, ctx).mutate(new DeleteRouteCommand({ RouteTableId, DestinationCidrBlock }));
    },
  });

  return [createRoute, deleteRoute];
}
