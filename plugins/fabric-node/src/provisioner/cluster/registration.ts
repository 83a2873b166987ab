import {
  CAPACITY_TYPE_LABEL,
  CELL_LABEL,
  GANG_SCHEDULING_GATE,
  INSTANCE_TYPE_LABEL,
  ISLAND_LABEL,
  ZONE_ID_LABEL,
} from '../../compile/labels';
import { isConflict, KubeObject, KubernetesClient, RESOURCES } from '../../kubernetes/KubernetesClient';
import { FABRIC_STARTUP_TAINT, NODEPOOL_TAG } from '../types';
import { isConditionTrue, setConditions } from './conditions';
import { CLAIM_CONDITIONS, FABRIC_NODE_CLASS_LABEL, GANG_LABEL, instanceIdOf, podsOfClaim, setClaimConditions } from './nodeClaims';
import { isGangGated, toPendingPod } from './pendingPods';

/** Taint that keeps a gang's nodes for its members (value: the gang). */
export const GANG_TAINT_KEY = GANG_LABEL;

/** Labels a fabric node must carry, from its claim (what was launched where). */
const NODE_LABELS_FROM_CLAIM = [ZONE_ID_LABEL, CELL_LABEL, CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, NODEPOOL_TAG, ISLAND_LABEL];

export function isNodeReady(node: KubeObject | undefined): boolean {
  return isConditionTrue(node, 'Ready');
}

export function hasStartupTaint(node: KubeObject): boolean {
  return (node.spec?.taints ?? []).some((t: any) => t.key === FABRIC_STARTUP_TAINT);
}

/** The claim's node, matched by the instance id in `providerID` (`aws:///<az>/<instance-id>`). */
export function nodeOfClaim(claim: KubeObject, nodesByInstance: Map<string, KubeObject>): KubeObject | undefined {
  const instanceId = instanceIdOf(claim.status?.providerID);
  return instanceId ? nodesByInstance.get(instanceId) : undefined;
}

export function indexNodesByInstance(nodes: KubeObject[]): Map<string, KubeObject> {
  const index = new Map<string, KubeObject>();
  for (const node of nodes) {
    const instanceId = instanceIdOf(node.spec?.providerID);
    if (instanceId) index.set(instanceId, node);
  }
  return index;
}

export interface RegistrationResult {
  /** Claims whose node was labelled and untainted in this pass. */
  registered: string[];
  /** Claims whose node is Ready (condition set). */
  ready: string[];
  /** Claims without a node after the registration timeout: terminate the instance and replace the claim. */
  timedOut: Array<{ claim: string; instanceId?: string }>;
}

export interface RegistrationOptions {
  /** Default 15 min. */
  registrationTimeoutMs?: number;
  now?: Date;
}

/**
 * One registration pass over the fabric's claims: for each launched claim find its Node by
 * instance id, make sure the node carries the fabric labels (AZ-ID, cell, capacity type,
 * instance type, NodePool, island, node class), remove the fabric startup taint, and move the
 * claim through Registered → Initialized → Ready as the node does. Idempotent: it writes only
 * what differs, so running it on every informer event is cheap.
 */
export async function registerNodes(
  client: KubernetesClient,
  claims: KubeObject[],
  nodes: KubeObject[],
  options: RegistrationOptions = {},
): Promise<RegistrationResult> {
  const timeoutMs = options.registrationTimeoutMs ?? 15 * 60_000;
  const now = options.now ?? new Date();
  const byInstance = indexNodesByInstance(nodes);
  const result: RegistrationResult = { registered: [], ready: [], timedOut: [] };
  for (const claim of claims) {
    if (claim.metadata.deletionTimestamp) continue;
    const name = claim.metadata.name;
    const node = nodeOfClaim(claim, byInstance);
    if (!node) {
      const created = Date.parse(claim.metadata.creationTimestamp ?? now.toISOString());
      if (now.getTime() - created >= timeoutMs) {
        result.timedOut.push({ claim: name, instanceId: instanceIdOf(claim.status?.providerID) });
        await setClaimConditions(
          client,
          name,
          [{ type: CLAIM_CONDITIONS.registered, status: 'False', reason: 'RegistrationTimeout', message: `no node registered within ${Math.round(timeoutMs / 1000)}s` }],
          claim,
        );
      }
      continue;
    }
    const labels: Record<string, string> = { [FABRIC_NODE_CLASS_LABEL]: claim.spec?.nodeClassRef?.name ?? '' };
    for (const key of NODE_LABELS_FROM_CLAIM) {
      const value = claim.metadata.labels?.[key];
      if (value) labels[key] = value;
    }
    const missing = Object.entries(labels).filter(([k, v]) => node.metadata.labels?.[k] !== v);
    const tainted = hasStartupTaint(node);
    // A gang's nodes are kept for the gang: until its gate lifts, nothing else may take the
    // room its members were packed into.
    const gang = claim.metadata.labels?.[GANG_LABEL];
    const needsGangTaint = !!gang && !(node.spec?.taints ?? []).some((t: any) => t.key === GANG_TAINT_KEY && t.value === gang);
    if (missing.length || tainted || needsGangTaint) {
      const taints = (node.spec?.taints ?? []).filter((t: any) => t.key !== FABRIC_STARTUP_TAINT && t.key !== GANG_TAINT_KEY);
      if (gang) taints.push({ key: GANG_TAINT_KEY, value: gang, effect: 'NoSchedule' });
      try {
        await client.patch(RESOURCES.nodes, node.metadata.name, {
          metadata: { labels: Object.fromEntries(missing), resourceVersion: node.metadata.resourceVersion },
          ...(tainted || needsGangTaint ? { spec: { taints } } : {}),
        });
      } catch (error) {
        // The kubelet (or KWOK) updated the node since it was read: the next pass, with the
        // fresh object, registers it. One busy node must not hold up the others.
        if (isConflict(error)) continue;
        throw error;
      }
      result.registered.push(name);
    }
    const ready = isNodeReady(node);
    await setConditions(
      client,
      RESOURCES.nodeClaims,
      name,
      [
        { type: CLAIM_CONDITIONS.registered, status: 'True', reason: 'Registered' },
        ready
          ? { type: CLAIM_CONDITIONS.initialized, status: 'True', reason: 'Initialized' }
          : { type: CLAIM_CONDITIONS.initialized, status: 'Unknown', reason: 'NodeNotReady', message: 'waiting for the node to report Ready' },
        ready
          ? { type: CLAIM_CONDITIONS.ready, status: 'True', reason: 'Ready' }
          : { type: CLAIM_CONDITIONS.ready, status: 'Unknown', reason: 'NodeNotReady', message: 'waiting for the node to report Ready' },
      ],
      { current: claim, extraStatus: { nodeName: node.metadata.name } },
    );
    if (ready) result.ready.push(name);
  }
  return result;
}

export interface GangGateResult {
  /** Gangs whose gate was lifted in this pass, with the AZ-ID they run in. */
  lifted: Array<{ gang: string; azId: string; pods: string[] }>;
  /** Gangs still waiting, and why (shown as Events by the caller). */
  waiting: Array<{ gang: string; reason: string }>;
}

/**
 * Lifts the gang scheduling gate — from every member at once — only when every gated member
 * pod was packed onto a claim whose node is Ready, registered (no startup taint), and all those
 * nodes are in one AZ-ID. Until then no member can start, so a half-built gang never runs.
 */
export async function liftGangGates(client: KubernetesClient, pods: KubeObject[], claims: KubeObject[], nodes: KubeObject[]): Promise<GangGateResult> {
  const result: GangGateResult = { lifted: [], waiting: [] };
  const byInstance = indexNodesByInstance(nodes);
  const claimOfPod = new Map<string, KubeObject>();
  for (const claim of claims) if (!claim.metadata.deletionTimestamp) for (const uid of podsOfClaim(claim)) claimOfPod.set(uid, claim);

  const gangs = new Map<string, KubeObject[]>();
  for (const pod of pods) {
    if (!isGangGated(pod) || pod.metadata.deletionTimestamp) continue;
    const gang = toPendingPod(pod).gang!;
    gangs.set(gang.name, [...(gangs.get(gang.name) ?? []), pod]);
  }

  for (const [gang, members] of gangs) {
    const declared = toPendingPod(members[0]).gang!.size;
    if (declared && members.length < declared) {
      result.waiting.push({ gang, reason: `${members.length} of ${declared} members exist` });
      continue;
    }
    const zones = new Set<string>();
    const notReady: string[] = [];
    for (const pod of members) {
      const claim = claimOfPod.get(pod.metadata.uid!);
      const node = claim ? nodeOfClaim(claim, byInstance) : undefined;
      if (!node || !isNodeReady(node) || hasStartupTaint(node)) {
        notReady.push(pod.metadata.name);
        continue;
      }
      zones.add(node.metadata.labels?.[ZONE_ID_LABEL] ?? '');
    }
    if (notReady.length) {
      result.waiting.push({ gang, reason: `${notReady.length} of ${members.length} members have no Ready node yet` });
      continue;
    }
    if (zones.size !== 1 || zones.has('')) {
      result.waiting.push({ gang, reason: `members' nodes span AZ-IDs ${[...zones].join(', ') || '(unlabelled)'}; a gang runs in one` });
      continue;
    }
    for (const pod of members) {
      const gates = (pod.spec.schedulingGates ?? []).filter((g: any) => g.name !== GANG_SCHEDULING_GATE);
      const claimGang = claimOfPod.get(pod.metadata.uid!)!.metadata.labels?.[GANG_LABEL];
      // Tolerations may only be added to a pod: the member gets the one for its gang's nodes.
      const tolerations = [...(pod.spec.tolerations ?? [])];
      if (claimGang && !tolerations.some((t: any) => t.key === GANG_TAINT_KEY && t.value === claimGang)) {
        tolerations.push({ key: GANG_TAINT_KEY, operator: 'Equal', value: claimGang, effect: 'NoSchedule' });
      }
      await client.patch(RESOURCES.pods, pod.metadata.name, { spec: { schedulingGates: gates, tolerations } }, { namespace: pod.metadata.namespace });
    }
    result.lifted.push({ gang, azId: [...zones][0], pods: members.map(p => `${p.metadata.namespace}/${p.metadata.name}`) });
  }
  return result;
}
