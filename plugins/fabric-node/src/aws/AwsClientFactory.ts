import { EC2Client } from '@aws-sdk/client-ec2';
import { RAMClient } from '@aws-sdk/client-ram';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { CellRef, cellId } from '@internal/backstage-plugin-fabric-common';
import { EstateAccount } from '../estate';
import { cacheCredentials } from './cachedCredentials';
import { FabricClock, systemClock } from './clock';
import { RamApi, ramApiOf } from './ram';

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
  /** Decides when cached assumed-role credentials are refreshed. */
  clock?: FabricClock;
}

/** The account fields a client needs: who it is and how to become it. */
export type AccountCredentialsRef = Pick<EstateAccount, 'id' | 'roleArn' | 'externalId'>;

/**
 * Builds one SDK client per cell and service, with credentials for the cell's account:
 * the hub's own identity, or an assumed role (with ExternalId when configured). Assumed
 * credentials are cached per account and shared by all of its clients, and refreshed
 * before they expire. Clients retry in adaptive mode, which also slows down client-side
 * once AWS starts throttling.
 */
export class AwsClientFactory {
  private readonly credentials = new Map<string, AwsCredentialIdentityProvider | AwsCredentialIdentity | undefined>();
  private readonly ec2Clients = new Map<string, EC2Client>();
  private readonly serviceQuotasClients = new Map<string, ServiceQuotasClient>();
  private readonly ramClients = new Map<string, RAMClient>();

  constructor(private readonly options: AwsClientFactoryOptions = {}) {}

  /** Credentials for an enrolled account. */
  credentialsFor(account: AccountCredentialsRef) {
    if (!this.credentials.has(account.id)) {
      this.credentials.set(
        account.id,
        account.roleArn
          ? this.assumeRole(account.roleArn, account.externalId)
          : this.options.hubCredentials,
      );
    }
    return this.credentials.get(account.id);
  }

  /** The EC2 client of one cell. */
  ec2(cell: CellRef, account: AccountCredentialsRef): EC2Client {
    return this.cached(this.ec2Clients, cell, () => new EC2Client(this.clientConfig(cell, account)));
  }

  /** The Service Quotas client of one cell: EC2 vCPU quotas are per account and region. */
  serviceQuotas(cell: CellRef, account: AccountCredentialsRef): ServiceQuotasClient {
    return this.cached(this.serviceQuotasClients, cell, () => new ServiceQuotasClient(this.clientConfig(cell, account)));
  }

  /**
   * RAM of one cell, as the islands use it: the network account shares an island's
   * subnet, security group and placement group with the members in the island's region.
   * RAM throttles on its own, apart from EC2's token buckets.
   */
  ram(cell: CellRef, account: AccountCredentialsRef): RamApi {
    return ramApiOf(this.cached(this.ramClients, cell, () => new RAMClient(this.clientConfig(cell, account))));
  }

  /** Closes every client's sockets. */
  destroy(): void {
    for (const clients of [this.ec2Clients, this.serviceQuotasClients, this.ramClients]) {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    }
  }

  private assumeRole(roleArn: string, externalId: string | undefined): AwsCredentialIdentityProvider {
    return cacheCredentials(
      fromTemporaryCredentials({
        params: {
          RoleArn: roleArn,
          RoleSessionName: this.options.sessionName ?? 'cloudspectra-fabric',
          ExternalId: externalId,
          DurationSeconds: 3600,
        },
        masterCredentials: this.options.hubCredentials,
        clientConfig: {
          endpoint: this.options.endpoint,
          maxAttempts: this.options.maxAttempts,
          // STS is regional; the hub's default region signs the call.
          region: 'us-east-1',
        },
      }),
      this.options.clock ?? systemClock,
    );
  }

  private clientConfig(cell: CellRef, account: AccountCredentialsRef) {
    return {
      region: cell.region,
      endpoint: this.options.endpoint,
      credentials: this.credentialsFor(account),
      maxAttempts: this.options.maxAttempts ?? 5,
      retryMode: 'adaptive' as const,
    };
  }

  private cached<C>(clients: Map<string, C>, cell: CellRef, create: () => C): C {
    const key = cellId(cell);
    let client = clients.get(key);
    if (!client) {
      client = create();
      clients.set(key, client);
    }
    return client;
  }
}
