import { DescribeVpcPeeringConnectionsCommand, EC2Client, VpcPeeringConnection } from '@aws-sdk/client-ec2';
import { CellRef, cellId } from '@internal/backstage-plugin-fabric-common';
import { awsErrorCode } from '../aws/errors';
import { collectPages } from '../aws/paginate';
import { AwsStepAccess } from '../plan/awsExecutors';
import { FABRIC_MANAGED_BY, FABRIC_TAG_KEYS } from '../plan/tags';

/** Peering states that hold (or will hold) the VPC pair; the others are history. */
export const LIVE_PEERING_STATES = ['initiating-request', 'pending-acceptance', 'provisioning', 'active'] as const;

export function isLivePeering(pcx: VpcPeeringConnection): boolean {
  return (LIVE_PEERING_STATES as readonly string[]).includes(pcx.Status?.Code ?? '');
}

/** Whether the error says the peering id is unknown in this account and region. */
export function isPeeringNotFound(error: unknown): boolean {
  return awsErrorCode(error).toLowerCase() === 'invalidvpcpeeringconnectionid.notfound';
}

/**
 * One peering as seen from one cell, or `undefined` when the cell cannot see it. moto
 * honours `VpcPeeringConnectionIds` but not `Filters`, so the result is matched by id
 * here as well.
 */
export async function describePeering(ec2: EC2Client, id: string): Promise<VpcPeeringConnection | undefined> {
  try {
    const response = await ec2.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] }));
    return response.VpcPeeringConnections?.find(pcx => pcx.VpcPeeringConnectionId === id);
  } catch (error) {
    if (isPeeringNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Live peerings that touch any of `vpcIds`, seen from one cell. AWS ANDs different filter
 * names, so "requester is ours" and "accepter is ours" are two queries. moto ignores
 * `Filters` entirely (shared/reference/moto.md) and answers every peering of the cell;
 * the client-side match below makes both behave the same.
 */
export async function describePeeringsOfVpcs(ec2: EC2Client, vpcIds: string[]): Promise<VpcPeeringConnection[]> {
  const wanted = new Set(vpcIds);
  const found = new Map<string, VpcPeeringConnection>();
  for (const side of ['requester-vpc-info.vpc-id', 'accepter-vpc-info.vpc-id']) {
    const pages = await collectPages(
      NextToken =>
        ec2.send(
          new DescribeVpcPeeringConnectionsCommand({
            Filters: [
              { Name: side, Values: vpcIds },
              { Name: 'status-code', Values: [...LIVE_PEERING_STATES] },
            ],
            MaxResults: 1000,
            NextToken,
          }),
        ),
      page => page.VpcPeeringConnections,
    );
    for (const pcx of pages) {
      const touches = wanted.has(pcx.RequesterVpcInfo?.VpcId ?? '') || wanted.has(pcx.AccepterVpcInfo?.VpcId ?? '');
      if (touches && isLivePeering(pcx) && pcx.VpcPeeringConnectionId) found.set(pcx.VpcPeeringConnectionId, pcx);
    }
  }
  return [...found.values()];
}

/** A peering that already exists, as the mesh planner needs it. */
export interface ExistingPeering {
  vpcPeeringConnectionId: string;
  requesterVpcId: string;
  accepterVpcId: string;
  /** `active`, `pending-acceptance`, … */
  status: string;
  /** Carries `fabric.cloudspectra.io/managed-by: cloudspectra-fabric` (visible to the requester account). */
  managedByFabric: boolean;
}

export function toExistingPeering(pcx: VpcPeeringConnection): ExistingPeering {
  return {
    vpcPeeringConnectionId: pcx.VpcPeeringConnectionId ?? '',
    requesterVpcId: pcx.RequesterVpcInfo?.VpcId ?? '',
    accepterVpcId: pcx.AccepterVpcInfo?.VpcId ?? '',
    status: pcx.Status?.Code ?? 'unknown',
    managedByFabric: (pcx.Tags ?? []).some(t => t.Key === FABRIC_TAG_KEYS.managedBy && t.Value === FABRIC_MANAGED_BY),
  };
}

/** What the mesh look-ups need to reach a cell. */
export type MeshAwsAccess = AwsStepAccess;

/**
 * Every live peering that touches one of the VPCs, looked up in each VPC's account and
 * region and deduplicated by id (a cross-account peering is visible from both sides). The
 * mesh planner uses it to leave already-peered pairs alone and to count peerings against
 * the per-VPC quota.
 */
export async function lookupMeshPeerings(
  access: MeshAwsAccess,
  vpcs: Array<{ accountId: string; region: string; vpcId: string }>,
): Promise<ExistingPeering[]> {
  const byCell = new Map<string, { cell: CellRef; vpcIds: string[] }>();
  for (const vpc of vpcs) {
    const cell = { accountId: vpc.accountId, region: vpc.region };
    const entry = byCell.get(cellId(cell)) ?? { cell, vpcIds: [] };
    entry.vpcIds.push(vpc.vpcId);
    byCell.set(cellId(cell), entry);
  }
  const seen = await Promise.all(
    [...byCell.values()].map(({ cell, vpcIds }) =>
      describePeeringsOfVpcs(access.clients.ec2(cell, access.accountOf(cell.accountId)), vpcIds),
    ),
  );
  const merged = new Map<string, ExistingPeering>();
  for (const pcx of seen.flat()) {
    const peering = toExistingPeering(pcx);
    const known = merged.get(peering.vpcPeeringConnectionId);
    merged.set(peering.vpcPeeringConnectionId, {
      ...peering,
      managedByFabric: peering.managedByFabric || known?.managedByFabric === true,
    });
  }
  return [...merged.values()].sort((a, b) => a.vpcPeeringConnectionId.localeCompare(b.vpcPeeringConnectionId));
}
