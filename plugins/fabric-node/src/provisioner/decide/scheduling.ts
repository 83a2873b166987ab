import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';
import { NodeSelectorRequirement, Taint } from '../../compile/karpenter';
import { Toleration } from '../../compile/compilePlacement';
import { Resources } from '../types';

/**
 * The Kubernetes scheduling rules the provisioner must agree with, so that a node it
 * launches for a pod is one the kube-scheduler will then bind the pod to.
 */

/** Whether labels satisfy every requirement (one ANDed term). */
export function matchesRequirements(labels: Record<string, string>, requirements: NodeSelectorRequirement[]): boolean {
  for (const requirement of requirements) {
    if (!matchesRequirement(labels, requirement)) return false;
  }
  return true;
}

/** Whether labels satisfy some term; no terms means any node (as the scheduler reads it). */
export function matchesAnyTerm(labels: Record<string, string>, terms: NodeSelectorRequirement[][]): boolean {
  if (terms.length === 0) return true;
  return terms.some(term => matchesRequirements(labels, term));
}

export function matchesRequirement(labels: Record<string, string>, requirement: NodeSelectorRequirement): boolean {
  const value = labels[requirement.key];
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      // The scheduler parses both sides as integers; anything else never matches.
      if (value === undefined || values.length !== 1) return false;
      const actual = Number.parseInt(value, 10);
      const bound = Number.parseInt(values[0], 10);
      if (Number.isNaN(actual) || Number.isNaN(bound)) return false;
      return requirement.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

/**
 * Whether the tolerations let a pod onto a node with these taints. `PreferNoSchedule` is
 * a preference the scheduler may ignore, so only `NoSchedule` and `NoExecute` must be
 * tolerated.
 */
export function toleratesAll(tolerations: Toleration[], taints: Taint[]): boolean {
  return taints.every(taint => taint.effect === 'PreferNoSchedule' || tolerations.some(t => tolerates(t, taint)));
}

export function untoleratedTaints(tolerations: Toleration[], taints: Taint[]): Taint[] {
  return taints.filter(taint => taint.effect !== 'PreferNoSchedule' && !tolerations.some(t => tolerates(t, taint)));
}

function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  // An empty key with Exists tolerates every taint.
  if (!toleration.key) return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  return toleration.operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}

export function formatTaint(taint: Taint): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
}

export function formatRequirement(requirement: NodeSelectorRequirement): string {
  const values = requirement.values?.length ? ` [${requirement.values.join(', ')}]` : '';
  return `${requirement.key} ${requirement.operator}${values}`;
}

/** Most pods a node runs: the kubelet default Karpenter also assumes without ENI limits. */
export const MAX_PODS_PER_NODE = 110;

/**
 * What a node of this type offers pods once the kubelet and the system have taken their
 * share, with the same formulas the EKS AMIs and Karpenter's AWS provider use:
 * - CPU (kube-reserved): 6 % of the first core, 1 % of the second, 0.5 % of cores 3–4 and
 *   0.25 % of every core above 4;
 * - memory: kube-reserved `11 MiB × max pods + 255 MiB`, plus the kubelet's default hard
 *   eviction threshold of 100 MiB; system-reserved is left at 0, as on EKS.
 * Accelerators and EFA interfaces are not reserved: device plugins advertise them whole.
 */
export function allocatableOf(info: InstanceTypeInfo): Resources {
  const cores = info.vcpus;
  let reservedMillis = 0;
  reservedMillis += Math.min(cores, 1) * 60;
  reservedMillis += Math.min(Math.max(cores - 1, 0), 1) * 10;
  reservedMillis += Math.min(Math.max(cores - 2, 0), 2) * 5;
  reservedMillis += Math.max(cores - 4, 0) * 2.5;
  const reservedMemoryMiB = 11 * MAX_PODS_PER_NODE + 255 + 100;
  const isNeuron = /trainium|inferentia/i.test(info.acceleratorName) || info.acceleratorManufacturer === 'AWS';
  return {
    cpuMillis: Math.floor(cores * 1000 - reservedMillis),
    memoryMiB: Math.max(0, info.memoryMiB - reservedMemoryMiB),
    gpus: !isNeuron && info.acceleratorManufacturer === 'NVIDIA' ? info.acceleratorCount : 0,
    neuron: isNeuron ? info.acceleratorCount : 0,
    efa: info.efaSupported ? info.maxEfaInterfaces : 0,
    pods: MAX_PODS_PER_NODE,
  };
}

/** What a node of this type counts against NodePool limits: its capacity, as in Karpenter. */
export function capacityOf(info: InstanceTypeInfo): Resources {
  const allocatable = allocatableOf(info);
  return { ...allocatable, cpuMillis: info.vcpus * 1000, memoryMiB: info.memoryMiB };
}

export const RESOURCE_KEYS = ['cpuMillis', 'memoryMiB', 'gpus', 'neuron', 'efa', 'pods'] as const;

export function emptyResources(): Resources {
  return { cpuMillis: 0, memoryMiB: 0, gpus: 0, neuron: 0, efa: 0, pods: 0 };
}

export function addResources(a: Resources, b: Resources): Resources {
  return {
    cpuMillis: a.cpuMillis + b.cpuMillis,
    memoryMiB: a.memoryMiB + b.memoryMiB,
    gpus: a.gpus + b.gpus,
    neuron: a.neuron + b.neuron,
    efa: a.efa + b.efa,
    pods: a.pods + b.pods,
  };
}

export function fits(requests: Resources, allocatable: Resources): boolean {
  return (
    requests.cpuMillis <= allocatable.cpuMillis &&
    requests.memoryMiB <= allocatable.memoryMiB &&
    requests.gpus <= allocatable.gpus &&
    requests.neuron <= allocatable.neuron &&
    requests.efa <= allocatable.efa &&
    requests.pods <= allocatable.pods
  );
}

/** Resource names as Kubernetes spells them, for reasons people read. */
export const RESOURCE_NAMES: Record<(typeof RESOURCE_KEYS)[number], string> = {
  cpuMillis: 'cpu (millicores)',
  memoryMiB: 'memory (MiB)',
  gpus: 'nvidia.com/gpu',
  neuron: 'aws.amazon.com/neuron',
  efa: 'vpc.amazonaws.com/efa',
  pods: 'pods',
};
