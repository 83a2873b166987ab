import {
  CellStatus,
  Inventory,
  Offering,
} from '@internal/backstage-plugin-fabric-common';
import { demoAccounts, demoRegions } from '../../estate/demoEstate';
import { quotaClassOf, familyOf } from '../quotaClasses';
import { demoInstanceTypes, demoOnDemandPrices } from './instanceTypes';

/*
 * The built-in demo estate's inventory, over the demo accounts and regions of
 * `estate/demoEstate.ts`. It lets the portal tell a true story without AWS: spot
 * discounts, quota walls, one capacity block and one stale cell.
 */

const regionAzIds: Record<string, string[]> = {
  'us-east-1': ['use1-az1', 'use1-az2', 'use1-az3', 'use1-az4', 'use1-az5', 'use1-az6'],
  'us-west-2': ['usw2-az1', 'usw2-az2', 'usw2-az3', 'usw2-az4'],
  'eu-west-1': ['euw1-az1', 'euw1-az2', 'euw1-az3'],
};

/** Which AZ-IDs offer which types, shaped after where these types really launched. */
const offeredIn: Record<string, Record<string, string[]>> = {
  'us-east-1': {
    'p5.48xlarge': ['use1-az2', 'use1-az4', 'use1-az6'],
    'p5e.48xlarge': ['use1-az4'],
    'p5en.48xlarge': ['use1-az2', 'use1-az4'],
    'p4d.24xlarge': ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az6'],
    'p4de.24xlarge': ['use1-az1', 'use1-az2'],
    'g5.xlarge': ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az5', 'use1-az6'],
    'g5.12xlarge': ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az6'],
    'g5.48xlarge': ['use1-az2', 'use1-az4', 'use1-az6'],
    'g6.xlarge': ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az6'],
    'g6.12xlarge': ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az6'],
    'g6.48xlarge': ['use1-az2', 'use1-az6'],
    'g6e.xlarge': ['use1-az2', 'use1-az4', 'use1-az6'],
    'g6e.12xlarge': ['use1-az2', 'use1-az4', 'use1-az6'],
    'g6e.48xlarge': ['use1-az4', 'use1-az6'],
    'trn1.32xlarge': ['use1-az6'],
  },
  'us-west-2': {
    'p5.48xlarge': ['usw2-az1', 'usw2-az2', 'usw2-az3', 'usw2-az4'],
    'p5en.48xlarge': ['usw2-az2'],
    'p4d.24xlarge': ['usw2-az1', 'usw2-az2', 'usw2-az3', 'usw2-az4'],
    'p4de.24xlarge': ['usw2-az2'],
    'g5.xlarge': ['usw2-az1', 'usw2-az2', 'usw2-az3', 'usw2-az4'],
    'g5.12xlarge': ['usw2-az1', 'usw2-az2', 'usw2-az3'],
    'g5.48xlarge': ['usw2-az1', 'usw2-az2'],
    'g6.xlarge': ['usw2-az1', 'usw2-az2', 'usw2-az3'],
    'g6.12xlarge': ['usw2-az1', 'usw2-az2', 'usw2-az3'],
    'g6.48xlarge': ['usw2-az2', 'usw2-az3'],
    'g6e.xlarge': ['usw2-az1', 'usw2-az2', 'usw2-az4'],
    'g6e.12xlarge': ['usw2-az1', 'usw2-az2', 'usw2-az4'],
    'g6e.48xlarge': ['usw2-az2', 'usw2-az4'],
    'trn1.32xlarge': ['usw2-az3', 'usw2-az4'],
  },
  'eu-west-1': {
    'p4d.24xlarge': ['euw1-az1'],
    'g5.xlarge': ['euw1-az1', 'euw1-az2', 'euw1-az3'],
    'g5.12xlarge': ['euw1-az1', 'euw1-az2', 'euw1-az3'],
    'g5.48xlarge': ['euw1-az1', 'euw1-az2'],
    'g6.xlarge': ['euw1-az1', 'euw1-az2', 'euw1-az3'],
    'g6.12xlarge': ['euw1-az1', 'euw1-az3'],
    'g6.48xlarge': ['euw1-az1'],
    'g6e.xlarge': ['euw1-az2', 'euw1-az3'],
    'g6e.12xlarge': ['euw1-az2', 'euw1-az3'],
    'g6e.48xlarge': ['euw1-az3'],
  },
};

const regionPriceUplift: Record<string, number> = {
  'us-east-1': 1,
  'us-west-2': 1,
  'eu-west-1': 1.12,
};

/**
 * vCPU quotas per account; GPU quota defaults are 0 (docs/aws-facts.md §6), so an account
 * only has what it asked for. The walls are deliberate: research has no spot P5,
 * inference has no on-demand P quota at all, and the network account runs no GPUs.
 */
const vcpuQuota: Record<string, Record<string, number>> = {
  '111111111111': { 'L-417A185B': 1536, 'L-C4BD4855': 768, 'L-7212CCBC': 384, 'L-DB2E81BA': 1536, 'L-3819A6DF': 1536, 'L-2C3B7624': 512, 'L-6B0D517C': 256 },
  '222222222222': { 'L-417A185B': 768, 'L-C4BD4855': 0, 'L-7212CCBC': 384, 'L-DB2E81BA': 768, 'L-3819A6DF': 768, 'L-2C3B7624': 256, 'L-6B0D517C': 256 },
  '333333333333': { 'L-417A185B': 0, 'L-C4BD4855': 384, 'L-7212CCBC': 0, 'L-DB2E81BA': 3072, 'L-3819A6DF': 3072, 'L-2C3B7624': 0, 'L-6B0D517C': 0 },
  '444444444444': {},
};

/** Deterministic pseudo-random in [0, 1) from a key, so the demo is stable. */
function unit(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return ((h >>> 0) % 10000) / 10000;
}

/**
 * Each older account sees its own shuffle of AZ names over the same physical zones.
 * The rotation differs per account, so `us-east-1a` is a different AZ-ID in each.
 */
export function demoAzMap(accountId: string, region: string): Record<string, string> {
  const ids = regionAzIds[region];
  const shift = Number(accountId[0]) % ids.length;
  const map: Record<string, string> = {};
  ids.forEach((_, i) => {
    map[`${region}${String.fromCharCode(97 + i)}`] = ids[(i + shift) % ids.length];
  });
  return map;
}

/** The demo inventory at a given time. Prices and scores are stable; only the clock moves. */
export function buildDemoInventory(now: Date = new Date()): Inventory {
  const takenAt = now.toISOString();
  const cells: CellStatus[] = [];
  const offerings: Offering[] = [];
  const typeInfo = new Map(demoInstanceTypes.map(i => [i.instanceType, i]));

  for (const account of demoAccounts) {
    for (const region of demoRegions) {
      const azMap = demoAzMap(account.id, region);
      const nameOf = Object.fromEntries(Object.entries(azMap).map(([n, id]) => [id, n]));
      // One cell fails the way a missing role does in real estates: the demo shows
      // that discovery isolates it and everything else stays fresh.
      const stale = account.id === '333333333333' && region === 'eu-west-1';
      cells.push({
        accountId: account.id,
        accountName: account.name,
        region,
        fresh: !stale,
        discoveredAt: stale ? new Date(now.getTime() - 6 * 3600_000).toISOString() : takenAt,
        error: stale
          ? 'AccessDenied: User: arn:aws:sts::111111111111:assumed-role/fabric-hub/discovery is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/fabric-member'
          : undefined,
        azMap,
      });
      if (stale || account.role === 'network') continue;

      for (const [instanceType, azIds] of Object.entries(offeredIn[region])) {
        const info = typeInfo.get(instanceType)!;
        const onDemand = demoOnDemandPrices[instanceType] * regionPriceUplift[region];
        for (const azId of azIds) {
          for (const capacityType of ['spot', 'on-demand'] as const) {
            const quota = quotaClassOf(familyOf(instanceType), capacityType);
            const vcpus = quota ? vcpuQuota[account.id][quota.code] ?? 0 : 0;
            const key = `${account.id}|${region}|${azId}|${instanceType}`;
            const discount = 0.45 + 0.3 * unit(`${key}|discount`);
            offerings.push({
              accountId: account.id,
              region,
              azId,
              azName: nameOf[azId],
              instanceType,
              capacityType,
              pricePerHour: round(capacityType === 'spot' ? onDemand * (1 - discount) : onDemand),
              placementScore:
                capacityType === 'spot'
                  ? 1 + Math.floor(9 * unit(`${key}|score`) * (info.acceleratorCount >= 8 ? 0.7 : 1))
                  : undefined,
              quotaHeadroomInstances: Math.floor(vcpus / info.vcpus),
            });
          }
        }
      }
    }
  }

  // A p5 capacity block the hub bought for a training run: reserved capacity that
  // does not count against on-demand quota (docs/aws-facts.md §6, §7).
  offerings.push({
    accountId: '111111111111',
    region: 'us-east-1',
    azId: 'use1-az4',
    azName: Object.entries(demoAzMap('111111111111', 'us-east-1')).find(([, id]) => id === 'use1-az4')![0],
    instanceType: 'p5.48xlarge',
    capacityType: 'reserved',
    pricePerHour: 31.464,
    quotaHeadroomInstances: 4,
    reservationId: 'cr-0demo5b1ock00001',
    reservedInstances: 4,
  });

  return {
    takenAt,
    source: 'demo',
    cells,
    instanceTypes: demoInstanceTypes,
    offerings,
  };
}

function round(price: number): number {
  return Math.round(price * 10000) / 10000;
}
