import { FabricRefusal, Placement, RefusalRule } from '@internal/backstage-plugin-fabric-common';
import { EFA_SINGLE_AZ_REASON } from '@internal/backstage-plugin-fabric-node';

/**
 * Turns the engine's refusals, which are sentences today, into typed refusals with the
 * rule they break. This is the only place that reads a refusal's words: once the engine
 * returns rule ids with its verdicts, these become a pass-through.
 */

/** An island the engine refused: EFA locality is a conflict, anything else bad input. */
export function islandRefusal(reasons: string[]): FabricRefusal {
  const rule: RefusalRule = reasons.some(r => r.includes(EFA_SINGLE_AZ_REASON)) ? 'efa-locality' : 'invalid-request';
  return new FabricRefusal(rule, `Island refused: ${reasons.join('; ')}`);
}

/**
 * A placement the guardrails refused. Every guardrail refuses what EFA cannot do: a
 * tightly-coupled gang spread over several AZ-IDs, or one on types without EFA.
 */
export function placementRefusal(placement: Placement): FabricRefusal {
  const { minAzIds } = placement.request;
  const rule: RefusalRule = minAzIds !== undefined && minAzIds > 1 ? 'efa-locality' : 'efa-unsupported-type';
  return new FabricRefusal(rule, `Placement refused: ${placement.refusal ?? placement.reasons.join(' ')}`);
}
