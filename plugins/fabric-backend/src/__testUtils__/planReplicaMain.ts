/*
 * One backend replica's plan runner: the store on the shared database, real AWS clients,
 * the fabric's own executors. It starts applying one plan, reports each finished step on
 * stdout, and runs until it is killed. Input: FABRIC_REPLICA (JSON).
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { AwsClientFactory, parseFabricConfig } from '@internal/backstage-plugin-fabric-node';
import knexFactory from 'knex';
import { DatabasePlanStore } from '../database/DatabasePlanStore';
import { createPlanning } from '../service/plans';

interface ReplicaInput {
  knex: { client: string; connection: unknown; useNullAsDefault?: boolean };
  fabric: unknown;
  planId: string;
  leaseMs: number;
}

const silent: LoggerService = {
  info: () => {},
  warn: () => {},
  error: (message, meta) => process.stderr.write(`${message} ${JSON.stringify(meta ?? {})}\n`),
  debug: () => {},
  child: () => silent,
};

async function main() {
  const input: ReplicaInput = JSON.parse(process.env.FABRIC_REPLICA ?? '{}');
  const knex = knexFactory(input.knex as any);
  const plans = await DatabasePlanStore.create({
    database: { getClient: async () => knex, migrations: { skip: true } },
  });
  const config = parseFabricConfig(input.fabric);
  const awsClients = new AwsClientFactory({ endpoint: config.aws.endpoint, maxAttempts: config.aws.maxAttempts });
  const planning = createPlanning({ config, plans, logger: silent, awsClients, leaseMs: input.leaseMs });
  await planning.runner.startApply(input.planId);
  process.stdout.write(`applying ${input.planId} as ${planning.runner.leaseOwner}\n`);
  await planning.runner.settled(input.planId);
  process.stdout.write('settled\n');
  // Stay alive like a backend would, until killed.
  setInterval(() => {}, 60_000);
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
