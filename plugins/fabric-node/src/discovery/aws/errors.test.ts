import { cellErrorMessage, describeAwsError, DiscoveryStepError, redactSecrets } from './errors';

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
