import { cellId, EstateSource } from '@internal/backstage-plugin-fabric-common';
import { AccountCredentialsRef, AwsClientFactory } from '../aws/AwsClientFactory';
import { FabricConfig } from '../estate';
import { demoMeshVpcs } from './demoMesh';
import { discoverMeshVpcs } from './meshVpcs';
import { ExistingPeering, lookupMeshPeerings } from './peerings';
import type { MeshVpc } from './planMesh';
import { defaultMeshQuotas, MeshQuotas, readMeshQuotas } from './meshQuotas';

/** What the mesh planner needs to know about the estate's VPCs. */
export interface MeshTopology {
  source: EstateSource;
  /** Every VPC enrolled in the mesh (tagged `fabric.cloudspectra.io/mesh = true`). */
  vpcs: MeshVpc[];
  /** Routes each route table holds today, for the route-table quota. Empty in the demo. */
  routeCounts: Record<string, number>;
  /** Cells whose VPCs could not be read, `<account>/<region>` with the reason. */
  unreadableCells: Array<{ cell: string; error: string }>;
  /** Live peerings touching the VPCs; `undefined` in the demo, which has none. */
  existingPeerings?: ExistingPeering[];
  /**
   * Each mesh cell's VPC quotas (peerings per VPC, routes per table) from Service Quotas,
   * by `<account>/<region>`; AWS's defaults where they could not be read, with a note.
   */
  quotas: Record<string, MeshQuotas>;
}

export interface LoadMeshTopologyOptions {
  config: FabricConfig;
  /** Needed for an `aws` estate. */
  clients?: Pick<AwsClientFactory, 'ec2' | 'serviceQuotas'>;
  /** The enrolled account behind an account id; by default looked up in `config`. */
  accountOf?(accountId: string): AccountCredentialsRef;
}

/**
 * The mesh as it stands: the demo estate's made-up VPCs, or, for an `aws` estate, the
 * tagged VPCs of every enrolled cell with their route tables and the peerings they
 * already have. A cell that cannot be read is listed, not fatal, so the plan says what
 * it could not see.
 */
export async function loadMeshTopology(options: LoadMeshTopologyOptions): Promise<MeshTopology> {
  const { config, clients } = options;
  if (config.estate.source === 'demo') {
    const vpcs = demoMeshVpcs();
    const quotas = Object.fromEntries(
      [...new Set(vpcs.map(v => v.cell))].map(cell => [cell, defaultMeshQuotas('the demo estate has the AWS defaults')]),
    );
    return { source: 'demo', vpcs, routeCounts: {}, unreadableCells: [], quotas };
  }
  if (!clients) throw new Error('An aws estate needs AWS clients to read its mesh VPCs');
  const accountOf =
    options.accountOf ??
    ((accountId: string) => {
      const account = config.estate.accounts.find(a => a.id === accountId);
      if (!account) throw new Error(`Account ${accountId} is not enrolled`);
      return account;
    });
  const found = await discoverMeshVpcs({ config, ec2: cell => clients.ec2(cell, accountOf(cell.accountId)) });
  const existingPeerings = await lookupMeshPeerings({ clients, accountOf }, found.vpcs);
  const meshCells = [...new Map(found.vpcs.map(v => [v.cell, { accountId: v.accountId, region: v.region }])).entries()];
  const quotas = Object.fromEntries(
    await Promise.all(
      meshCells.map(async ([cell, ref]) => [cell, await readMeshQuotas(clients.serviceQuotas(ref, accountOf(ref.accountId)), ref)] as const),
    ),
  );
  return {
    quotas,
    source: 'aws',
    vpcs: found.vpcs,
    routeCounts: found.routeCounts,
    unreadableCells: found.errors.map(e => ({ cell: cellId(e.cell), error: e.error })),
    existingPeerings,
  };
}
