import {
  AssociateResourceShareCommand,
  CreateResourceShareCommand,
  DeleteResourceShareCommand,
  GetResourceShareAssociationsCommand,
  GetResourceSharesCommand,
  RAMClient,
} from '@aws-sdk/client-ram';

/**
 * The slice of AWS RAM the islands use, in `@aws-sdk/client-ram`'s own shapes and method
 * names. Production hands in {@link ramApiOf} over a cell's `RAMClient`
 * (`AwsClientFactory.ram`); tests may hand in a fake of the same slice.
 */
export interface RamApi {
  createResourceShare(input: CreateResourceShareInput): Promise<{ resourceShare?: RamResourceShare }>;
  getResourceShares(input: GetResourceSharesInput): Promise<{ resourceShares?: RamResourceShare[]; nextToken?: string }>;
  deleteResourceShare(input: { resourceShareArn: string; clientToken?: string }): Promise<{ returnValue?: boolean }>;
  /**
   * Optional: with both of these the share's principals and resources are reconciled
   * (a member added to an island is associated with the existing share). Without them a
   * share found by name is taken as it is.
   */
  getResourceShareAssociations?(
    input: GetResourceShareAssociationsInput,
  ): Promise<{ resourceShareAssociations?: RamResourceShareAssociation[]; nextToken?: string }>;
  associateResourceShare?(input: {
    resourceShareArn: string;
    resourceArns?: string[];
    principals?: string[];
    clientToken?: string;
  }): Promise<unknown>;
}

/** RAM tags are lower-case `key`/`value`, unlike EC2's. */
export interface RamTag {
  key: string;
  value: string;
}

export interface CreateResourceShareInput {
  name: string;
  resourceArns?: string[];
  principals?: string[];
  tags?: RamTag[];
  allowExternalPrincipals?: boolean;
  clientToken?: string;
}

export interface GetResourceSharesInput {
  resourceOwner: 'SELF' | 'OTHER-ACCOUNTS';
  resourceShareArns?: string[];
  resourceShareStatus?: RamResourceShareStatus;
  name?: string;
  nextToken?: string;
}

export type RamResourceShareStatus = 'PENDING' | 'ACTIVE' | 'FAILED' | 'DELETING' | 'DELETED';

export type RamAssociationStatus = 'ASSOCIATING' | 'ASSOCIATED' | 'FAILED' | 'DISASSOCIATING' | 'DISASSOCIATED';

export interface RamResourceShare {
  resourceShareArn?: string;
  name?: string;
  owningAccountId?: string;
  allowExternalPrincipals?: boolean;
  status?: RamResourceShareStatus | string;
  /** RAM answers its tags' fields as optional. */
  tags?: Array<Partial<RamTag>>;
}

export interface GetResourceShareAssociationsInput {
  associationType: 'PRINCIPAL' | 'RESOURCE';
  resourceShareArns?: string[];
  associationStatus?: RamAssociationStatus;
  nextToken?: string;
}

export interface RamResourceShareAssociation {
  resourceShareArn?: string;
  associatedEntity?: string;
  associationType?: 'PRINCIPAL' | 'RESOURCE' | string;
  status?: string;
}

/**
 * The islands' slice of RAM over the real client: each method sends its command, so the
 * engine's calls are exactly the SDK's and no cast stands between them.
 */
export function ramApiOf(client: RAMClient): RamApi {
  return {
    createResourceShare: input => client.send(new CreateResourceShareCommand(input)),
    getResourceShares: input => client.send(new GetResourceSharesCommand(input)),
    deleteResourceShare: input => client.send(new DeleteResourceShareCommand(input)),
    getResourceShareAssociations: input => client.send(new GetResourceShareAssociationsCommand(input)),
    associateResourceShare: input => client.send(new AssociateResourceShareCommand(input)),
  };
}
