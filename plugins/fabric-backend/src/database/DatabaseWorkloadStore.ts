import { DatabaseService, resolvePackagePath } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath('@internal/backstage-plugin-fabric-backend', 'migrations');

/** A workload component the fabric was asked to create, as stored. */
export interface WorkloadRecord {
  /** e.g. `component:default/llm-finetune` */
  entityRef: string;
  /** The Component entity the catalog receives. */
  entity: JsonObject;
  createdBy: string;
  createdAt: string;
}

/**
 * The workload components the fabric registers in the catalog (through the
 * `fabric-workloads` entity provider, which reads them with `GET /workloads`).
 */
export class DatabaseWorkloadStore {
  static async create(options: { database: DatabaseService }): Promise<DatabaseWorkloadStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new DatabaseWorkloadStore(client);
  }

  private constructor(private readonly db: Knex) {}

  /** Inserts the workload, or replaces its entity when the ref exists (creator and time are kept). */
  async upsert(record: WorkloadRecord): Promise<void> {
    await this.db('fabric_workloads')
      .insert({
        entity_ref: record.entityRef,
        entity: JSON.stringify(record.entity),
        created_by: record.createdBy,
        created_at: new Date(record.createdAt),
      })
      .onConflict('entity_ref')
      .merge(['entity']);
  }

  async get(entityRef: string): Promise<WorkloadRecord | undefined> {
    const row = await this.db('fabric_workloads').where({ entity_ref: entityRef }).first();
    return row ? toRecord(row) : undefined;
  }

  async list(): Promise<WorkloadRecord[]> {
    const rows = await this.db('fabric_workloads').orderBy('entity_ref');
    return rows.map(toRecord);
  }
}

function toRecord(row: any): WorkloadRecord {
  return {
    entityRef: row.entity_ref,
    entity: JSON.parse(row.entity),
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
