import { CapacityType, CellRef } from '@internal/backstage-plugin-fabric-common';
import { CAPACITY_TYPE_LABEL, CELL_LABEL, INSTANCE_TYPE_LABEL } from '../../compile/labels';
import { KubeObject } from '../../kubernetes/KubernetesClient';
import { conditionOf } from '../cluster/conditions';
import { CLAIM_CONDITIONS, GANG_LABEL, instanceIdOf, podsOfClaim } from '../cluster/nodeClaims';
import { FABRIC_LABEL_PREFIX } from '@internal/backstage-plugin-fabric-common';
import { NodeClaimDecision, NODEPOOL_TAG } from '../types';

/**
 * The decision a claim was created for, kept on the claim itself. A provisioner that
 * restarts (or a standby that takes over) relaunches an unlaunched claim from it with the
 * same ClientToken, so a launch cut short by a crash is finished, never doubled.
 */
export const CLAIM_DECISION_ANNOTATION = `${FABRIC_LABEL_PREFIX}/decision`;

export function decisionOfClaim(claim: KubeObject): NodeClaimDecision | undefined {
  const raw = claim.metadata.annotations?.[CLAIM_DECISION_ANNOTATION];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as NodeClaimDecision;
  } catch {
    return undefined;
  }
}

/** `<account>.<region>` back to a cell. */
export function cellOfClaim(claim: KubeObject): CellRef | undefined {
  const value = claim.metadata.labels?.[CELL_LABEL];
  const match = value ? /^(\d{12})\.([a-z0-9-]+)$/.exec(value) : null;
  return match ? { accountId: match[1], region: match[2] } : decisionOfClaim(claim)?.cell;
}

export function isLaunched(claim: KubeObject): boolean {
  return conditionOf(claim, CLAIM_CONDITIONS.launched)?.status === 'True' && !!instanceIdOf(claim.status?.providerID);
}

export function isReady(claim: KubeObject): boolean {
  return conditionOf(claim, CLAIM_CONDITIONS.ready)?.status === 'True';
}

/** When the claim became Ready, if it is. */
export function readySince(claim: KubeObject): number | undefined {
  const ready = conditionOf(claim, CLAIM_CONDITIONS.ready);
  return ready?.status === 'True' && ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : undefined;
}

export function isDeleting(claim: KubeObject): boolean {
  return !!claim.metadata.deletionTimestamp;
}

export function gangOfClaim(claim: KubeObject): string | undefined {
  return claim.metadata.labels?.[GANG_LABEL];
}

export function instanceTypeOfClaim(claim: KubeObject): string | undefined {
  return claim.metadata.labels?.[INSTANCE_TYPE_LABEL] ?? decisionOfClaim(claim)?.offerings[0]?.instanceType;
}

export function capacityTypeOfClaim(claim: KubeObject): CapacityType | undefined {
  return (claim.metadata.labels?.[CAPACITY_TYPE_LABEL] as CapacityType | undefined) ?? decisionOfClaim(claim)?.offerings[0]?.capacityType;
}

export function nodePoolOfClaim(claim: KubeObject): string | undefined {
  return claim.metadata.labels?.[NODEPOOL_TAG];
}

export { podsOfClaim };
