/**
 * What an AWS failure means, in one place: its error code, whether it says "not found",
 * "slow down", "no capacity" or "not allowed", and its text made safe to show people.
 * Discovery, the mesh and the islands all classify failures through these, so a code
 * AWS adds is taught to the fabric once.
 */

interface AwsErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function shapeOf(error: unknown): AwsErrorShape {
  return (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
}

/**
 * The AWS error code (`InvalidSubnetID.NotFound`, `RequestLimitExceeded`, …), or `''`
 * for something that is not an AWS error. SDK v3 puts the code in `name`; errors that
 * came through other clients (and moto's) may carry it as `Code`.
 */
export function awsErrorCode(error: unknown): string {
  const shape = shapeOf(error);
  return shape.Code ?? shape.name ?? '';
}

/** Codes that say "not found" without following the `…NotFound` naming. */
const NOT_FOUND_CODES = new Set([
  // EC2 placement groups.
  'InvalidPlacementGroup.Unknown',
  // RAM.
  'UnknownResourceException',
  // Service Quotas: the quota has no applied value.
  'NoSuchResourceException',
  'ResourceNotFoundException',
]);

/**
 * Whether AWS says the resource is not there: `InvalidSubnetID.NotFound`,
 * `InvalidLaunchTemplateName.NotFoundException`, `InvalidPlacementGroup.Unknown`, RAM's
 * `UnknownResourceException`. A delete that meets one has nothing left to do.
 */
export function isNotFound(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code.endsWith('NotFound') || code.endsWith('.NotFoundException') || NOT_FOUND_CODES.has(code);
}

/** Runs the call; a not-found answer becomes `undefined` instead of an error. */
export async function ignoreNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Codes of throttling: the call was refused because of its rate, not its content, and
 * may be retried later (docs/aws-facts.md §9). EC2 says `RequestLimitExceeded`; other
 * services say `Throttling` or `ThrottlingException`, RAM and Service Quotas
 * `TooManyRequestsException`.
 */
const THROTTLING_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'EC2ThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
]);

/** Whether AWS refused the call because of its rate. */
export function isThrottling(error: unknown): boolean {
  return THROTTLING_CODES.has(awsErrorCode(error)) || shapeOf(error).$metadata?.httpStatusCode === 429;
}

/**
 * Codes that say the capacity asked for cannot be had now: no instances of the type in
 * the AZ (ICE), a full reservation, the account's spot or vCPU limit, or a type the AZ
 * does not offer. The same set Karpenter's AWS provider treats as unfulfillable
 * capacity; the solver skips such an offering for a while instead of retrying it.
 */
export const INSUFFICIENT_CAPACITY_CODES = [
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'ReservationCapacityExceeded',
  'MaxSpotInstanceCountExceeded',
  'VcpuLimitExceeded',
  'UnfulfillableCapacity',
  'Unsupported',
] as const;

/** Whether a launch failed for lack of capacity (or of quota) rather than a bad request. */
export function isInsufficientCapacity(error: unknown): boolean {
  return (INSUFFICIENT_CAPACITY_CODES as readonly string[]).includes(awsErrorCode(error));
}

/** Codes of a caller that may not do what it asked: IAM, SCPs, or an unassumable role. */
const ACCESS_DENIED_CODES = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

/** Whether AWS refused the call for lack of permission. */
export function isAccessDenied(error: unknown): boolean {
  return ACCESS_DENIED_CODES.has(awsErrorCode(error));
}

const secretPatterns: Array<[RegExp, string]> = [
  // Access key ids: long-term (AKIA) and temporary (ASIA).
  [/\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b/g, '[redacted-access-key]'],
  [/\b(X-Amz-Security-Token|SessionToken|SecretAccessKey|aws_secret_access_key|X-Amz-Signature|Signature|Credential)\s*[=:]\s*"?[^\s&",;]+/gi, '$1=[redacted]'],
  // A bare secret access key: 40 characters of base64 mixing cases and digits.
  [/(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*\d)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g, '[redacted]'],
];

/**
 * Removes anything that looks like a credential from text meant for people. Error text
 * is shown in the portal and stored in the database; signature-mismatch errors, for
 * example, echo the request's credential scope.
 */
export function redactSecrets(text: string): string {
  return secretPatterns.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/**
 * Only the first line of a message is kept: the SDK appends multi-line hints to
 * deserialization errors (an HTML 500 page from a proxy, or moto's unimplemented calls).
 */
function firstLine(error: unknown): string {
  return (shapeOf(error).message ?? String(error)).split('\n')[0].trim();
}

/** `HTTP 500` for an opaque server error that has no code of its own. */
function opaqueServerError(error: unknown): string | undefined {
  const status = shapeOf(error).$metadata?.httpStatusCode;
  return status && status >= 500 ? `HTTP ${status}` : undefined;
}

/**
 * `AccessDenied: User: … is not authorized to perform: sts:AssumeRole on resource: …`:
 * always the code (or `Error`) and the first line of the message, redacted.
 */
export function describeAwsError(error: unknown): string {
  const shape = shapeOf(error);
  let name = shape.Code ?? shape.name ?? 'Error';
  if (name === 'Error' || name === 'SyntaxError') name = opaqueServerError(error) ?? name;
  const message = firstLine(error);
  return redactSecrets(message ? `${name}: ${message}` : name);
}

const MAX_STEP_ERROR_LENGTH = 500;

/**
 * `RouteAlreadyExists: The route identified by 10.65.0.0/16 already exists.` The text is
 * stored with a plan step and shown to people, so it keeps one bounded line, names the
 * code only when there is one, and never carries a credential.
 */
export function oneLineErrorText(error: unknown): string {
  const shape = shapeOf(error);
  const message = firstLine(error);
  let name = shape.Code ?? shape.name;
  if (name === 'Error' || name === 'SyntaxError') name = opaqueServerError(error);
  const text = name && name !== message ? `${name}: ${message}` : message;
  return redactSecrets(
    text.length > MAX_STEP_ERROR_LENGTH ? `${text.slice(0, MAX_STEP_ERROR_LENGTH - 1)}…` : text,
  );
}
