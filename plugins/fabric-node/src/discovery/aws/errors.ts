/**
 * Turning AWS failures into the one-line `error` a cell carries. The text is shown to
 * people in the portal and stored in the database, so it must never carry credentials:
 * signature-mismatch errors, for example, echo the request's credential scope.
 */

const MAX_ERROR_LENGTH = 500;

const secretPatterns: Array<[RegExp, string]> = [
  // Access key ids: long-term (AKIA) and temporary (ASIA).
  [/\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b/g, '[redacted-access-key]'],
  [/\b(X-Amz-Security-Token|SessionToken|SecretAccessKey|aws_secret_access_key|X-Amz-Signature|Signature|Credential)\s*[=:]\s*"?[^\s&",;]+/gi, '$1=[redacted]'],
  // A bare secret access key: 40 characters of base64 mixing cases and digits.
  [/(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*\d)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g, '[redacted]'],
];

/** Removes anything that looks like a credential from text meant for people. */
export function redactSecrets(text: string): string {
  return secretPatterns.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

interface AwsErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * `AccessDenied: User: … is not authorized to perform: sts:AssumeRole on resource: …`.
 * Only the first line of the message is kept: the SDK appends multi-line hints to
 * deserialization errors (an HTML 500 page from a proxy, or moto's unimplemented calls).
 */
export function describeAwsError(error: unknown): string {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  let name = shape.Code ?? shape.name ?? 'Error';
  const status = shape.$metadata?.httpStatusCode;
  if (status && status >= 500 && (name === 'Error' || name === 'SyntaxError')) {
    name = `HTTP ${status}`;
  }
  const message = (shape.message ?? String(error)).split('\n')[0].trim();
  return redactSecrets(message ? `${name}: ${message}` : name);
}

/**
 * A failure pinned to the step that caused it, so a cell's error says what it was doing:
 * `(sts:AssumeRole on arn:aws:iam::…)` or `(ec2:DescribeInstanceTypes in us-east-1)`.
 */
export class DiscoveryStepError extends Error {
  constructor(readonly step: string, readonly cause: unknown) {
    super(`${describeAwsError(cause)} (${step})`);
    this.name = 'DiscoveryStepError';
  }
}

/** The readable, redacted, bounded `error` of a failed cell. */
export function cellErrorMessage(error: unknown): string {
  const text = error instanceof DiscoveryStepError ? error.message : describeAwsError(error);
  const clean = redactSecrets(text);
  return clean.length > MAX_ERROR_LENGTH ? `${clean.slice(0, MAX_ERROR_LENGTH - 1)}…` : clean;
}
