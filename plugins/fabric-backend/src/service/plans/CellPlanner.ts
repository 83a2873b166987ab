import { cellId, FabricRefusal, Inventory, PlacementRecord } from '@internal/backstage-plugin-fabric-common';
import {
  CellNetworkInput,
  cellNetworkNeeds,
  compilePlacement,
  KubernetesObject,
  planCellProvisioning,
  renderCellJoinArtifacts,
} from '@internal/backstage-plugin-fabric-node';
import { randomUUID } from 'node:crypto';
import { PlanRecord } from '../../database/DatabasePlanStore';
import { hubAccountId, PlanningDeps, savePlanned } from './planningDeps';

/** Where one cell's nodes launch, as the person provisioning names it. */
export interface CellNetworkRequest extends CellNetworkInput {
  accountId: string;
  region: string;
}

/**
 * Plans making a placed placement's cells launchable: their subnets and security groups
 * (for the cells given a network), then the node classes (EC2NodeClass in the hub account,
 * FabricNodeClass elsewhere) and NodePools on the hub cluster.
 */
export class CellPlanner {
  constructor(private readonly deps: Pick<PlanningDeps, 'config' | 'plans' | 'kubernetes' | 'clock'>) {}

  /**
   * `inventory` must be the snapshot the placement was planned on (what the person
   * reviewed), not a newer one: the same placement then compiles to the same objects.
   */
  async plan(
    record: PlacementRecord,
    inventory: Inventory,
    createdBy: string,
    networks: CellNetworkRequest[] = [],
  ): Promise<PlanRecord> {
    if (record.placement.status !== 'placed') {
      throw new FabricRefusal(
        'placement-not-placed',
        `Placement ${record.id} is ${record.placement.status}; only a placed placement has cells to provision`,
      );
    }
    const { hub } = this.deps.config;
    const compiled = compilePlacement(record.placement, inventory, {
      clusterName: hub.clusterName,
      nodeRoleName: hub.nodeRoleName,
      hubAccountId: hubAccountId(this.deps.config),
    });
    const needs = cellNetworkNeeds(compiled);
    const networkOf = new Map(networks.map(n => [cellId(n), n]));
    for (const key of networkOf.keys()) {
      if (!needs.some(need => cellId(need.cell) === key)) {
        throw new FabricRefusal('invalid-request', `Placement ${record.id} has no cell ${key}; its cells are ${needs.map(n => cellId(n.cell)).join(', ')}`);
      }
    }
    const planned = needs.flatMap(need => {
      const network = networkOf.get(cellId(need.cell));
      return network ? [{ need, network: { vpcId: network.vpcId, ...(network.subnetCidrs ? { subnetCidrs: network.subnetCidrs } : {}) } }] : [];
    });
    const id = randomUUID();
    const plan = planCellProvisioning({
      planId: id,
      owner: createdBy,
      placementId: record.id,
      clusterName: hub.clusterName,
      ec2NodeClasses: compiled.ec2NodeClasses as unknown as KubernetesObject[],
      fabricNodeClasses: compiled.fabricNodeClasses as unknown as KubernetesObject[],
      nodePools: compiled.nodePools as unknown as KubernetesObject[],
      networks: planned,
    });
    return savePlanned(this.deps, {
      id,
      kind: 'cells',
      subject: record.id,
      createdBy,
      plan,
      details: {
        placement: record.id,
        inventorySnapshot: inventory.id,
        hubClusterConfigured: Boolean(this.deps.kubernetes),
        // Cells given no network: their selectors match only subnets and groups already tagged.
        cellsWithoutNetwork: needs
          .filter(need => !networkOf.has(cellId(need.cell)))
          .map(need => ({ cell: cellId(need.cell), azIds: need.azIds, subnetTags: need.subnetTags, securityGroupTags: need.securityGroupTags })),
        joinArtifacts: this.joinArtifacts(record),
      },
    });
  }

  /** What each member account of the placement needs so its nodes can join the hub. */
  private joinArtifacts(record: PlacementRecord) {
    const { hub } = this.deps.config;
    const hubAccount = hubAccountId(this.deps.config);
    const members = [...new Set(record.placement.chosen.map(c => c.accountId))].filter(id => id !== hubAccount);
    return Object.fromEntries(
      members.map(accountId => [
        accountId,
        renderCellJoinArtifacts({
          clusterName: hub.clusterName,
          hubAccountId: hubAccount ?? '000000000000',
          memberAccountId: accountId,
          nodeRoleName: hub.nodeRoleName,
          apiServerEndpoint: hub.kubernetes?.url ?? 'https://<hub API server endpoint>',
          certificateAuthority: hub.kubernetes?.caData
            ? Buffer.from(hub.kubernetes.caData).toString('base64')
            : '<base64 cluster CA>',
          serviceCidr: hub.serviceCidr,
        }),
      ]),
    );
  }
}
