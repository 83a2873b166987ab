/**
 * Requests the fabric understands but will not carry out, each with the rule that
 * refuses it. The backend maps a refusal to its HTTP status in one place
 * (`conflict` → 409, `invalid` → 400) instead of matching message text.
 */

/**
 * Every rule that can refuse a request, and whether it is a conflict with the world
 * (409: the request is well-formed but cannot be done, e.g. what EFA cannot do) or an
 * invalid combination of inputs (400).
 * @public
 */
export const REFUSAL_RULES = {
  /** A gang would span AZ-IDs, VPCs or regions; EFA does not route. */
  'efa-locality': 'conflict',
  /** Instance families whose EFA only talks to the same family. */
  'efa-isolated-family': 'conflict',
  /** A type without EFA asked to join an island. */
  'efa-unsupported-type': 'conflict',
  /** The request names nothing the estate can ever hold. */
  'no-capacity-ever': 'conflict',
  /** Plan-only mode: plans are shown, never applied. */
  'plan-only': 'conflict',
  /** Another apply of the same plan is running. */
  'apply-in-progress': 'conflict',
  /** The placement is not placed, so it has no cells to provision. */
  'placement-not-placed': 'conflict',
  /** The inventory snapshot a placement was planned on is no longer stored: plan it again. */
  'inventory-snapshot-gone': 'conflict',
  /** The island has nothing the fabric created. */
  'nothing-to-remove': 'conflict',
  /** Two mesh VPCs overlap and cannot be peered. */
  'cidr-overlap': 'conflict',
  /** An account's peering or route quota would be exceeded. */
  'mesh-quota': 'conflict',
  /** The inputs contradict each other or name something not enrolled. */
  'invalid-request': 'invalid',
} as const;

/** @public */
export type RefusalRule = keyof typeof REFUSAL_RULES;

/**
 * A refusal with its rule id. Thrown by the engine and the backend's services; the
 * backend answers it with 409 or 400 as {@link REFUSAL_RULES} says.
 * @public
 */
export class FabricRefusal extends Error {
  readonly name = 'FabricRefusal';
  constructor(readonly rule: RefusalRule, message: string) {
    super(message);
  }

  /** `conflict` (409) or `invalid` (400). */
  get kind(): 'conflict' | 'invalid' {
    return REFUSAL_RULES[this.rule];
  }
}

/**
 * True for a {@link FabricRefusal}, also across copies of this package (where
 * `instanceof` would fail).
 * @public
 */
export function isFabricRefusal(error: unknown): error is FabricRefusal {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Error).name === 'FabricRefusal' &&
    typeof (error as FabricRefusal).rule === 'string' &&
    (error as FabricRefusal).rule in REFUSAL_RULES
  );
}
