import {
  buildDestroyPlan,
  estimateMeshCost,
  loadMeshTopology,
  planMesh,
  PlanStep,
  StepExecutor,
  UnsettledStep,
} from '@internal/backstage-plugin-fabric-node';
import { FabricRefusal } from '@internal/backstage-plugin-fabric-common';
import { randomUUID } from 'node:crypto';
import { PlanRecord } from '../../database/DatabasePlanStore';
import { enrolledAccountLookup, PlanningDeps, savePlanned } from './planningDeps';

/** What a mesh plan request may say (validated by the route). */
export interface MeshPlanRequest {
  /** Expected traffic between cells, for the peering vs Transit Gateway estimate. */
  traffic?: Array<{
    /** `<account>/<region>/<AZ-ID>`, e.g. `222222222222/us-east-1/use1-az4`. */
    from: string;
    to: string;
    gbPerMonth: number;
  }>;
}

/** Plans the peering mesh across every enrolled cell's mesh VPCs. */
export class MeshPlanner {
  constructor(
    private readonly deps: Pick<PlanningDeps, 'config' | 'plans' | 'awsClients' | 'clock'> & {
      executors: () => StepExecutor[];
    },
  ) {}

  /**
   * Plans the removal of everything the fabric's mesh applies created since the last
   * applied mesh removal, newest first: routes, then peerings. Peerings and routes the
   * fabric found already there (made by hand, or by anything else) are left alone.
   */
  async planDestroy(createdBy: string): Promise<PlanRecord> {
    const { plans } = this.deps;
    const lastRemoval = (await plans.listPlans({ kind: 'mesh-destroy' })).find(p => p.status === 'applied');
    const applies = (await plans.listPlans({ kind: 'mesh' })).filter(
      p => p.status !== 'planned' && (!lastRemoval || p.createdAt > lastRemoval.createdAt),
    );
    const id = randomUUID();
    const steps: PlanStep[] = [];
    const unsettled: UnsettledStep[] = [];
    // listPlans is newest first: undo the newest apply first.
    for (const applied of applies) {
      const destroy = await buildDestroyPlan(applied.plan, { executors: this.deps.executors(), checkpoints: plans });
      const seen = new Set(steps.map(step => step.key));
      steps.push(...destroy.plan.steps.filter(step => !seen.has(step.key)));
      unsettled.push(...destroy.unsettled);
    }
    if (steps.length === 0 && unsettled.length === 0) {
      throw new FabricRefusal('nothing-to-remove', 'The mesh has nothing the fabric created to remove');
    }
    return savePlanned(this.deps, {
      id,
      kind: 'mesh-destroy',
      subject: 'mesh',
      createdBy,
      plan: { id, owner: createdBy, title: 'Remove the peering mesh the fabric created', steps },
      details: { destroys: applies.map(p => p.id), unsettled },
    });
  }

  async plan(request: MeshPlanRequest, createdBy: string): Promise<PlanRecord> {
    const { config, awsClients } = this.deps;
    const topology = await loadMeshTopology({ config, clients: awsClients, accountOf: enrolledAccountLookup(config) });
    const { vpcs } = topology;
    const id = randomUUID();
    const mesh = planMesh({
      vpcs,
      existingPeerings: topology.existingPeerings,
      routeCounts: topology.routeCounts,
      quotas: topology.quotas,
      ownerTag: createdBy,
      planId: id,
    });
    const traffic = request.traffic ?? [];
    const cost = estimateMeshCost({
      trafficGbPerMonth: traffic.map(t => ({ from: t.from, to: t.to, gb: t.gbPerMonth })),
      vpcAttachments: vpcs.length,
    });
    return savePlanned(this.deps, {
      id,
      kind: 'mesh',
      subject: 'mesh',
      createdBy,
      plan: mesh.plan,
      details: {
        source: config.estate.source,
        vpcs: vpcs.length,
        planned: mesh.planned.map(p => ({
          requester: p.requester.cell,
          accepter: p.accepter.cell,
          requesterVpc: p.requester.vpcId,
          accepterVpc: p.accepter.vpcId,
        })),
        existing: mesh.existing,
        refused: mesh.refused,
        unreadableCells: topology.unreadableCells,
        // The VPC quotas each cell was planned against, and where each value came from.
        quotas: topology.quotas,
        cost,
      },
    });
  }
}
