import { Instance } from '@aws-sdk/client-ec2';
import { CellRef, cellId } from '@internal/backstage-plugin-fabric-common';
import { AccountCredentialsRef, AwsClientFactory } from '../../aws/AwsClientFactory';
import { AwsRateLimits } from '../../aws/AwsRateLimits';
import { NODECLAIM_TAG, NODEPOOL_TAG, OWNER_TAG } from '../types';
import { GANG_TAG, INSTANCE_LIVE_STATES, cellApi, describeInstances, terminate } from './launchClaims';

/** A fabric-launched instance as GC and status views see it. */
export interface FabricInstance {
  instanceId: string;
  cell: CellRef;
  state: string;
  instanceType: string;
  azName: string;
  subnetId?: string;
  launchTime?: Date;
  nodeClaim?: string;
  nodePool?: string;
  gang?: string;
}

export interface CellAccess {
  clients: AwsClientFactory;
  rateLimits: AwsRateLimits;
  accountOf(accountId: string): AccountCredentialsRef | undefined;
  /** The owner tag value: only this fabric's instances are listed. */
  owner: string;
}

/** Every live instance this fabric launched in one cell (DescribeInstances by the owner tag, all pages). */
export async function listFabricInstances(cell: CellRef, access: CellAccess): Promise<FabricInstance[]> {
  const account = access.accountOf(cell.accountId);
  if (!account) throw new Error(`account ${cell.accountId} is not enrolled`);
  const api = cellApi(access.clients.ec2(cell, account), cell, access.rateLimits);
  const instances = await describeInstances(api, [
    { Name: `tag:${OWNER_TAG}`, Values: [access.owner] },
    { Name: 'instance-state-name', Values: INSTANCE_LIVE_STATES },
  ]);
  return instances.map(instance => fabricInstanceOf(cell, instance));
}

/** Terminates instances of one cell (idempotent: already-terminated ids are accepted by EC2). */
export async function terminateInstances(cell: CellRef, instanceIds: string[], access: CellAccess): Promise<void> {
  const account = access.accountOf(cell.accountId);
  if (!account) throw new Error(`account ${cell.accountId} is not enrolled`);
  const api = cellApi(access.clients.ec2(cell, account), cell, access.rateLimits);
  // Termination has its own resource bucket besides the request bucket.
  const terminations = access.rateLimits.bucket('ec2-terminated-instances');
  for (let i = 0; i < instanceIds.length; i++) await terminations.acquire(`ec2-terminated-instances:${cellId(cell)}`);
  await terminate(api, instanceIds);
}

function fabricInstanceOf(cell: CellRef, instance: Instance): FabricInstance {
  const tag = (key: string) => instance.Tags?.find(t => t.Key === key)?.Value;
  return {
    instanceId: instance.InstanceId!,
    cell,
    state: instance.State?.Name ?? 'unknown',
    instanceType: instance.InstanceType ?? '',
    azName: instance.Placement?.AvailabilityZone ?? '',
    subnetId: instance.SubnetId,
    launchTime: instance.LaunchTime,
    nodeClaim: tag(NODECLAIM_TAG),
    nodePool: tag(NODEPOOL_TAG),
    gang: tag(GANG_TAG),
  };
}

/** A NodeClaim as GC sees it. */
export interface KnownClaim {
  name: string;
  cell: CellRef;
  /** Instances the claim launched; absent while its launch has not answered. */
  instanceIds?: string[];
  gang?: string;
}

export interface GarbageCollection {
  /** Fabric instances with no NodeClaim, older than the grace period: terminated now. */
  terminated: FabricInstance[];
  /** Orphans still inside the grace period (a launch may be about to record its claim). */
  spared: FabricInstance[];
  /** Claims whose launched instance no longer exists: the caller deletes them. */
  claimsWithoutInstance: string[];
  /** Cells that could not be listed, and why; nothing there was judged. */
  failedCells: Array<{ cell: CellRef; reason: string }>;
}

/** Karpenter's garbage collection leaves instances younger than this alone. */
export const DEFAULT_GC_GRACE_MS = 5 * 60_000;

/**
 * Reconciles instances with NodeClaims, per cell: a fabric-tagged instance whose claim
 * does not exist (and whose gang, for a gang instance not yet tagged with its claim, has
 * no claim either) is an orphan once older than the grace period, and is terminated; a
 * claim whose instances are all gone is reported for deletion. A cell that cannot be
 * listed is skipped entirely, so an outage never reads as "every instance is gone".
 */
export async function collectGarbage(args: {
  cells: CellRef[];
  claims: KnownClaim[];
  access: CellAccess;
  now: Date;
  gracePeriodMs?: number;
}): Promise<GarbageCollection> {
  const grace = args.gracePeriodMs ?? DEFAULT_GC_GRACE_MS;
  const claimNames = new Set(args.claims.map(c => c.name));
  const gangs = new Set(args.claims.flatMap(c => (c.gang ? [c.gang] : [])));
  const result: GarbageCollection = { terminated: [], spared: [], claimsWithoutInstance: [], failedCells: [] };

  await Promise.all(
    args.cells.map(async cell => {
      let instances: FabricInstance[];
      try {
        instances = await listFabricInstances(cell, args.access);
      } catch (error) {
        result.failedCells.push({ cell, reason: (error as Error).message });
        return;
      }
      const live = new Set(instances.filter(i => i.state !== 'shutting-down').map(i => i.instanceId));
      const orphans = instances.filter(
        i => !(i.nodeClaim ? claimNames.has(i.nodeClaim) : i.gang !== undefined && gangs.has(i.gang)),
      );
      const expired = orphans.filter(i => !i.launchTime || args.now.getTime() - i.launchTime.getTime() >= grace);
      result.spared.push(...orphans.filter(i => !expired.includes(i)));
      if (expired.length) {
        await terminateInstances(cell, expired.map(i => i.instanceId), args.access);
        result.terminated.push(...expired);
      }
      for (const claim of args.claims) {
        if (cellId(claim.cell) !== cellId(cell) || !claim.instanceIds?.length) continue;
        if (claim.instanceIds.every(id => !live.has(id))) result.claimsWithoutInstance.push(claim.name);
      }
    }),
  );
  result.claimsWithoutInstance.sort();
  return result;
}
