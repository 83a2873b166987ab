import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';

/**
 * The databases the store is tested on: SQLite always; PostgreSQL whenever a
 * connection string is provided through Backstage's standard variables (.ci/run
 * starts a cluster and sets BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING).
 * Docker is never used: the machines have none.
 */
export function createTestDatabases() {
  const ids: TestDatabaseId[] = ['SQLITE_3', 'POSTGRES_18', 'POSTGRES_17', 'POSTGRES_16', 'POSTGRES_15', 'POSTGRES_14', 'POSTGRES_13'];
  return TestDatabases.create({ ids, disableDocker: true });
}
