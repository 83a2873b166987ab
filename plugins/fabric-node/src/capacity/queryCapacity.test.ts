import { Inventory } from '@internal/backstage-plugin-fabric-common';
import { queryCapacity } from './queryCapacity';

const inventory: Inventory = {
  takenAt: '2026-11-29T12:00:00.000Z',
  source: 'demo',
  cells: [
    { accountId: '111111111111', accountName: 'hub', region: 'us-east-1', fresh: true, azMap: { 'us-east-1a': 'use1-az4' } },
    { accountId: '222222222222', accountName: 'research', region: 'us-east-1', fresh: true, azMap: { 'us-east-1a': 'use1-az1' } },
    { accountId: '333333333333', accountName: 'inference', region: 'eu-west-1', fresh: false, error: 'AccessDenied', azMap: {} },
  ],
  instanceTypes: [
    { instanceType: 'p5.48xlarge', family: 'p5', vcpus: 192, memoryMiB: 2097152, acceleratorName: 'H100', acceleratorManufacturer: 'NVIDIA', acceleratorCount: 8, acceleratorMemoryMiB: 81920, efaSupported: true, maxEfaInterfaces: 32, networkCards: 32 },
    { instanceType: 'g6.xlarge', family: 'g6', vcpus: 4, memoryMiB: 16384, acceleratorName: 'L4', acceleratorManufacturer: 'NVIDIA', acceleratorCount: 1, acceleratorMemoryMiB: 22888, efaSupported: false, maxEfaInterfaces: 0, networkCards: 1 },
  ],
  offerings: [
    { accountId: '111111111111', region: 'us-east-1', azId: 'use1-az4', azName: 'us-east-1a', instanceType: 'p5.48xlarge', capacityType: 'spot', pricePerHour: 24, placementScore: 6, quotaHeadroomInstances: 2 },
    { accountId: '111111111111', region: 'us-east-1', azId: 'use1-az4', azName: 'us-east-1a', instanceType: 'p5.48xlarge', capacityType: 'on-demand', pricePerHour: 55.04, quotaHeadroomInstances: 0 },
    { accountId: '222222222222', region: 'us-east-1', azId: 'use1-az4', azName: 'us-east-1d', instanceType: 'g6.xlarge', capacityType: 'spot', pricePerHour: 0.3, placementScore: 9, quotaHeadroomInstances: 100 },
    { accountId: '222222222222', region: 'us-east-1', azId: 'use1-az1', azName: 'us-east-1a', instanceType: 'g6.xlarge', capacityType: 'on-demand', pricePerHour: 0.805, quotaHeadroomInstances: 100 },
  ],
};

describe('queryCapacity', () => {
  it('sums GPUs within quota per region × GPU and keeps the cheapest price per GPU-hour', () => {
    const result = queryCapacity(inventory);
    expect(result.byRegionAndGpu).toEqual(
      expect.arrayContaining([
        { region: 'us-east-1', gpu: 'H100', gpus: 16, cheapestSpotPerGpuHour: 3 },
        { region: 'us-east-1', gpu: 'L4', gpus: 200, cheapestSpotPerGpuHour: 0.3, cheapestOnDemandPerGpuHour: 0.805 },
      ]),
    );
  });

  it('keeps quota walls visible as rows with zero headroom', () => {
    const walls = queryCapacity(inventory, { gpu: 'h100', capacityType: 'on-demand' }).rows;
    expect(walls).toHaveLength(1);
    expect(walls[0]).toMatchObject({ quotaHeadroomInstances: 0, accountName: 'hub', gpuCount: 8 });
  });

  it('filters by AZ-ID across accounts whatever each account calls the zone', () => {
    const rows = queryCapacity(inventory, { azId: 'use1-az4' }).rows;
    expect(rows.map(r => `${r.accountId}:${r.azName}`).sort()).toEqual([
      '111111111111:us-east-1a',
      '111111111111:us-east-1a',
      '222222222222:us-east-1d',
    ]);
  });

  it('keeps only EFA-capable types for tightly-coupled work, and honours minimum GPUs', () => {
    expect(new Set(queryCapacity(inventory, { efaOnly: true }).rows.map(r => r.gpu))).toEqual(new Set(['H100']));
    expect(queryCapacity(inventory, { minGpus: 2 }).rows.every(r => r.gpuCount >= 2)).toBe(true);
  });

  it('sums GPUs per AZ-ID and lists what each account calls that zone', () => {
    const zone = queryCapacity(inventory).byAzId.find(z => z.azId === 'use1-az4');
    expect(zone).toEqual({
      region: 'us-east-1',
      azId: 'use1-az4',
      gpus: 2 * 8 + 100,
      azNames: [
        { accountId: '111111111111', accountName: 'hub', azName: 'us-east-1a' },
        { accountId: '222222222222', accountName: 'research', azName: 'us-east-1d' },
      ],
    });
  });

  it('treats a tightly-coupled intent as EFA-only', () => {
    expect(new Set(queryCapacity(inventory, { intent: 'tightly-coupled' }).rows.map(r => r.gpu))).toEqual(new Set(['H100']));
    expect(new Set(queryCapacity(inventory, { intent: 'throughput' }).rows.map(r => r.gpu))).toEqual(new Set(['H100', 'L4']));
  });

  it('reports stale cells so callers know the answer is partial', () => {
    expect(queryCapacity(inventory).staleCells.map(c => c.accountId)).toEqual(['333333333333']);
  });
});
