import { KubernetesObject } from '../kubernetes/KubernetesApplier';
import { outputRef } from '../plan/refs';
import { Plan, PlanStep } from '../plan/types';
import { ISLAND_STEP_TYPES } from '../islands/planIsland';
import { CellNetworkInput, CellNetworkNeed, cellNetworkSteps } from './cellNetwork';

/**
 * The plan that makes a placement's cells launchable:
 * 1. per cell given a network, create or adopt one subnet per chosen AZ-ID and the cell's
 *    security group (all traffic to and from itself), tagged with exactly the tags its
 *    node class selects by, so the selectors resolve to real resources;
 * 2. one server-side apply (field manager `cloudspectra-fabric`) of every node class
 *    (EC2NodeClass for the hub account's cells, FabricNodeClass for the others), then
 *    every NodePool, so a NodePool never refers to a node class that is not there yet.
 * The same executors as islands' apply it, so ownership rules are shared: an object of
 * the same name the fabric did not apply is never taken over.
 */
export function planCellProvisioning(input: {
  planId: string;
  owner: string;
  placementId: string;
  clusterName: string;
  ec2NodeClasses: KubernetesObject[];
  fabricNodeClasses?: KubernetesObject[];
  nodePools: KubernetesObject[];
  /** The cells' networks: what each needs and where it lives. Cells left out get no network steps. */
  networks?: Array<{ need: CellNetworkNeed; network: CellNetworkInput }>;
}): Plan {
  if (input.nodePools.length === 0) {
    throw new Error('A placement without NodePools has nothing to provision');
  }
  const fabricNodeClasses = input.fabricNodeClasses ?? [];
  const steps: PlanStep[] = [];
  for (const { need, network } of input.networks ?? []) {
    const { subnets, securityGroup } = cellNetworkSteps(need, network);
    steps.push(...subnets, securityGroup, {
      key: `${securityGroup.key}:self-reference`,
      title: `Allow all traffic from and to ${securityGroup.input.GroupName} itself: the cell's nodes talk to each other`,
      kind: 'aws',
      type: ISLAND_STEP_TYPES.authorizeSelfReference,
      cell: need.cell,
      dependsOn: [securityGroup.key],
      input: { GroupId: outputRef(securityGroup.key, 'GroupId') },
    });
  }
  const nodeClassCount = input.ec2NodeClasses.length + fabricNodeClasses.length;
  steps.push({
    key: `cells:${input.placementId}:karpenter`,
    title:
      `Server-side apply ${input.ec2NodeClasses.length} EC2NodeClass, ${fabricNodeClasses.length} FabricNodeClass ` +
      `and ${input.nodePools.length} NodePool to ${input.clusterName}`,
    kind: 'kubernetes',
    type: ISLAND_STEP_TYPES.serverSideApply,
    // The pools go live only once their selectors match something.
    ...(steps.length ? { dependsOn: steps.map(s => s.key) } : {}),
    input: JSON.parse(
      JSON.stringify({
        cluster: input.clusterName,
        objects: [...input.ec2NodeClasses, ...fabricNodeClasses, ...input.nodePools],
      }),
    ),
  });
  return {
    id: input.planId,
    owner: input.owner,
    title: `Provision ${input.nodePools.length} cell(s) (${nodeClassCount} node class(es)) for placement ${input.placementId}`,
    steps,
  };
}
