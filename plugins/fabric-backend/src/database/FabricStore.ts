import { Inventory, PlacementRecord } from '@internal/backstage-plugin-fabric-common';

/** Persistence of the fabric's state. */
export interface FabricStore {
  /** Saves a snapshot and prunes all but the newest `keep`; returns the snapshot id. */
  saveInventory(inventory: Inventory, options?: { keep?: number }): Promise<string>;
  /** The newest snapshot, if any. */
  latestInventory(): Promise<Inventory | undefined>;
  /** One snapshot by id; undefined once pruned (or never stored). */
  getInventory(id: string): Promise<Inventory | undefined>;
  /** Ids and times of the stored snapshots, newest first. */
  listInventories(): Promise<Array<{ id: string; takenAt: string; source: string; offeringCount: number }>>;
}

/** Persistence of placement decisions. */
export interface PlacementStore {
  savePlacement(record: PlacementRecord): Promise<void>;
  getPlacement(id: string): Promise<PlacementRecord | undefined>;
  /** Newest first. */
  listPlacements(filter: { entityRef?: string; limit?: number }): Promise<PlacementRecord[]>;
}
