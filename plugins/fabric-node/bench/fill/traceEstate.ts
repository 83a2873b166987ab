// The estate the spot traces are replayed over: the demo estate's accounts (their roles, AZ
// name → AZ-ID maps and P-family vCPU quotas) in the three regions the traces measured, with
// one instance type, p3.2xlarge, offered in the nine AZ-IDs the traces cover.
import { CapacityType, CellStatus, InstanceTypeInfo, Inventory, Offering } from '@internal/backstage-plugin-fabric-common';
import { buildDemoInventory } from '../../src/discovery';
import { demoAzMap } from '../../src/discovery/demo/demoEstate';
import { demoAccounts, demoRegions } from '../../src/estate';
import { QuotaBudget, quotaBucketOf } from '../../src/placement/quotaBudget';
import { AzTrace, ZoneTrace } from './spotTraces';

/** The type the traces measured (1 × V100 16 GB, no EFA), as DescribeInstanceTypes reports it. */
export const P3_2XLARGE: InstanceTypeInfo = {
  instanceType: 'p3.2xlarge',
  family: 'p3',
  vcpus: 8,
  memoryMiB: 61 * 1024,
  acceleratorName: 'V100',
  acceleratorManufacturer: 'NVIDIA',
  acceleratorCount: 1,
  acceleratorMemoryMiB: 16 * 1024,
  efaSupported: false,
  maxEfaInterfaces: 0,
  networkCards: 1,
};

/**
 * Prices (USD per instance-hour). On-demand is AWS's Linux list price for p3.2xlarge, the
 * same in us-east-1, us-east-2 and us-west-2. The traces carry no prices, so spot is one
 * assumed price everywhere: 70 % below on-demand, about what p3.2xlarge spot cost in these
 * regions in 2023 (docs/spot-traces.md). Cost ratios scale with this assumption.
 */
export const P3_ON_DEMAND_PRICE = 3.06;
export const P3_SPOT_PRICE = 0.918;

/** AZ-IDs of the trace regions; us-east-1 and us-west-2 as the demo estate lists them. */
const US_EAST_2_AZ_IDS = ['use2-az1', 'use2-az2', 'use2-az3'];

/**
 * An account's AZ name → AZ-ID map. The demo regions use the demo's own maps; us-east-2,
 * which the demo does not enrol, gets the same per-account rotation over its three AZ-IDs.
 */
export function accountAzMap(accountId: string, region: string): Record<string, string> {
  if (demoRegions.includes(region)) return demoAzMap(accountId, region);
  if (region !== 'us-east-2') throw new Error(`no AZ map for ${region}`);
  const shift = Number(accountId[0]) % US_EAST_2_AZ_IDS.length;
  return Object.fromEntries(US_EAST_2_AZ_IDS.map((_, i) => [`${region}${String.fromCharCode(97 + i)}`, US_EAST_2_AZ_IDS[(i + shift) % US_EAST_2_AZ_IDS.length]]));
}

/**
 * The account the traces were measured in is unknown, so its zone names are read through one
 * demo account's map (the hub's). What matters is that they are turned into AZ-IDs once: every
 * other account sees the same physical zones under names of its own.
 */
export const MEASURING_ACCOUNT = demoAccounts.find(a => a.role === 'hub')!.id;

export function toAzTraces(traces: ZoneTrace[]): AzTrace[] {
  return traces.map(trace => {
    const azId = accountAzMap(MEASURING_ACCOUNT, trace.region)[trace.zoneName];
    if (!azId) throw new Error(`${trace.zoneName} is not a zone of ${trace.region}`);
    return { ...trace, azId };
  });
}

/** P-family vCPU quota of a demo account per capacity type, as the demo inventory reports it. */
export function demoPQuotaVcpus(accountId: string, capacityType: CapacityType): number {
  const demo = buildDemoInventory(new Date('2026-11-29T12:00:00Z'));
  const budget = QuotaBudget.fromInventory(demo, new Map(demo.instanceTypes.map(t => [t.instanceType, t])));
  const region = demoRegions[0];
  const bucket = quotaBucketOf(
    { accountId, region, azId: '', azName: '', instanceType: P3_2XLARGE.instanceType, capacityType, pricePerHour: 0, quotaHeadroomInstances: 0 },
    P3_2XLARGE,
  );
  return budget.vcpusLeft(bucket);
}

export interface Scope {
  accounts: string[];
  regions: string[];
}

/** vCPUs running per (account, region, capacity type), to turn quotas into headroom. */
export type Usage = Map<string, number>;

export function usageKey(accountId: string, region: string, capacityType: CapacityType): string {
  return `${accountId}|${region}|${capacityType}`;
}

/**
 * What discovery would report for the scope at one moment: every traced AZ-ID offers
 * p3.2xlarge spot and on-demand in every cell, with quota headroom net of what runs. Whether a
 * launch succeeds is not in the inventory (it is not in a real one either): the launch answers.
 */
export class TraceEstate {
  readonly cells: CellStatus[];
  private readonly quotas = new Map<string, number>();

  constructor(
    readonly scope: Scope,
    readonly tracedAzIds: string[],
  ) {
    this.cells = scope.accounts.flatMap(accountId =>
      scope.regions.map(region => ({
        accountId,
        accountName: demoAccounts.find(a => a.id === accountId)?.name ?? accountId,
        region,
        fresh: true,
        azMap: accountAzMap(accountId, region),
      })),
    );
    for (const accountId of scope.accounts) {
      for (const capacityType of ['spot', 'on-demand'] as const) this.quotas.set(`${accountId}|${capacityType}`, demoPQuotaVcpus(accountId, capacityType));
    }
  }

  quotaVcpus(accountId: string, capacityType: CapacityType): number {
    return this.quotas.get(`${accountId}|${capacityType}`) ?? 0;
  }

  inventoryAt(now: Date, usage: Usage): Inventory {
    const offerings: Offering[] = [];
    for (const cell of this.cells) {
      const nameOf = Object.fromEntries(Object.entries(cell.azMap).map(([name, id]) => [id, name]));
      for (const azId of this.tracedAzIds) {
        if (!nameOf[azId]) continue;
        for (const capacityType of ['spot', 'on-demand'] as const) {
          const left = this.quotaVcpus(cell.accountId, capacityType) - (usage.get(usageKey(cell.accountId, cell.region, capacityType)) ?? 0);
          offerings.push({
            accountId: cell.accountId,
            region: cell.region,
            azId,
            azName: nameOf[azId],
            instanceType: P3_2XLARGE.instanceType,
            capacityType,
            pricePerHour: capacityType === 'spot' ? P3_SPOT_PRICE : P3_ON_DEMAND_PRICE,
            quotaHeadroomInstances: Math.max(0, Math.floor(left / P3_2XLARGE.vcpus)),
          });
        }
      }
    }
    return { takenAt: now.toISOString(), source: 'demo', cells: this.cells, instanceTypes: [P3_2XLARGE], offerings };
  }
}
