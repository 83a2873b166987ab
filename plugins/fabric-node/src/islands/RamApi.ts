/**
 * The slice of AWS RAM the islands use, in `@aws-sdk/client-ram`'s own shapes and method
 * names (its aggregated `RAM` class has exactly these methods), so the backend can hand
 * in `new RAM(config)` for a cell or a thin adapter. The engine does not depend on
 * `@aws-sdk/client-ram` itself.
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

export interface RamResourceShare {
  resourceShareArn?: string;
  name?: string;
  owningAccountId?: string;
  allowExternalPrincipals?: boolean;
  status?: RamResourceShareStatus | string;
  tags?: RamTag[];
}

export interface GetResourceShareAssociationsInput {
  associationType: 'PRINCIPAL' | 'RESOURCE';
  resourceShareArns?: string[];
  associationStatus?: string;
  nextToken?: string;
}

export interface RamResourceShareAssociation {
  resourceShareArn?: string;
  associatedEntity?: string;
  associationType?: 'PRINCIPAL' | 'RESOURCE' | string;
  status?: string;
}
