import { KubernetesObject } from '../kubernetes/KubernetesApplier';
import { Plan } from '../plan/types';
import { ISLAND_STEP_TYPES } from '../islands/planIsland';

/**
 * The plan that puts a placement's per-cell Karpenter objects on the hub cluster: one
 * server-side apply (field manager `cloudspectra-fabric`) of every EC2NodeClass, then
 * every NodePool, so a NodePool never refers to a node class that is not there yet.
 * The same executor as islands' applies it, so ownership rules are shared: an object
 * of the same name the fabric did not apply is never taken over.
 */
export function planCellProvisioning(input: {
  planId: string;
  owner: string;
  placementId: string;
  clusterName: string;
  ec2NodeClasses: KubernetesObject[];
  nodePools: KubernetesObject[];
}): Plan {
  if (input.nodePools.length === 0) {
    throw new Error('A placement without NodePools has nothing to provision');
  }
  return {
    id: input.planId,
    owner: input.owner,
    title: `Provision ${input.nodePools.length} cell(s) for placement ${input.placementId}`,
    steps: [
      {
        key: `cells:${input.placementId}:karpenter`,
        title: `Server-side apply ${input.ec2NodeClasses.length} EC2NodeClass and ${input.nodePools.length} NodePool to ${input.clusterName}`,
        kind: 'kubernetes',
        type: ISLAND_STEP_TYPES.serverSideApply,
        input: JSON.parse(
          JSON.stringify({ cluster: input.clusterName, objects: [...input.ec2NodeClasses, ...input.nodePools] }),
        ),
      },
    ],
  };
}
