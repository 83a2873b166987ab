import { FabricRefusal, Placement } from '@internal/backstage-plugin-fabric-common';

/**
 * The engine answers what it refuses with a verdict (rule id and reasons) rather than by
 * throwing; these turn a verdict into the typed refusal the routes answer with 409 or 400.
 */

/** An island the engine refused, with the rule its validation named. */
export function islandRefusal(verdict: { rule: FabricRefusal['rule']; reasons: string[] }): FabricRefusal {
  return new FabricRefusal(verdict.rule, `Island refused: ${verdict.reasons.join('; ')}`);
}

/** A placement the guardrails refused: what EFA cannot do is a conflict. */
export function placementRefusal(placement: Placement): FabricRefusal {
  return new FabricRefusal(
    placement.refusalRule ?? 'efa-locality',
    `Placement refused: ${placement.refusal ?? placement.reasons.join(' ')}`,
  );
}
