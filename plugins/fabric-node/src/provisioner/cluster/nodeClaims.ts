import { FABRIC_LABEL_PREFIX } from '@internal/backstage-plugin-fabric-common';
import { Taint } from '../../compile/karpenter';
import {
  CAPACITY_TYPE_LABEL,
  CELL_LABEL,
  cellLabelValue,
  INSTANCE_TYPE_LABEL,
  ISLAND_LABEL,
  labelSafe,
  NEURON_RESOURCE,
  NVIDIA_GPU_RESOURCE,
  ZONE_ID_LABEL,
  ZONE_NAME_LABEL,
} from '../../compile/labels';
import { KubeObject, KubernetesClient, RESOURCES } from '../../kubernetes/KubernetesClient';
import {
  FABRIC_NODE_CLASS_GROUP,
  FABRIC_NODE_CLASS_KIND,
  FABRIC_STARTUP_TAINT,
  NODEPOOL_TAG,
  NodeClaimDecision,
  Resources,
} from '../types';
import { ConditionUpdate, setConditions } from './conditions';
import { PRICE_PER_HOUR_ANNOTATION } from '../wellKnown';

/** The gang a claim was launched for (label value: the gang name, label-safe). */
export const GANG_LABEL = `${FABRIC_LABEL_PREFIX}/gang`;
/** UIDs of the pods a claim was bin-packed for, comma-separated: the gang gate keys on them. */
export const CLAIM_PODS_ANNOTATION = `${FABRIC_LABEL_PREFIX}/pods`;
/**
 * Finalizer of every fabric NodeClaim: deleting a claim (by hand, or by deleting its NodePool)
 * waits until the provisioner has drained the node and terminated the instance.
 */
export const TERMINATION_FINALIZER = `${FABRIC_LABEL_PREFIX}/termination`;
/** The node-class label Karpenter puts on its nodes, for a FabricNodeClass (`<group>/<kind lowercased>`). */
export const FABRIC_NODE_CLASS_LABEL = `${FABRIC_NODE_CLASS_GROUP}/${FABRIC_NODE_CLASS_KIND.toLowerCase()}`;

/** NodeClaim condition types, as Karpenter's lifecycle names them. */
export const CLAIM_CONDITIONS = { launched: 'Launched', registered: 'Registered', initialized: 'Initialized', ready: 'Ready' } as const;

/** Canonical resources → Kubernetes quantities. */
export function toQuantities(resources: Partial<Resources>): Record<string, string> {
  const q: Record<string, string> = {};
  if (resources.cpuMillis) q.cpu = `${resources.cpuMillis}m`;
  if (resources.memoryMiB) q.memory = `${resources.memoryMiB}Mi`;
  if (resources.gpus) q[NVIDIA_GPU_RESOURCE] = String(resources.gpus);
  if (resources.neuron) q[NEURON_RESOURCE] = String(resources.neuron);
  if (resources.efa) q['vpc.amazonaws.com/efa'] = String(resources.efa);
  if (resources.pods) q.pods = String(resources.pods);
  return q;
}

const unique = <T>(values: T[]) => [...new Set(values)];

/**
 * A Karpenter v1 NodeClaim for a decision: nodeClassRef to the FabricNodeClass (so the hub's
 * Karpenter leaves it alone), requirements that admit exactly the decision's offerings, the
 * requests of the pods packed onto it, the pool's taints and the fabric startup taint.
 */
export function nodeClaimFor(decision: NodeClaimDecision, pool: { taints?: Taint[]; startupTaints?: Taint[]; labels?: Record<string, string> } = {}): KubeObject {
  const offerings = decision.offerings;
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name: decision.name,
      labels: {
        ...(pool.labels ?? {}),
        [NODEPOOL_TAG]: decision.nodePool,
        [CELL_LABEL]: cellLabelValue(decision.cell),
        ...(decision.gang ? { [GANG_LABEL]: labelSafe(decision.gang) } : {}),
      },
      annotations: { [CLAIM_PODS_ANNOTATION]: decision.podUids.join(',') },
      finalizers: [TERMINATION_FINALIZER],
    },
    spec: {
      nodeClassRef: { group: FABRIC_NODE_CLASS_GROUP, kind: FABRIC_NODE_CLASS_KIND, name: decision.nodeClass },
      requirements: [
        { key: INSTANCE_TYPE_LABEL, operator: 'In', values: unique(offerings.map(o => o.instanceType)) },
        { key: ZONE_ID_LABEL, operator: 'In', values: unique(offerings.map(o => o.azId)) },
        { key: CAPACITY_TYPE_LABEL, operator: 'In', values: unique(offerings.map(o => o.capacityType)) },
      ],
      resources: { requests: toQuantities(decision.requests) },
      ...(pool.taints?.length ? { taints: pool.taints } : {}),
      startupTaints: [...(pool.startupTaints ?? []), { key: FABRIC_STARTUP_TAINT, value: 'true', effect: 'NoSchedule' }],
    },
  };
}

/** Creates the claim for a decision. Its UID is the fleet's ClientToken, so a retried launch never doubles. */
export async function createNodeClaim(client: KubernetesClient, decision: NodeClaimDecision, pool?: Parameters<typeof nodeClaimFor>[1]): Promise<KubeObject> {
  return client.create(RESOURCES.nodeClaims, nodeClaimFor(decision, pool));
}

export interface LaunchedInstance {
  instanceId: string;
  instanceType: string;
  azId: string;
  /** The member account's own name for the AZ (differs per account). */
  azName: string;
  capacityType: string;
  imageId?: string;
  /** What the instance type offers, in canonical units. */
  capacity?: Partial<Resources>;
  island?: string;
  /** USD per hour of the offering that was bought (the portal's $/h). */
  pricePerHour?: number;
}

/** `aws:///<az>/<instance-id>`, the providerID the AWS cloud provider and nodeadm set on the Node. */
export function providerIdOf(instance: Pick<LaunchedInstance, 'azName' | 'instanceId'>): string {
  return `aws:///${instance.azName}/${instance.instanceId}`;
}

/** The instance id of a providerID (`aws:///us-east-1a/i-0abc` → `i-0abc`). */
export function instanceIdOf(providerId: string | undefined): string | undefined {
  return providerId ? /(i-[0-9a-z]+)$/.exec(providerId)?.[1] : undefined;
}

/**
 * Records a launch on its claim: labels for what was launched (instance type, capacity type,
 * AZ-ID and the account's AZ name), then status providerID, imageID, capacity and Launched=True.
 */
export async function markLaunched(client: KubernetesClient, claimName: string, instance: LaunchedInstance): Promise<void> {
  await client.patch(RESOURCES.nodeClaims, claimName, {
    metadata: {
      labels: {
        [INSTANCE_TYPE_LABEL]: instance.instanceType,
        [CAPACITY_TYPE_LABEL]: instance.capacityType,
        [ZONE_ID_LABEL]: instance.azId,
        [ZONE_NAME_LABEL]: instance.azName,
        ...(instance.island ? { [ISLAND_LABEL]: instance.island } : {}),
      },
      ...(instance.pricePerHour !== undefined ? { annotations: { [PRICE_PER_HOUR_ANNOTATION]: String(instance.pricePerHour) } } : {}),
    },
  });
  const capacity = toQuantities(instance.capacity ?? {});
  await setConditions(client, RESOURCES.nodeClaims, claimName, [{ type: CLAIM_CONDITIONS.launched, status: 'True', reason: 'Launched' }], {
    extraStatus: {
      providerID: providerIdOf(instance),
      ...(instance.imageId ? { imageID: instance.imageId } : {}),
      ...(Object.keys(capacity).length ? { capacity, allocatable: capacity } : {}),
    },
  });
}

/**
 * Records why a launch failed, e.g. `InsufficientCapacity` or `AccessDenied` with the
 * member account's message: `kubectl get nodeclaims` and the portal show it.
 */
export async function markLaunchFailed(client: KubernetesClient, claimName: string, reason: string, message: string): Promise<void> {
  await setConditions(client, RESOURCES.nodeClaims, claimName, [{ type: CLAIM_CONDITIONS.launched, status: 'False', reason, message }]);
}

export async function setClaimConditions(client: KubernetesClient, claimName: string, updates: ConditionUpdate[], current?: KubeObject): Promise<boolean> {
  return setConditions(client, RESOURCES.nodeClaims, claimName, updates, { current });
}

/** Lets a deleted claim go once its instance is terminated (the launch side calls this after TerminateInstances). */
export async function releaseNodeClaim(client: KubernetesClient, claim: KubeObject): Promise<void> {
  const finalizers = (claim.metadata.finalizers ?? []).filter(f => f !== TERMINATION_FINALIZER);
  await client.patch(RESOURCES.nodeClaims, claim.metadata.name, {
    metadata: { finalizers, resourceVersion: claim.metadata.resourceVersion },
  });
}

/** The pod UIDs a claim was launched for. */
export function podsOfClaim(claim: KubeObject): string[] {
  return (claim.metadata.annotations?.[CLAIM_PODS_ANNOTATION] ?? '').split(',').filter(Boolean);
}
