import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { RamApi } from '../aws/ram';
import { AwsStepAccess } from '../plan/awsExecutors';
import { StepExecutor } from '../plan/types';
import { launchTemplateExecutors } from './executors/launchTemplate';
import { placementGroupExecutors } from './executors/placementGroup';
import { resourceShareExecutors } from './executors/resourceShare';
import { securityGroupExecutors } from './executors/securityGroup';
import { securityGroupRuleExecutors } from './executors/securityGroupRules';
import { subnetExecutors } from './executors/subnet';
import { IslandKubernetesApplier, kubernetesExecutors } from './kubernetesExecutors';

export { launchTemplateDrift } from './executors/launchTemplateDrift';

export interface IslandExecutorOptions extends AwsStepAccess {
  /** RAM of one cell (the network account's, in the island's region): `AwsClientFactory.ram`. */
  ram(cell: CellRef): RamApi;
  /** The hub cluster; the `kubernetes:*` steps fail with a clear reason without it. */
  kubernetes?: IslandKubernetesApplier;
}

/**
 * Executors for an island's steps, one provider per resource. AWS calls go to the step's
 * cell (its account through `accountOf`, its region); RAM calls go to the cell's `ram`;
 * Kubernetes steps to the hub cluster. Idempotency: look-up-before-create by name
 * (subnet by VPC and CIDR), the `fabric.cloudspectra.io/step` tag to tell the plan's own
 * resources from found ones, and `ClientToken` where the API takes one
 * (CreateLaunchTemplate, RAM CreateResourceShare).
 */
export function islandExecutors(options: IslandExecutorOptions): StepExecutor[] {
  return [
    ...subnetExecutors(options),
    ...securityGroupExecutors(options),
    ...securityGroupRuleExecutors(options),
    ...placementGroupExecutors(options),
    ...resourceShareExecutors(cell => options.ram(cell)),
    ...launchTemplateExecutors(options),
    ...kubernetesExecutors(options.kubernetes),
  ];
}
