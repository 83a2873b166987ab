import { describeAwsError, redactSecrets } from '../../aws/errors';

/** A cell's `error` is shown in one line of the portal and stored in the database. */
const MAX_CELL_ERROR_LENGTH = 500;

/**
 * A failure pinned to the discovery step that caused it, so a cell's error says what it
 * was doing: `(sts:AssumeRole on arn:aws:iam::…)` or `(ec2:DescribeInstanceTypes in us-east-1)`.
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
  return clean.length > MAX_CELL_ERROR_LENGTH ? `${clean.slice(0, MAX_CELL_ERROR_LENGTH - 1)}…` : clean;
}
