import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';
import type { FabricNodeClassSpec } from '../provisioner/types';

/**
 * The slice of Karpenter v1 the fabric writes, field for field as the v1.15.2 CRDs
 * (karpenter.sh_nodepools, karpenter.k8s.aws_ec2nodeclasses) spell it.
 */
export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** `reasons` enum of the NodePool CRD. */
export type DisruptionReason = 'Underutilized' | 'Empty' | 'Drifted' | 'Unhealthy';

export interface DisruptionBudget {
  /** Pattern `^((100|[0-9]{1,2})%|[0-9]+)$`: a count or a percentage, as a string. */
  nodes: string;
  reasons?: DisruptionReason[];
}

/**
 * Which node class a NodePool launches with. Karpenter core acts only on NodePools whose
 * class belongs to its own cloud provider, so the hub's Karpenter takes the EC2NodeClass
 * pools and leaves the FabricNodeClass pools to the fabric provisioner.
 */
export type NodeClassRef =
  | { group: 'karpenter.k8s.aws'; kind: 'EC2NodeClass'; name: string }
  | { group: 'fabric.cloudspectra.io'; kind: 'FabricNodeClass'; name: string };

export interface NodePool {
  apiVersion: 'karpenter.sh/v1';
  kind: 'NodePool';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    template: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        nodeClassRef: NodeClassRef;
        requirements: NodeSelectorRequirement[];
        taints?: Taint[];
        /** Taints the node starts with and its owner removes once the node is set up. */
        startupTaints?: Taint[];
        /** Pattern `^(([0-9]+(s|m|h))+|Never)$`; default 720h. */
        expireAfter?: string;
      };
    };
    /** Quantities as strings (the CRD's int-or-string). */
    limits?: Record<string, string>;
    /** 1..100; higher is tried first. */
    weight?: number;
    disruption?: {
      consolidationPolicy?: 'WhenEmpty' | 'WhenEmptyOrUnderutilized';
      consolidateAfter?: string;
      budgets?: DisruptionBudget[];
    };
  };
}

/** `interfaceType` enum of the EC2NodeClass CRD: the primary must be `interface`. */
export interface NetworkInterface {
  networkCardIndex: number;
  deviceIndex: number;
  interfaceType: 'interface' | 'efa-only';
}

export interface SelectorTerm {
  tags?: Record<string, string>;
  id?: string;
}

export interface EC2NodeClass {
  apiVersion: 'karpenter.k8s.aws/v1';
  kind: 'EC2NodeClass';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    role: string;
    amiSelectorTerms: Array<{ alias: string }>;
    subnetSelectorTerms: SelectorTerm[];
    securityGroupSelectorTerms: SelectorTerm[];
    tags?: Record<string, string>;
    /** Exactly one of name or id; participants of a RAM-shared group must use the id (pattern `^pg-[0-9a-z]+$`). */
    placementGroupSelector?: { name: string } | { id: string };
    networkInterfaces?: NetworkInterface[];
    /** Terms are ORed; `id` (pattern `^cr-[0-9a-z]+$`) cannot be combined with other fields in a term. */
    capacityReservationSelectorTerms?: Array<{ id: string }>;
  };
}

/** A member cell's node class, launched by the fabric provisioner (group `fabric.cloudspectra.io`). */
export interface FabricNodeClass {
  apiVersion: 'fabric.cloudspectra.io/v1alpha1';
  kind: 'FabricNodeClass';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: FabricNodeClassSpec;
}

/**
 * The EFA-only NIC layout for one instance type (docs/aws-facts.md §2.1, §2.2; EC2 UG "maximize
 * network bandwidth … multiple network cards"):
 * - card 0, device 0: the primary. The CRD only accepts `interface` (ENA) there, and an
 *   EFA-only interface can never be primary.
 * - card 0, device 1: `efa-only` when card 0 carries EFA, which is the case when the type
 *   has as many EFA interfaces as cards (p5: 32/32). p6-b300 has 17 cards and 16 EFA:
 *   its card 0 is ENA-only, so it gets none.
 * - cards 1..n−1, device 0: `efa-only` (one EFA per card, as the CRD's CEL rule demands),
 *   never more than the type's maximum EFA count.
 * EFA-only interfaces take no IP, so a 32-card p5 does not burn 32 subnet addresses.
 */
export function efaNetworkInterfaces(info: InstanceTypeInfo): NetworkInterface[] {
  const interfaces: NetworkInterface[] = [{ networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' }];
  let efa = 0;
  const cards = Math.max(1, info.networkCards);
  if (info.maxEfaInterfaces >= cards) {
    interfaces.push({ networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' });
    efa++;
  }
  for (let card = 1; card < cards && efa < info.maxEfaInterfaces; card++) {
    interfaces.push({ networkCardIndex: card, deviceIndex: 0, interfaceType: 'efa-only' });
    efa++;
  }
  return interfaces;
}
