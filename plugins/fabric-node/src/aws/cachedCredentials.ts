import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { FabricClock, systemClock } from './clock';

/**
 * Refresh this long before expiry. The SDK's own per-client cache asks again 5 minutes
 * before expiry; refreshing earlier guarantees it never receives credentials that its
 * cache would immediately consider stale.
 */
const REFRESH_BEFORE_EXPIRY_MS = 10 * 60_000;

/**
 * Shares one credential provider's result across every client that uses it.
 * `fromTemporaryCredentials` calls STS AssumeRole on every invocation and each SDK client
 * caches only for itself, so without this an account with N regions would assume its role
 * 2N times per scan (an EC2 and a Service Quotas client per cell). Concurrent callers
 * share the call in flight; failures are not cached, so the next scan tries again.
 */
export function cacheCredentials(
  provider: AwsCredentialIdentityProvider,
  clock: FabricClock = systemClock,
): AwsCredentialIdentityProvider {
  let current: AwsCredentialIdentity | undefined;
  let inFlight: Promise<AwsCredentialIdentity> | undefined;

  const fresh = (identity: AwsCredentialIdentity | undefined): identity is AwsCredentialIdentity =>
    !!identity &&
    (!identity.expiration || identity.expiration.getTime() - clock.now() > REFRESH_BEFORE_EXPIRY_MS);

  return async properties => {
    if (fresh(current)) return current;
    if (!inFlight) {
      inFlight = provider(properties)
        .then(identity => {
          current = identity;
          return identity;
        })
        .finally(() => {
          inFlight = undefined;
        });
    }
    return inFlight;
  };
}
