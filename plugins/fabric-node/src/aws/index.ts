export { AwsClientFactory } from './AwsClientFactory';
export type { AwsClientFactoryOptions, AccountCredentialsRef } from './AwsClientFactory';
export { describeAzIds } from './describeAzIds';
export { systemClock } from './clock';
export type { FabricClock } from './clock';
export { cacheCredentials } from './cachedCredentials';
export { TokenBucket, TokenBucketLimiter, EC2_NON_MUTATING_BUCKET } from './TokenBucketLimiter';
export type { TokenBucketOptions, RequestLimiter } from './TokenBucketLimiter';
