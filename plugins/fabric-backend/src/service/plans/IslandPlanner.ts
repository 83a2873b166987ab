import { FabricRefusal, Inventory, Placement } from '@internal/backstage-plugin-fabric-common';
import {
  buildDestroyPlan,
  islandFromPlacement,
  IslandRefusedError,
  Plan,
  planIsland,
  StepExecutor,
  validateIsland,
} from '@internal/backstage-plugin-fabric-node';
import { NotFoundError } from '@backstage/errors';
import { randomUUID } from 'node:crypto';
import { PlanRecord } from '../../database/DatabasePlanStore';
import { islandRefusal } from '../engineRefusals';
import { PlanningDeps, savePlanned } from './planningDeps';

/** Plans EFA training islands and their removal. */
export class IslandPlanner {
  constructor(
    private readonly deps: Pick<PlanningDeps, 'config' | 'plans' | 'clock'> & {
      /** What destroy asks which steps can be undone, and how. */
      executors: () => StepExecutor[];
    },
  ) {}

  /**
   * Plans an island, from a full island spec or from a stored tightly-coupled
   * placement (`{ placementId, networkAccountId, vpcId, subnetCidr }`). An island that
   * would span AZ-IDs is refused with the reason; nothing is stored.
   */
  async plan(body: unknown, createdBy: string, inventory: Inventory, placement?: Placement): Promise<PlanRecord> {
    const { config } = this.deps;
    const input = (body ?? {}) as Record<string, unknown>;
    // An island needs only the cluster and node role of the hub, never its credentials.
    const hub = { clusterName: config.hub.clusterName, nodeRoleName: config.hub.nodeRoleName };
    let spec: unknown = { hub, ...input };
    if (placement) {
      const { placementId: _placementId, ...options } = input;
      const derived = islandFromPlacement(placement, inventory, {
        ...(options as any),
        hub: (options as any).hub ?? hub,
      });
      if (!derived.ok) throw islandRefusal(derived);
      spec = derived.spec;
    }
    const validation = validateIsland(spec, inventory);
    if (!validation.ok) throw islandRefusal(validation);
    const id = randomUUID();
    let plan: Plan;
    try {
      plan = planIsland(validation.spec, { inventory, owner: createdBy, planId: id });
    } catch (error) {
      if (error instanceof IslandRefusedError) throw islandRefusal(error);
      throw error;
    }
    return savePlanned(this.deps, {
      id,
      kind: 'island',
      subject: validation.spec.id,
      createdBy,
      plan,
      details: { island: validation.spec },
    });
  }

  /** The newest plan of an island, for apply and destroy by island id. */
  async latest(islandId: string): Promise<PlanRecord> {
    const [latest] = await this.deps.plans.listPlans({ kind: 'island', subject: islandId });
    if (!latest) throw new NotFoundError(`No island ${islandId}`);
    return latest;
  }

  /**
   * Plans the island's removal: the reverse of what its applied plan created, nothing
   * else. Shown before it runs, like every plan.
   */
  async planDestroy(islandId: string, createdBy: string): Promise<PlanRecord> {
    const applied = await this.latest(islandId);
    const id = randomUUID();
    const destroy = await buildDestroyPlan(applied.plan, {
      executors: this.deps.executors(),
      checkpoints: this.deps.plans,
      planId: id,
    });
    if (destroy.plan.steps.length === 0 && destroy.unsettled.length === 0) {
      throw new FabricRefusal('nothing-to-remove', `Island ${islandId} has nothing the fabric created to remove`);
    }
    return savePlanned(this.deps, {
      id,
      kind: 'island-destroy',
      subject: islandId,
      createdBy,
      plan: destroy.plan,
      details: { destroys: applied.id, unsettled: destroy.unsettled },
    });
  }
}
