import { z } from 'zod';

/**
 * The identifiers every fabric surface accepts, defined once so the REST API, the
 * scaffolder actions, the CLI and the engine accept and refuse exactly the same inputs.
 */

/**
 * An AZ-ID (`use1-az4`, `apne1-az1`): the physical zone, the same in every account.
 * AZ *names* (`us-east-1a`) are mapped to different physical zones per account, so no
 * decision is keyed on them (docs/aws-facts.md, "AZ-IDs").
 * @public
 */
export const AZ_ID_PATTERN = /^[a-z]{2,5}\d+-az\d+$/;

/** A commercial or GovCloud region name such as `us-east-1`. @public */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** A 12-digit AWS account id. @public */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/** A full catalog entity reference, `kind:namespace/name`. @public */
export const ENTITY_REF_PATTERN = /^[A-Za-z][A-Za-z0-9-]*:[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9][-A-Za-z0-9_.]*$/;

/** An EC2 instance type such as `p5.48xlarge`. @public */
export const INSTANCE_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;

/** An EC2 instance family as AWS prices and quotas it: `p5`, `g6e`, `trn1`. @public */
export const INSTANCE_FAMILY_PATTERN = /^[a-z][a-z0-9-]*$/;

/** One end of a mesh flow: `<account>/<region>/<AZ-ID>`. @public */
export const MESH_ENDPOINT_PATTERN = new RegExp(
  `^${ACCOUNT_ID_PATTERN.source.slice(1, -1)}/${REGION_PATTERN.source.slice(1, -1)}/${AZ_ID_PATTERN.source.slice(1, -1)}$`,
);

/** True for an AZ-ID, false for an AZ name or anything else. @public */
export function isAzId(value: unknown): value is string {
  return typeof value === 'string' && AZ_ID_PATTERN.test(value);
}

/** The messages every surface uses for these identifiers. @public */
export const IDENTIFIER_MESSAGES = {
  azId: 'must be an AZ-ID such as use1-az4 (not an AZ name)',
  region: 'must be a region name such as us-east-1',
  accountId: 'must be a 12-digit AWS account id',
  entityRef: 'must be an entity reference in the form kind:namespace/name, e.g. component:default/trainer',
  instanceType: 'must be an instance type such as p5.48xlarge',
  instanceFamily: 'must be an instance family such as p5 or g6e',
  meshEndpoint: 'must be <account>/<region>/<AZ-ID>, e.g. 222222222222/us-east-1/use1-az4',
} as const;

const patterned = (pattern: RegExp, message: string) =>
  z.string({ required_error: 'is required', invalid_type_error: message }).regex(pattern, { message });

/** @public */
export const azIdSchema = patterned(AZ_ID_PATTERN, IDENTIFIER_MESSAGES.azId);
/** @public */
export const regionSchema = patterned(REGION_PATTERN, IDENTIFIER_MESSAGES.region);
/** @public */
export const accountIdSchema = patterned(ACCOUNT_ID_PATTERN, IDENTIFIER_MESSAGES.accountId);
/** @public */
export const entityRefSchema = patterned(ENTITY_REF_PATTERN, IDENTIFIER_MESSAGES.entityRef);
/** @public */
export const instanceTypeSchema = patterned(INSTANCE_TYPE_PATTERN, IDENTIFIER_MESSAGES.instanceType);
/** @public */
export const instanceFamilySchema = patterned(INSTANCE_FAMILY_PATTERN, IDENTIFIER_MESSAGES.instanceFamily);
/** @public */
export const meshEndpointSchema = patterned(MESH_ENDPOINT_PATTERN, IDENTIFIER_MESSAGES.meshEndpoint);

/**
 * The one rule behind every EFA refusal. EFA's SRD traffic is not IP-routed: it stays in
 * one AZ and one VPC, so neither VPC peering nor a Transit Gateway carries it
 * (docs/aws-facts.md, "EFA").
 * @public
 */
export const EFA_LOCALITY_RULE =
  'EFA traffic is not routable across AZs, VPCs or regions, and the peering mesh (or a Transit Gateway) never carries EFA, so a tightly-coupled gang must run in exactly one AZ-ID';
