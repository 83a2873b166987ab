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

  it('reads a call that may have acted without saying so as unconfirmed', () => {
    expect(classifyLaunchFailure(thrown('InternalError', 500))).toBe('unconfirmed');
    expect(classifyLaunchFailure(thrown('Unavailable', 503))).toBe('unconfirmed');
    expect(classifyLaunchFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('unconfirmed');
    expect(classifyLaunchFailure(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toBe('unconfirmed');
    // An error of the fabric's own (no AWS call behind it) and a 4xx refusal are failures.
    expect(classifyLaunchFailure(new Error('launch template fabric-x not found'))).toBe('failed');
    expect(classifyLaunchFailure(thrown('InvalidParameterValue', 400))).toBe('failed');
    // A capacity error that EC2 answers with HTTP 500 (RunInstances) is still capacity.
    expect(classifyLaunchFailure(thrown('InsufficientInstanceCapacity', 500))).toBe('insufficient-capacity');
  });
});
