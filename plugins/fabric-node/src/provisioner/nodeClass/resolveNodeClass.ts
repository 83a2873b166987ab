import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, Filter } from '@aws-sdk/client-ec2';
import { CellRef, cellId } from '@internal/backstage-plugin-fabric-common';
import { AccountCredentialsRef, AwsClientFactory } from '../../aws/AwsClientFactory';
import { AwsRateLimits } from '../../aws/AwsRateLimits';
import { describeAwsError, isAccessDenied } from '../../aws/errors';
import { collectPages } from '../../aws/paginate';
import { FabricNodeClassResolved, FabricNodeClassSpec } from '../types';

export interface NodeClassResolverDependencies {
  clients: AwsClientFactory;
  rateLimits: AwsRateLimits;
  accountOf(accountId: string): AccountCredentialsRef | undefined;
}

type SelectorTerm = FabricNodeClassSpec['subnetSelectorTerms'][number];

/**
 * Resolves a FabricNodeClass's selectors in its own account and region, the way
 * Karpenter's EC2NodeClass controller fills `status.subnets`: every subnet a term selects
 * (terms are ORed; an `id` term selects one subnet, a `tags` term every subnet carrying all
 * of its tags), kept only when its AZ-ID is one the class allows. Subnets are keyed by
 * AZ-ID, read from the subnet itself, because the class's account names its zones its own way.
 *
 * A class is ready when it has a subnet in at least one of its AZ-IDs and a security group.
 * A refusal from AWS (AccessDenied, an unknown id) makes it not ready with the reason, so the
 * provisioner skips the cell and the NodePool says why, instead of failing every launch.
 */
export async function resolveNodeClass(spec: FabricNodeClassSpec, deps: NodeClassResolverDependencies): Promise<FabricNodeClassResolved> {
  const cell: CellRef = { accountId: spec.accountId, region: spec.region };
  const account = deps.accountOf(spec.accountId);
  if (!account) {
    return { subnets: [], securityGroups: [], ready: false, reason: `Account ${spec.accountId} is not enrolled in the fabric estate` };
  }
  const ec2 = deps.clients.ec2(cell, account);
  const describe = async <T>(call: () => Promise<T>) => {
    await deps.rateLimits.nonMutating.acquire(`ec2:${cellId(cell)}`);
    return call();
  };
  try {
    const subnets = new Map<string, { id: string; azId: string; azName: string }>();
    for (const term of spec.subnetSelectorTerms) {
      const found = await collectPages(
        token => describe(() => ec2.send(new DescribeSubnetsCommand({ ...selectorQuery(term), NextToken: token }))),
        page => page.Subnets,
      );
      for (const subnet of found) {
        if (!subnet.SubnetId || !subnet.AvailabilityZoneId || !spec.azIds.includes(subnet.AvailabilityZoneId)) continue;
        subnets.set(subnet.SubnetId, { id: subnet.SubnetId, azId: subnet.AvailabilityZoneId, azName: subnet.AvailabilityZone ?? '' });
      }
    }
    const securityGroups = new Map<string, { id: string }>();
    for (const term of spec.securityGroupSelectorTerms) {
      const found = await collectPages(
        token => describe(() => ec2.send(new DescribeSecurityGroupsCommand({ ...groupQuery(term), NextToken: token }))),
        page => page.SecurityGroups,
      );
      for (const group of found) if (group.GroupId) securityGroups.set(group.GroupId, { id: group.GroupId });
    }
    const resolved: FabricNodeClassResolved = {
      subnets: [...subnets.values()].sort((a, b) => a.azId.localeCompare(b.azId) || a.id.localeCompare(b.id)),
      securityGroups: [...securityGroups.values()].sort((a, b) => a.id.localeCompare(b.id)),
      ready: false,
    };
    if (resolved.subnets.length === 0) {
      resolved.reason = `No subnet in ${cellId(cell)} matches the subnet selectors in AZ-IDs ${spec.azIds.join(', ')}`;
    } else if (resolved.securityGroups.length === 0) {
      resolved.reason = `No security group in ${cellId(cell)} matches the security group selectors`;
    } else {
      resolved.ready = true;
    }
    return resolved;
  } catch (error) {
    const detail = describeAwsError(error);
    const reason = isAccessDenied(error)
      ? `The fabric role cannot describe subnets or security groups in ${cellId(cell)}: ${detail}`
      : `${cellId(cell)}: ${detail}`;
    return { subnets: [], securityGroups: [], ready: false, reason };
  }
}

function selectorQuery(term: SelectorTerm): { SubnetIds?: string[]; Filters?: Filter[] } {
  if (term.id) return { SubnetIds: [term.id] };
  return { Filters: tagFilters(term.tags ?? {}) };
}

function groupQuery(term: SelectorTerm): { GroupIds?: string[]; Filters?: Filter[] } {
  if (term.id) return { GroupIds: [term.id] };
  return { Filters: tagFilters(term.tags ?? {}) };
}

/** `*` matches any value, as in Karpenter's selector terms. */
function tagFilters(tags: Record<string, string>): Filter[] {
  return Object.entries(tags).map(([key, value]) =>
    value === '*' ? { Name: 'tag-key', Values: [key] } : { Name: `tag:${key}`, Values: [value] },
  );
}
