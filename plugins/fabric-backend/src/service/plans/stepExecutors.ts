import { RAM } from '@aws-sdk/client-ram';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import {
  AwsClientFactory,
  FabricConfig,
  islandExecutors,
  kubernetesExecutors,
  meshExecutors,
  RamApi,
  StepExecutor,
} from '@internal/backstage-plugin-fabric-node';
import { enrolledAccountLookup, PlanningDeps } from './planningDeps';

/**
 * Every executor a plan's steps can name: the AWS ones when the estate is AWS, the
 * hub cluster's Kubernetes ones otherwise, plus any extra ones (tests add fakes).
 */
export function fabricStepExecutors(
  deps: Pick<PlanningDeps, 'config' | 'awsClients' | 'kubernetes' | 'executors'>,
): StepExecutor[] {
  const { config, awsClients, kubernetes } = deps;
  const extra = deps.executors ?? [];
  if (!awsClients) return [...kubernetesExecutors(kubernetes), ...extra];
  const accountOf = enrolledAccountLookup(config);
  return [
    ...meshExecutors({ clients: awsClients, accountOf }),
    ...islandExecutors({
      clients: awsClients,
      accountOf,
      ram: cell => ramClient(config, awsClients, cell),
      kubernetes,
    }),
    ...extra,
  ];
}

/**
 * RAM of one cell, with the enrolled account's credentials. Built here until the
 * engine's client factory makes RAM clients like it makes EC2 ones; then this becomes
 * `awsClients.ram(cell, account)`.
 */
function ramClient(config: FabricConfig, awsClients: AwsClientFactory, cell: CellRef): RamApi {
  return new RAM({
    region: cell.region,
    endpoint: config.aws.endpoint,
    maxAttempts: config.aws.maxAttempts,
    credentials: awsClients.credentialsFor(enrolledAccountLookup(config)(cell.accountId)) as any,
  }) as unknown as RamApi;
}
