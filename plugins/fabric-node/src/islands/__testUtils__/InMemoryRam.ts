import { randomUUID } from 'node:crypto';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import {
  CreateResourceShareInput,
  GetResourceShareAssociationsInput,
  GetResourceSharesInput,
  RamApi,
  RamResourceShare,
  RamResourceShareAssociation,
} from '../../aws/ram';

/**
 * RAM for the island tests, in memory. moto's RAM would add little here: it has no
 * cross-account effect (a shared subnet never appears in the participant) and answers
 * AssociateResourceShare with an HTML 404 (shared/reference/moto.md); the production
 * client is exercised against moto in `aws/ram.moto.test.ts`. This fake keeps what the
 * executors rely on: one share per `clientToken`, statuses ACTIVE → DELETED,
 * associations per principal and resource, and `UnknownResourceException` for an
 * unknown ARN.
 */
export class InMemoryRam implements RamApi {
  readonly shares = new Map<string, RamResourceShare & { resourceArns: string[]; principals: string[] }>();
  private readonly tokens = new Map<string, string>();
  readonly calls: string[] = [];

  constructor(private readonly cell: CellRef) {}

  async createResourceShare(input: CreateResourceShareInput) {
    this.calls.push('createResourceShare');
    const again = input.clientToken ? this.tokens.get(input.clientToken) : undefined;
    if (again) return { resourceShare: this.view(again) };
    const arn = `arn:aws:ram:${this.cell.region}:${this.cell.accountId}:resource-share/${randomUUID()}`;
    this.shares.set(arn, {
      resourceShareArn: arn,
      name: input.name,
      owningAccountId: this.cell.accountId,
      allowExternalPrincipals: input.allowExternalPrincipals ?? true,
      status: 'ACTIVE',
      tags: input.tags ?? [],
      resourceArns: [...(input.resourceArns ?? [])],
      principals: [...(input.principals ?? [])],
    });
    if (input.clientToken) this.tokens.set(input.clientToken, arn);
    return { resourceShare: this.view(arn) };
  }

  async getResourceShares(input: GetResourceSharesInput) {
    this.calls.push('getResourceShares');
    if (input.resourceOwner !== 'SELF') return { resourceShares: [] };
    const shares = [...this.shares.keys()]
      .map(arn => this.view(arn))
      .filter(s => !input.name || s.name === input.name)
      .filter(s => !input.resourceShareArns || input.resourceShareArns.includes(s.resourceShareArn!))
      .filter(s => !input.resourceShareStatus || s.status === input.resourceShareStatus);
    return { resourceShares: shares };
  }

  async deleteResourceShare(input: { resourceShareArn: string }) {
    this.calls.push('deleteResourceShare');
    const share = this.shares.get(input.resourceShareArn);
    if (!share || share.status === 'DELETED') {
      throw Object.assign(new Error(`ResourceShare ${input.resourceShareArn} could not be found.`), {
        name: 'UnknownResourceException',
      });
    }
    share.status = 'DELETED';
    return { returnValue: true };
  }

  async getResourceShareAssociations(input: GetResourceShareAssociationsInput) {
    this.calls.push('getResourceShareAssociations');
    const associations: RamResourceShareAssociation[] = [];
    for (const share of this.shares.values()) {
      if (input.resourceShareArns && !input.resourceShareArns.includes(share.resourceShareArn!)) continue;
      const entities = input.associationType === 'PRINCIPAL' ? share.principals : share.resourceArns;
      for (const entity of entities) {
        associations.push({
          resourceShareArn: share.resourceShareArn,
          associatedEntity: entity,
          associationType: input.associationType,
          status: share.status === 'DELETED' ? 'DISASSOCIATED' : 'ASSOCIATED',
        });
      }
    }
    return { resourceShareAssociations: associations };
  }

  async associateResourceShare(input: { resourceShareArn: string; resourceArns?: string[]; principals?: string[] }) {
    this.calls.push('associateResourceShare');
    const share = this.shares.get(input.resourceShareArn);
    if (!share) throw Object.assign(new Error('unknown share'), { name: 'UnknownResourceException' });
    share.principals.push(...(input.principals ?? []).filter(p => !share.principals.includes(p)));
    share.resourceArns.push(...(input.resourceArns ?? []).filter(r => !share.resourceArns.includes(r)));
    return {};
  }

  /** The share as RAM describes it (without its associations). */
  private view(arn: string): RamResourceShare {
    const { resourceArns, principals, ...share } = this.shares.get(arn)!;
    return structuredClone(share);
  }
}
