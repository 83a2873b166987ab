import {
  cellNetworkExecutors,
  islandExecutors,
  kubernetesExecutors,
  meshExecutors,
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
    ...cellNetworkExecutors({ clients: awsClients, accountOf }),
    ...islandExecutors({
      clients: awsClients,
      accountOf,
      ram: cell => awsClients.ram(cell, accountOf(cell.accountId)),
      kubernetes,
    }),
    ...extra,
  ];
}
