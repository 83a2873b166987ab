import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { classifyLaunchFailure } from './launchClaims';

/** An error as the SDK throws it for an EC2 error response: the code is the name. */
function thrown(code: string, httpStatusCode = 400) {
  return new EC2ServiceException({ name: code, $fault: 'client', $metadata: { httpStatusCode }, message: `${code} (test)` });
}

describe('classifyLaunchFailure', () => {
  it.each([
    ['InsufficientInstanceCapacity', 'insufficient-capacity'],
    ['MaxSpotInstanceCountExceeded', 'insufficient-capacity'],
    ['VcpuLimitExceeded', 'insufficient-capacity'],
    ['Unsupported', 'insufficient-capacity'],
    ['RequestLimitExceeded', 'throttled'],
    ['UnauthorizedOperation', 'access-denied'],
    ['AccessDenied', 'access-denied'],
    ['InvalidSubnetID.NotFound', 'failed'],
  ])('reads %s, thrown or in a fleet\'s Errors, as %s', (code, kind) => {
    expect(classifyLaunchFailure(thrown(code))).toBe(kind);
    expect(classifyLaunchFailure({ ErrorCode: code, ErrorMessage: 'from CreateFleet Errors', Lifecycle: 'spot' })).toBe(kind);
  });

  it('reads an HTTP 429 without a code as throttling', () => {
    expect(classifyLaunchFailure(thrown('Error', 429))).toBe('throttled');
  });
});
