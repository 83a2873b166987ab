import { createHash } from 'node:crypto';
import { FABRIC_LABEL_PREFIX } from '@internal/backstage-plugin-fabric-common';
import { Plan } from './types';

/** Tag keys on every AWS resource a plan creates. */
export const FABRIC_TAG_KEYS = {
  plan: `${FABRIC_LABEL_PREFIX}/plan`,
  owner: `${FABRIC_LABEL_PREFIX}/owner`,
  managedBy: `${FABRIC_LABEL_PREFIX}/managed-by`,
  step: `${FABRIC_LABEL_PREFIX}/step`,
} as const;

/** Value of `fabric.cloudspectra.io/managed-by`. */
export const FABRIC_MANAGED_BY = 'cloudspectra-fabric';

/** An AWS tag. */
export interface AwsTag {
  Key: string;
  Value: string;
}

/** The tags a step puts on what it creates. */
export function fabricTags(plan: Pick<Plan, 'id' | 'owner'>, stepKey: string): AwsTag[] {
  return [
    { Key: FABRIC_TAG_KEYS.plan, Value: plan.id },
    { Key: FABRIC_TAG_KEYS.owner, Value: plan.owner },
    { Key: FABRIC_TAG_KEYS.managedBy, Value: FABRIC_MANAGED_BY },
    { Key: FABRIC_TAG_KEYS.step, Value: stepKey },
  ];
}

/**
 * Whether tags prove that this very step of this plan created the resource: a run whose
 * response (or checkpoint) was lost. Another plan's resource, even with the same step
 * key, is pre-existing to this one: ownership stays with the plan that made it, so each
 * plan's destroy removes exactly its own work (a peering and its routes together).
 */
export function isTaggedByStep(
  tags: Array<{ Key?: string; Value?: string }> | undefined,
  plan: Pick<Plan, 'id' | 'owner'>,
  stepKey: string,
): boolean {
  const value = (key: string) => tags?.find(t => t.Key === key)?.Value;
  return (
    value(FABRIC_TAG_KEYS.managedBy) === FABRIC_MANAGED_BY &&
    value(FABRIC_TAG_KEYS.plan) === plan.id &&
    value(FABRIC_TAG_KEYS.step) === stepKey &&
    value(FABRIC_TAG_KEYS.owner) === plan.owner
  );
}

/**
 * EC2 `ClientToken` for a step (at most 64 ASCII characters). Derived from the plan id
 * and the step key, so a retried or resumed step repeats its token and EC2 returns the
 * resource of the first call, while a later plan (after a destroy) gets fresh tokens.
 */
export function clientTokenFor(planId: string, stepKey: string): string {
  const digest = createHash('sha256').update(`${planId}\u0000${stepKey}`).digest('hex');
  return `fabric-${digest.slice(0, 48)}`;
}
