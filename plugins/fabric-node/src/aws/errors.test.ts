import { cellErrorMessage, DiscoveryStepError } from '../discovery/aws/errors';
import {
  awsErrorCode,
  describeAwsError,
  ignoreNotFound,
  isAccessDenied,
  isInsufficientCapacity,
  isNotFound,
  isThrottling,
  oneLineErrorText,
  redactSecrets,
} from './errors';

/** An error as SDK v3 throws it: the code in `name`, the HTTP status in `$metadata`. */
const awsError = (name: string, httpStatusCode = 400) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode } });

describe('cell error messages', () => {
  it('never carry access keys, secrets, tokens or signatures', () => {
    const leaky = [
      'Credential=ASIAY34FZKBOKMUTVV7A/20261129/us-east-1/sts/aws4_request',
      'X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJGMEQ',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'the key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY leaked',
      'AKIAIOSFODNN7EXAMPLE',
    ].join(' | ');
    const clean = redactSecrets(leaky);
    expect(clean).not.toMatch(/ASIAY34|AKIAIOSF|IQoJb3|wJalrXUtn/);
    // ARNs and account ids stay: they are what an operator needs to fix the trust policy.
    expect(redactSecrets('on resource: arn:aws:iam::333333333333:role/fabric-member')).toBe(
      'on resource: arn:aws:iam::333333333333:role/fabric-member',
    );
  });

  it('keep the first line of the message, and say HTTP status for opaque server errors', () => {
    const opaque = Object.assign(new Error('@aws-sdk XML parse error: mismatched tags\n  Deserialization error: see $response'), {
      name: 'Error',
      $metadata: { httpStatusCode: 500 },
    });
    expect(describeAwsError(opaque)).toBe('HTTP 500: @aws-sdk XML parse error: mismatched tags');
    expect(cellErrorMessage(new DiscoveryStepError('ec2:DescribeCapacityReservations in us-east-1', opaque))).toBe(
      'HTTP 500: @aws-sdk XML parse error: mismatched tags (ec2:DescribeCapacityReservations in us-east-1)',
    );
  });

  it('are bounded in length', () => {
    expect(cellErrorMessage(new Error('x'.repeat(5000))).length).toBeLessThanOrEqual(500);
  });
});

describe('AWS error classification', () => {
  it('reads the code from the SDK v3 name or from a Code field', () => {
    expect(awsErrorCode(awsError('InvalidSubnetID.NotFound'))).toBe('InvalidSubnetID.NotFound');
    expect(awsErrorCode({ Code: 'RequestLimitExceeded', name: 'Error' })).toBe('RequestLimitExceeded');
    expect(awsErrorCode('a string')).toBe('');
    expect(awsErrorCode(undefined)).toBe('');
  });

  it('knows not-found answers of EC2, RAM and Service Quotas, and nothing else', () => {
    for (const code of [
      'InvalidSubnetID.NotFound',
      'InvalidGroup.NotFound',
      'InvalidRouteTableID.NotFound',
      'InvalidVpcPeeringConnectionID.NotFound',
      'InvalidLaunchTemplateName.NotFoundException',
      'InvalidPlacementGroup.Unknown',
      'UnknownResourceException',
      'NoSuchResourceException',
    ]) {
      expect([code, isNotFound(awsError(code))]).toEqual([code, true]);
    }
    for (const code of ['InvalidParameterValue', 'DependencyViolation', 'AccessDenied', 'InvalidPermission.Duplicate']) {
      expect([code, isNotFound(awsError(code))]).toEqual([code, false]);
    }
  });

  it('turns only a not-found answer into undefined', async () => {
    await expect(ignoreNotFound(async () => 'deleted')).resolves.toBe('deleted');
    await expect(ignoreNotFound(() => Promise.reject(awsError('InvalidSubnetID.NotFound')))).resolves.toBeUndefined();
    await expect(ignoreNotFound(() => Promise.reject(awsError('DependencyViolation')))).rejects.toThrow(
      'DependencyViolation happened',
    );
  });

  it('tells throttling, insufficient capacity and access denied apart', () => {
    const verdicts = (error: unknown) => ({
      throttling: isThrottling(error),
      capacity: isInsufficientCapacity(error),
      denied: isAccessDenied(error),
    });
    expect(verdicts(awsError('RequestLimitExceeded', 503))).toEqual({ throttling: true, capacity: false, denied: false });
    expect(verdicts(awsError('TooManyRequestsException'))).toEqual({ throttling: true, capacity: false, denied: false });
    expect(verdicts(awsError('SomethingElse', 429))).toEqual({ throttling: true, capacity: false, denied: false });
    for (const code of ['InsufficientInstanceCapacity', 'MaxSpotInstanceCountExceeded', 'VcpuLimitExceeded', 'Unsupported']) {
      expect([code, verdicts(awsError(code))]).toEqual([code, { throttling: false, capacity: true, denied: false }]);
    }
    for (const code of ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']) {
      expect([code, verdicts(awsError(code, 403))]).toEqual([code, { throttling: false, capacity: false, denied: true }]);
    }
    expect(verdicts(awsError('InvalidParameterValue'))).toEqual({ throttling: false, capacity: false, denied: false });
  });

  it('give a step one bounded line that names the code only when there is one', () => {
    expect(oneLineErrorText(awsError('RouteAlreadyExists'))).toBe('RouteAlreadyExists: RouteAlreadyExists happened');
    expect(oneLineErrorText(new Error('plain failure\nwith a second line'))).toBe('plain failure');
    expect(oneLineErrorText(new Error('x'.repeat(5000))).length).toBeLessThanOrEqual(500);
  });
});
