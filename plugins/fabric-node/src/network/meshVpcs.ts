import { DescribeRouteTablesCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CellRef, cellId, FABRIC_LABEL_PREFIX } from '@internal/backstage-plugin-fabric-common';
import { describeAwsError } from '../aws/errors';
import { FabricConfig, regionsOf } from '../estate';
import type { MeshVpc } from './planMesh';

/** Tag that enrols a VPC in the peering mesh: `fabric.cloudspectra.io/mesh = true`. */
export const MESH_VPC_TAG = `${FABRIC_LABEL_PREFIX}/mesh`;

/** The VPCs of the mesh, their route tables, and the cells that could not be read. */
export interface MeshVpcDiscovery {
  vpcs: MeshVpc[];
  /** Routes each route table holds today, for the route-table limit check. */
  routeCounts: Record<string, number>;
  errors: Array<{ cell: CellRef; error: string }>;
}

/**
 * Finds the VPCs enrolled in the mesh in every account × region, by tag, so the mesh
 * only ever touches VPCs their owners opted in; VPCs without the tag are left alone.
 * A cell that cannot be read is reported, not fatal: the mesh plan then says which
 * cells it could not see.
 */
export async function discoverMeshVpcs(options: {
  config: FabricConfig;
  ec2: (cell: CellRef) => EC2Client;
}): Promise<MeshVpcDiscovery> {
  const result: MeshVpcDiscovery = { vpcs: [], routeCounts: {}, errors: [] };
  const cells = options.config.estate.accounts.flatMap(account =>
    regionsOf(options.config, account).map(region => ({ accountId: account.id, region })),
  );
  await Promise.all(
    cells.map(async cell => {
      try {
        const ec2 = options.ec2(cell);
        const vpcs = await ec2.send(
          new DescribeVpcsCommand({ Filters: [{ Name: `tag:${MESH_VPC_TAG}`, Values: ['true'] }] }),
        );
        for (const vpc of vpcs.Vpcs ?? []) {
          if (!vpc.VpcId || !vpc.CidrBlock) continue;
          const tables = await ec2.send(
            new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId] }] }),
          );
          const routeTableIds: string[] = [];
          for (const table of tables.RouteTables ?? []) {
            if (!table.RouteTableId) continue;
            routeTableIds.push(table.RouteTableId);
            result.routeCounts[table.RouteTableId] = table.Routes?.length ?? 0;
          }
          result.vpcs.push({
            cell: cellId(cell),
            accountId: cell.accountId,
            region: cell.region,
            vpcId: vpc.VpcId,
            cidr: vpc.CidrBlock,
            routeTableIds: routeTableIds.sort(),
          });
        }
      } catch (error) {
        result.errors.push({ cell, error: describeAwsError(error) });
      }
    }),
  );
  result.vpcs.sort((a, b) => a.cell.localeCompare(b.cell) || a.vpcId.localeCompare(b.vpcId));
  return result;
}
