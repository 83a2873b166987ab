import { InputError } from '@backstage/errors';
import {
  parsePlacementRequest,
  PlacementRecord,
} from '@internal/backstage-plugin-fabric-common';
import {
  compiledObjects,
  compilePlacement,
  FabricConfig,
  InsufficientCapacityCache,
  planPlacement,
  toYaml,
} from '@internal/backstage-plugin-fabric-node';
import { randomUUID } from 'node:crypto';
import { PlacementStore } from '../database/FabricStore';
import { placementRefusal } from './engineRefusals';
import { EstateService } from './EstateService';
import { hubAccountId } from './plans/planningDeps';

/**
 * Plans placements on the current inventory, compiles the placed ones to Kubernetes
 * artifacts, and stores every decision. Planning never changes any cloud resource.
 */
export class PlacementService {
  readonly insufficientCapacity = new InsufficientCapacityCache();

  constructor(
    private readonly deps: {
      config: FabricConfig;
      estate: EstateService;
      store: PlacementStore;
      clock?: () => Date;
    },
  ) {}

  /**
   * Validates and plans a request. A malformed request is an InputError naming every
   * bad field; a request the guardrails refuse is a FabricRefusal with the reason.
   * Neither is stored: a refusal changes nothing.
   */
  async plan(body: unknown, createdBy: string): Promise<PlacementRecord> {
    const parsed = parsePlacementRequest(body);
    if (!parsed.ok) {
      throw new InputError(
        `Invalid placement request: ${parsed.errors.map(e => `${e.path} ${e.message}`).join('; ')}`,
      );
    }
    const now = (this.deps.clock ?? (() => new Date()))();
    const inventory = await this.deps.estate.inventory();
    const placement = planPlacement(parsed.request, inventory, {
      iceCache: this.insufficientCapacity,
      now,
    });
    if (placement.status === 'refused') {
      throw placementRefusal(placement);
    }

    const id = randomUUID();
    const record: PlacementRecord = {
      id,
      entityRef: parsed.request.entityRef,
      createdBy,
      createdAt: now.toISOString(),
      inventorySnapshot: inventory.id,
      inventorySource: inventory.source,
      placement: { ...placement, id },
    };
    if (placement.status === 'placed') {
      const { hub } = this.deps.config;
      const compiled = compilePlacement(record.placement, inventory, {
        clusterName: hub.clusterName,
        nodeRoleName: hub.nodeRoleName,
        hubAccountId: hubAccountId(this.deps.config),
      });
      const objects = compiledObjects(compiled);
      record.artifacts = {
        podScheduling: compiled.podScheduling as unknown as Record<string, unknown>,
        objects: objects.map(o => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name })),
        yaml: toYaml(objects),
      };
    }
    await this.deps.store.savePlacement(record);
    return record;
  }
}
