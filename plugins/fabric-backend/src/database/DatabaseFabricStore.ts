import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Inventory, PlacementRecord } from '@internal/backstage-plugin-fabric-common';
import { Knex } from 'knex';
import { FabricStore, PlacementStore } from './FabricStore';

const migrationsDir = resolvePackagePath(
  '@internal/backstage-plugin-fabric-backend',
  'migrations',
);

/** Snapshots kept when the caller does not say. */
export const DEFAULT_SNAPSHOTS_KEPT = 20;

/** {@link FabricStore} on the Backstage database service: SQLite or PostgreSQL. */
export class DatabaseFabricStore implements FabricStore, PlacementStore {
  static async create(options: { database: DatabaseService }): Promise<DatabaseFabricStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new DatabaseFabricStore(client);
  }

  private constructor(private readonly db: Knex) {}

  async saveInventory(inventory: Inventory, options: { keep?: number } = {}): Promise<string> {
    const keep = options.keep ?? DEFAULT_SNAPSHOTS_KEPT;
    return this.db.transaction(async tx => {
      const [row] = await tx('fabric_inventory_snapshots')
        .insert({
          source: inventory.source,
          taken_at: new Date(inventory.takenAt),
          cell_count: inventory.cells.length,
          stale_cell_count: inventory.cells.filter(c => !c.fresh).length,
          offering_count: inventory.offerings.length,
          inventory: JSON.stringify({ ...inventory, id: undefined }),
        })
        .returning('id');
      const id = String(typeof row === 'object' ? row.id : row);
      const kept = await tx('fabric_inventory_snapshots')
        .select('id')
        .orderBy('id', 'desc')
        .limit(keep);
      await tx('fabric_inventory_snapshots')
        .whereNotIn(
          'id',
          kept.map(r => r.id),
        )
        .delete();
      return id;
    });
  }

  async latestInventory(): Promise<Inventory | undefined> {
    const row = await this.db('fabric_inventory_snapshots')
      .select('id', 'inventory')
      .orderBy('id', 'desc')
      .first();
    if (!row) return undefined;
    return { ...(JSON.parse(row.inventory) as Inventory), id: String(row.id) };
  }

  async getInventory(id: string): Promise<Inventory | undefined> {
    // Snapshot ids are the table's integer keys; anything else names no snapshot.
    if (!/^\d{1,15}$/.test(id)) return undefined;
    const row = await this.db('fabric_inventory_snapshots').where({ id: Number(id) }).select('id', 'inventory').first();
    if (!row) return undefined;
    return { ...(JSON.parse(row.inventory) as Inventory), id: String(row.id) };
  }

  async listInventories() {
    const rows = await this.db('fabric_inventory_snapshots')
      .select('id', 'taken_at', 'source', 'offering_count')
      .orderBy('id', 'desc');
    return rows.map(r => ({
      id: String(r.id),
      takenAt: new Date(r.taken_at).toISOString(),
      source: r.source,
      offeringCount: Number(r.offering_count),
    }));
  }

  async savePlacement(record: PlacementRecord): Promise<void> {
    const { id, entityRef, createdBy, createdAt, inventorySnapshot, placement } = record;
    await this.db('fabric_placements').insert({
      id,
      entity_ref: entityRef,
      intent: placement.intent,
      status: placement.status,
      created_by: createdBy,
      created_at: new Date(createdAt),
      inventory_snapshot: inventorySnapshot ? Number(inventorySnapshot) : null,
      placement: JSON.stringify(record),
    });
  }

  async getPlacement(id: string): Promise<PlacementRecord | undefined> {
    const row = await this.db('fabric_placements').where({ id }).select('placement').first();
    return row ? (JSON.parse(row.placement) as PlacementRecord) : undefined;
  }

  async listPlacements(filter: { entityRef?: string; limit?: number }): Promise<PlacementRecord[]> {
    let query = this.db('fabric_placements').select('placement');
    if (filter.entityRef) query = query.where({ entity_ref: filter.entityRef });
    const rows = await query.orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ]).limit(filter.limit ?? 50);
    return rows.map(r => JSON.parse(r.placement) as PlacementRecord);
  }
}
