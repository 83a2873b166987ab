import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { CellRef } from '@internal/backstage-plugin-fabric-common';
import type { AccountCredentialsRef } from '../../aws';

/**
 * Where discovery gets its SDK clients. `AwsClientFactory` is the real one; tests wrap it
 * to make one account fail, or hand out clients that aws-sdk-client-mock controls.
 */
export interface DiscoveryClients {
  ec2(cell: CellRef, account: AccountCredentialsRef): EC2Client;
  serviceQuotas(cell: CellRef, account: AccountCredentialsRef): ServiceQuotasClient;
  /**
   * The account's credentials. When given, discovery resolves them before any other
   * call, so a role that cannot be assumed is reported as such rather than as the
   * failure of whichever EC2 call happened to go first.
   */
  credentialsFor?(account: AccountCredentialsRef): AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
}

/**
 * The little logging discovery does. Backstage's `LoggerService` fits it, but the engine
 * imports nothing from Backstage.
 */
export interface DiscoveryLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

export const silentLogger: DiscoveryLogger = { info: () => {}, warn: () => {} };
