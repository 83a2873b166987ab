export { AwsClientFactory } from './AwsClientFactory';
export type { AwsClientFactoryOptions } from './AwsClientFactory';
export { describeAzIds } from './describeAzIds';
