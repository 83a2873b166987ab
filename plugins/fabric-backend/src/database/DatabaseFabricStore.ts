import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Inventory } from '@internal/backstage-plugin-fabric-common';
import { Knex } from 'knex';
import { FabricStore } from './FabricStore';

const migrationsDir = resolvePackagePath(
  '@internal/backstage-plugin-fabric-backend',
  'migrations',
);

/** Snapshots kept when the caller does not say. */
export const DEFAULT_SNAPSHOTS_KEPT = 20;

/** {@link FabricStore} on the Backstage database service: SQLite or PostgreSQL. */
export class DatabaseFabricStore implements FabricStore {
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
}
