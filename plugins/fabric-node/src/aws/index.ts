export { AwsClientFactory } from './AwsClientFactory';
export type { AwsClientFactoryOptions, AccountCredentialsRef } from './AwsClientFactory';
export { systemClock } from './clock';
export type { FabricClock } from './clock';
export { cacheCredentials } from './cachedCredentials';
export { TokenBucket, TokenBucketLimiter, EC2_NON_MUTATING_BUCKET } from './TokenBucketLimiter';
export type { TokenBucketOptions, RequestLimiter } from './TokenBucketLimiter';
export {
  AwsRateLimits,
  EC2_MUTATING_BUCKET,
  EC2_RUN_INSTANCES_BUCKET,
  EC2_INSTANCE_LAUNCH_BUCKET,
  EC2_INSTANCE_TERMINATE_BUCKET,
} from './AwsRateLimits';
export type { AwsRateLimitBucket, AwsRateLimitsOptions } from './AwsRateLimits';
export {
  awsErrorCode,
  isNotFound,
  ignoreNotFound,
  isThrottling,
  isInsufficientCapacity,
  INSUFFICIENT_CAPACITY_CODES,
  isAccessDenied,
  redactSecrets,
  describeAwsError,
  oneLineErrorText,
} from './errors';
export { collectPages, collectCamelCasePages, chunked, FILTER_VALUES_PER_REQUEST } from './paginate';
export { ramApiOf } from './ram';
export type {
  RamApi,
  RamTag,
  RamResourceShare,
  RamResourceShareStatus,
  RamAssociationStatus,
  RamResourceShareAssociation,
  CreateResourceShareInput,
  GetResourceSharesInput,
  GetResourceShareAssociationsInput,
} from './ram';
export { ec2Arn, partitionOf } from './arns';
