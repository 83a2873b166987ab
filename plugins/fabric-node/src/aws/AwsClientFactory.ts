import { EC2Client } from '@aws-sdk/client-ec2';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { EstateAccount } from '../estate';

/** How the fabric reaches AWS. */
export interface AwsClientFactoryOptions {
  /** Overrides every endpoint: a private endpoint, or moto in tests. */
  endpoint?: string;
  /** Credentials of the hub identity; the default chain when omitted. */
  hubCredentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Attempts per call; the SDK's adaptive mode backs off on throttling. */
  maxAttempts?: number;
  /** Shown in CloudTrail as the role session name of every assumed session. */
  sessionName?: string;
}

/**
 * Builds one SDK client per cell, with credentials for the cell's account: the hub's
 * own identity, or an assumed role (with ExternalId when configured). Providers are
 * cached per account; the SDK refreshes them before they expire.
 */
export class AwsClientFactory {
  private readonly credentials = new Map<string, AwsCredentialIdentityProvider | AwsCredentialIdentity | undefined>();
  private readonly ec2Clients = new Map<string, EC2Client>();

  constructor(private readonly options: AwsClientFactoryOptions = {}) {}

  /** Credentials for an enrolled account. */
  credentialsFor(account: Pick<EstateAccount, 'id' | 'roleArn' | 'externalId'>) {
    if (!this.credentials.has(account.id)) {
      this.credentials.set(
        account.id,
        account.roleArn
          ? fromTemporaryCredentials({
              params: {
                RoleArn: account.roleArn,
                RoleSessionName: this.options.sessionName ?? 'cloudspectra-fabric',
                ExternalId: account.externalId,
                DurationSeconds: 3600,
              },
              masterCredentials: this.options.hubCredentials,
              clientConfig: {
                endpoint: this.options.endpoint,
                maxAttempts: this.options.maxAttempts,
                // STS is regional; the hub's default region signs the call.
                region: 'us-east-1',
              },
            })
          : this.options.hubCredentials,
      );
    }
    return this.credentials.get(account.id);
  }

  /** The EC2 client of one cell. */
  ec2(cell: CellRef, account: Pick<EstateAccount, 'id' | 'roleArn' | 'externalId'>): EC2Client {
    const key = `${cell.accountId}/${cell.region}`;
    let client = this.ec2Clients.get(key);
    if (!client) {
      client = new EC2Client({
        region: cell.region,
        endpoint: this.options.endpoint,
        credentials: this.credentialsFor(account),
        maxAttempts: this.options.maxAttempts ?? 5,
        retryMode: 'adaptive',
      });
      this.ec2Clients.set(key, client);
    }
    return client;
  }

  /** Closes every client's sockets. */
  destroy(): void {
    for (const client of this.ec2Clients.values()) client.destroy();
    this.ec2Clients.clear();
  }
}
