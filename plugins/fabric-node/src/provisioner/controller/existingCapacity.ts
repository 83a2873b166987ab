import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';
import { Taint } from '../../compile/karpenter';
import { KubeObject } from '../../kubernetes/KubernetesClient';
import { instanceIdOf, podsOfClaim } from '../cluster/nodeClaims';
import { podRequests, toResources } from '../cluster/pendingPods';
import { allocatableOf, fits, matchesAnyTerm, RESOURCE_KEYS, toleratesAll } from '../decide/scheduling';
import { FABRIC_STARTUP_TAINT, PendingPod, Resources } from '../types';
import { instanceTypeOfClaim, isDeleting, isReady } from './claimState';

interface Room {
  labels: Record<string, string>;
  taints: Taint[];
  free: Resources;
}

/**
 * Pending pods that already fit on the fabric's nodes — Ready ones with room left, and
 * claims still launching beyond the pods they were packed for — as Karpenter simulates
 * existing and in-flight nodes before it launches. The kube-scheduler binds pods wherever
 * they fit, so a pod may take the room another was launched for; the displaced pod then
 * fits into the room its neighbour did not use, and launching again for it would only
 * leave that room empty. Gang members never count: a gang gets its own nodes.
 */
export function podsFittingExistingCapacity(input: {
  pods: PendingPod[];
  nodes: KubeObject[];
  claims: KubeObject[];
  /** Every pod in the cluster (bound ones use up their node's room). */
  allPods: KubeObject[];
  instanceTypes: InstanceTypeInfo[];
}): Set<string> {
  const rooms: Room[] = [];
  const byInstance = new Map(input.nodes.map(n => [instanceIdOf(n.spec?.providerID), n]));
  const used = new Map<string, Resources>();
  for (const pod of input.allPods) {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    used.set(nodeName, add(used.get(nodeName), podRequests(pod)));
  }
  const pendingByUid = new Map(input.pods.map(p => [p.uid, p]));
  const types = new Map(input.instanceTypes.map(t => [t.instanceType, t]));

  for (const claim of input.claims) {
    if (isDeleting(claim)) continue;
    const node = byInstance.get(instanceIdOf(claim.status?.providerID));
    if (node && isReady(claim)) {
      if (node.spec?.unschedulable || node.metadata.deletionTimestamp) continue;
      const allocatable = toResources(node.status?.allocatable);
      rooms.push({ labels: node.metadata.labels ?? {}, taints: withoutStartupTaint(node.spec?.taints), free: subtract(allocatable, used.get(node.metadata.name)) });
      continue;
    }
    // Still launching or joining: its room, less the pods it was packed for.
    const info = types.get(instanceTypeOfClaim(claim) ?? '');
    if (!info) continue;
    let packed: Resources | undefined;
    for (const uid of podsOfClaim(claim)) {
      const pod = pendingByUid.get(uid);
      if (pod) packed = add(packed, pod.requests);
    }
    rooms.push({ labels: claim.metadata.labels ?? {}, taints: withoutStartupTaint(claim.spec?.taints), free: subtract(allocatableOf(info), packed) });
  }

  const fitting = new Set<string>();
  const candidates = input.pods.filter(p => !p.gang).sort((a, b) => b.requests.gpus - a.requests.gpus || b.requests.cpuMillis - a.requests.cpuMillis);
  for (const pod of candidates) {
    const room = rooms.find(r => fits(pod.requests, r.free) && matchesAnyTerm(r.labels, pod.requirementTerms) && toleratesAll(pod.tolerations, r.taints));
    if (!room) continue;
    room.free = subtract(room.free, pod.requests);
    fitting.add(pod.uid);
  }
  return fitting;
}

function withoutStartupTaint(taints: Taint[] | undefined): Taint[] {
  return (taints ?? []).filter(t => t.key !== FABRIC_STARTUP_TAINT);
}

function add(a: Resources | undefined, b: Resources): Resources {
  const out = { ...b };
  if (a) for (const key of RESOURCE_KEYS) out[key] += a[key];
  return out;
}

function subtract(a: Resources, b: Resources | undefined): Resources {
  const out = { ...a };
  if (b) for (const key of RESOURCE_KEYS) out[key] -= b[key];
  return out;
}
