import { FabricRefusal, Inventory, PlacementRecord } from '@internal/backstage-plugin-fabric-common';
import {
  compilePlacement,
  KubernetesObject,
  planCellProvisioning,
  renderCellJoinArtifacts,
} from '@internal/backstage-plugin-fabric-node';
import { randomUUID } from 'node:crypto';
import { PlanRecord } from '../../database/DatabasePlanStore';
import { hubAccountId, PlanningDeps, savePlanned } from './planningDeps';

/** Plans putting a placed placement's NodePools and EC2NodeClasses on the hub cluster. */
export class CellPlanner {
  constructor(private readonly deps: Pick<PlanningDeps, 'config' | 'plans' | 'kubernetes' | 'clock'>) {}

  async plan(record: PlacementRecord, inventory: Inventory, createdBy: string): Promise<PlanRecord> {
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
    });
    const id = randomUUID();
    const plan = planCellProvisioning({
      planId: id,
      owner: createdBy,
      placementId: record.id,
      clusterName: hub.clusterName,
      ec2NodeClasses: compiled.ec2NodeClasses as unknown as KubernetesObject[],
      nodePools: compiled.nodePools as unknown as KubernetesObject[],
    });
    return savePlanned(this.deps, {
      id,
      kind: 'cells',
      subject: record.id,
      createdBy,
      plan,
      details: {
        placement: record.id,
        hubClusterConfigured: Boolean(this.deps.kubernetes),
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
