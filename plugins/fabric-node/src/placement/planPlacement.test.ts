import { Inventory, Placement } from '@internal/backstage-plugin-fabric-common';
import { buildDemoInventory } from '../discovery';
import { quotaClassOf } from '../discovery/quotaClasses';
import { request } from './__testUtils__/fixtures';
import { CLOSE_SCORE_MARGIN } from './allocate';
import { InsufficientCapacityCache } from './InsufficientCapacityCache';
import { planPlacement } from './planPlacement';

const now = new Date('2026-01-01T00:00:00Z');
const demo = () => buildDemoInventory(now);

/**
 * The demo's vCPU quotas (demoEstate.ts), written out again so the quota test checks the
 * solver against the source numbers rather than against its own reading of them.
 */
const demoQuotas: Record<string, Record<string, number>> = {
  '111111111111': { 'L-417A185B': 1536, 'L-C4BD4855': 768, 'L-7212CCBC': 384, 'L-DB2E81BA': 1536, 'L-3819A6DF': 1536, 'L-2C3B7624': 512, 'L-6B0D517C': 256 },
  '222222222222': { 'L-417A185B': 768, 'L-C4BD4855': 0, 'L-7212CCBC': 384, 'L-DB2E81BA': 768, 'L-3819A6DF': 768, 'L-2C3B7624': 256, 'L-6B0D517C': 256 },
  '333333333333': { 'L-417A185B': 0, 'L-C4BD4855': 384, 'L-7212CCBC': 0, 'L-DB2E81BA': 3072, 'L-3819A6DF': 3072, 'L-2C3B7624': 0, 'L-6B0D517C': 0 },
};

function vcpusPerQuotaBucket(placement: Placement, inventory: Inventory): Map<string, number> {
  const vcpus = new Map(inventory.instanceTypes.map(t => [t.instanceType, t]));
  const used = new Map<string, number>();
  for (const c of placement.chosen) {
    if (c.capacityType === 'reserved') continue; // capacity blocks draw no quota
    const info = vcpus.get(c.instanceType)!;
    const code = quotaClassOf(info.family, c.capacityType)!.code;
    const key = `${c.accountId}|${c.region}|${code}`;
    used.set(key, (used.get(key) ?? 0) + c.nodes * info.vcpus);
  }
  return used;
}

function expectWithinQuota(placement: Placement, inventory: Inventory) {
  for (const [key, vcpus] of vcpusPerQuotaBucket(placement, inventory)) {
    const [account, , code] = key.split('|');
    expect(vcpus).toBeLessThanOrEqual(demoQuotas[account][code]);
  }
  for (const c of placement.chosen) {
    const offering = inventory.offerings.find(
      o =>
        o.accountId === c.accountId &&
        o.azId === c.azId &&
        o.instanceType === c.instanceType &&
        o.capacityType === c.capacityType,
    )!;
    expect(c.nodes).toBeLessThanOrEqual(offering.quotaHeadroomInstances);
  }
}

const azIdsOf = (p: Placement) => [...new Set(p.chosen.map(c => c.azId))].sort();
const gpusIn = (p: Placement, pred: (c: Placement['chosen'][number]) => boolean) =>
  p.chosen.filter(pred).reduce((s, c) => s + c.gpus, 0);

describe('planPlacement on the demo estate', () => {
  describe('tightly-coupled', () => {
    it('uses the p5 capacity block first: 32 GPUs are exactly its 4 reserved nodes in use1-az4', () => {
      const placement = planPlacement(request({ intent: 'tightly-coupled', gpu: { family: 'p5', totalGpus: 32 } }), demo());
      expect(placement.status).toBe('placed');
      expect(placement.chosen).toEqual([
        expect.objectContaining({
          accountId: '111111111111',
          azId: 'use1-az4',
          instanceType: 'p5.48xlarge',
          capacityType: 'reserved',
          reservationId: 'cr-0demo5b1ock00001',
          nodes: 4,
          gpus: 32,
        }),
      ]);
      expect(placement.totals).toEqual({ nodes: 4, gpus: 32 });
      expect(placement.cost).toEqual({ computePerHour: 125.86, networkPerMonth: 0, spotShare: 0 });
      expect(placement.reasons.join('\n')).toMatch(/Chose use1-az4 \(us-east-1\) for all 4 × p5\.48xlarge: 4 reserved/);
    });

    it('tops up with on-demand in the same AZ-ID, never elsewhere, and says why the others lost', () => {
      const placement = planPlacement(request({ intent: 'tightly-coupled', gpu: { family: 'p5', totalGpus: 64 } }), demo());
      expect(placement.status).toBe('placed');
      expect(azIdsOf(placement)).toEqual(['use1-az4']);
      expect(placement.chosen.map(c => [c.capacityType, c.nodes])).toEqual([
        ['on-demand', 4],
        ['reserved', 4],
      ]);
      expect(placement.rejected).toContainEqual(
        expect.objectContaining({
          azId: 'use1-az2',
          capacityType: 'on-demand',
          reason: expect.stringMatching(/fits in use1-az2 too, but use1-az4 ranked higher \(more reserved nodes/),
        }),
      );
      expect(placement.rejected).toContainEqual(
        expect.objectContaining({ capacityType: 'spot', reason: expect.stringMatching(/allowSpotForTightlyCoupled is false/) }),
      );
      expect(placement.rejected).toContainEqual(
        expect.objectContaining({
          accountId: '333333333333',
          capacityType: 'on-demand',
          reason: 'quota headroom 0 for Running On-Demand P instances in ml-inference us-east-1',
        }),
      );
    });

    it('keeps EFA-capable types only, with the reason on every other type', () => {
      const placement = planPlacement(
        request({ intent: 'tightly-coupled', spotPolicy: 'on-demand-only', gpu: { minGpuMemoryGiB: 40, gpusPerNode: 1, totalGpus: 1 } }),
        demo(),
      );
      // g6e.xlarge is the only one-GPU type with ≥ 40 GiB, and it has no EFA: a refusal.
      expect(placement.status).toBe('refused');
      const mixed = planPlacement(request({ intent: 'tightly-coupled', gpu: { minGpuMemoryGiB: 40, totalGpus: 8 } }), demo());
      expect(mixed.status).toBe('placed');
      expect(mixed.rejected.filter(r => r.instanceType === 'g6e.xlarge').map(r => r.reason)).toEqual(
        expect.arrayContaining(['not EFA-capable: tightly-coupled needs EFA']),
      );
      expect(mixed.chosen.every(c => c.instanceType !== 'g6e.xlarge')).toBe(true);
      expect(new Set(mixed.chosen.map(c => c.instanceType)).size).toBe(1);
    });

    it('uses spot for a gang only when allowed', () => {
      const allowed = planPlacement(
        request({
          intent: 'tightly-coupled',
          spotPolicy: 'spot-only',
          allowSpotForTightlyCoupled: true,
          gpu: { family: 'p5', totalGpus: 16 },
        }),
        demo(),
      );
      expect(allowed.status).toBe('placed');
      expect(allowed.chosen.every(c => c.capacityType === 'spot')).toBe(true);
      expect(azIdsOf(allowed)).toHaveLength(1);
    });
  });

  describe('throughput', () => {
    it('goes spot-first and spreads over AZ-IDs whose scores are close', () => {
      const placement = planPlacement(request({ intent: 'throughput', gpu: { family: 'g6e', totalGpus: 40 } }), demo());
      expect(placement.status).toBe('placed');
      expect(placement.totals.gpus).toBe(40);
      expect(placement.cost.spotShare).toBe(1);
      expect(azIdsOf(placement).length).toBeGreaterThanOrEqual(2);
      // No AZ-ID takes everything: the two best share the GPUs.
      const perAz = azIdsOf(placement).map(az => gpusIn(placement, c => c.azId === az));
      expect(Math.max(...perAz)).toBeLessThanOrEqual(20);
      const best = Math.max(...placement.chosen.map(c => c.score));
      expect(placement.chosen.every(c => c.score >= best - CLOSE_SCORE_MARGIN)).toBe(true);
      expect(placement.rejected).toContainEqual(
        expect.objectContaining({ reason: expect.stringMatching(/^not needed: the request was filled by better-ranked offerings/) }),
      );
      for (const c of placement.chosen) {
        expect(c.scoreBreakdown.total).toBeCloseTo(
          c.scoreBreakdown.price + c.scoreBreakdown.availability + c.scoreBreakdown.quota + c.scoreBreakdown.interruptionRisk,
          2,
        );
      }
    });

    it('falls back to on-demand when spot quota runs out, and only then', () => {
      const placement = planPlacement(
        request({ intent: 'throughput', gpu: { instanceTypes: ['p5.48xlarge'], totalGpus: 160 } }),
        demo(),
      );
      expect(placement.status).toBe('placed');
      const spot = gpusIn(placement, c => c.capacityType === 'spot');
      const onDemand = gpusIn(placement, c => c.capacityType === 'on-demand');
      expect(spot).toBeGreaterThan(0);
      expect(onDemand).toBeGreaterThan(0);
      expect(spot + onDemand).toBe(160);
      expect(placement.reasons.join('\n')).toMatch(/on-demand fallback/);
      // The research account has no P5 spot quota at all.
      expect(placement.rejected).toContainEqual(
        expect.objectContaining({
          accountId: '222222222222',
          capacityType: 'spot',
          reason: 'quota headroom 0 for All P5 Spot Instance Requests in ml-research us-east-1',
        }),
      );
    });

    it('honours minAzIds', () => {
      const placement = planPlacement(
        request({ intent: 'throughput', minAzIds: 3, gpu: { family: 'g6e', gpusPerNode: 4, totalGpus: 12 } }),
        demo(),
      );
      expect(placement.status).toBe('placed');
      expect(azIdsOf(placement)).toHaveLength(3);
    });

    it('stops at maxHourlyPrice and says how much fits', () => {
      const placement = planPlacement(
        request({ intent: 'throughput', maxHourlyPrice: 10, gpu: { family: 'g6e', totalGpus: 40 } }),
        demo(),
      );
      expect(placement.status).toBe('cannot-place-now');
      expect(placement.chosen).toEqual([]);
      expect(placement.largestFeasibleGpus).toBeGreaterThan(0);
      expect(placement.largestFeasibleGpus).toBeLessThan(40);
      expect(placement.reasons.join('\n')).toMatch(/Only \d+ of 40 GPUs can be placed now under the quota, capacity, maxHourlyPrice/);
    });
  });

  describe('balanced', () => {
    it('keeps to the cheapest region, spreads over its AZ-IDs and keeps spot at or below 70%', () => {
      const placement = planPlacement(request({ intent: 'balanced', gpu: { family: 'g5', totalGpus: 16 } }), demo());
      expect(placement.status).toBe('placed');
      expect(new Set(placement.chosen.map(c => c.region))).toEqual(new Set(['us-west-2']));
      expect(azIdsOf(placement)).toEqual(['usw2-az1', 'usw2-az2', 'usw2-az3', 'usw2-az4']);
      expect(gpusIn(placement, c => c.capacityType === 'spot')).toBeLessThanOrEqual(11);
      expect(gpusIn(placement, c => c.capacityType === 'on-demand')).toBeGreaterThan(0);
      expect(placement.cost.spotShare).toBeLessThanOrEqual(0.7);
      expect(placement.reasons.join('\n')).toMatch(/Chose us-west-2, the cheapest region that holds the whole request/);
      expect(placement.rejected).toContainEqual(
        expect.objectContaining({ region: 'us-east-1', reason: expect.stringMatching(/^balanced keeps to one region; us-west-2/) }),
      );
    });

    it('keeps to preferredRegion', () => {
      const placement = planPlacement(
        request({ intent: 'balanced', preferredRegion: 'eu-west-1', gpu: { family: 'g5', totalGpus: 16 } }),
        demo(),
      );
      expect(placement.status).toBe('placed');
      expect(new Set(placement.chosen.map(c => c.region))).toEqual(new Set(['eu-west-1']));
      expect(placement.rejected).toContainEqual(
        expect.objectContaining({ region: 'us-west-2', reason: 'balanced keeps to one region, and preferredRegion is eu-west-1' }),
      );
    });
  });

  it('is deterministic: the same inputs, in any order, give the same placement', () => {
    const body = { intent: 'throughput' as const, gpu: { minGpuMemoryGiB: 20, totalGpus: 64 } };
    const first = planPlacement(request(body), demo(), { now });
    const second = planPlacement(request(body), demo(), { now });
    expect(second).toEqual(first);
    const shuffled = demo();
    shuffled.offerings.reverse();
    shuffled.cells.reverse();
    shuffled.instanceTypes = [...shuffled.instanceTypes].reverse();
    expect(planPlacement(request(body), shuffled, { now })).toEqual(first);
    for (const intent of ['tightly-coupled', 'balanced'] as const) {
      const r = request({ intent, gpu: { family: 'p5', totalGpus: 48 } });
      expect(planPlacement(r, shuffled, { now })).toEqual(planPlacement(r, demo(), { now }));
    }
  });

  it('never plans past a quota, even when several types share it', () => {
    // H100/H200/A100-80G: p5, p5e and p5en share the P5 spot quota; p5* and p4de share the
    // on-demand P quota. Ask for more than fits so every bucket is pushed to its limit.
    const inventory = demo();
    for (const intent of ['throughput', 'balanced'] as const) {
      for (const spotPolicy of ['spot-first', 'spot-only', 'on-demand-only'] as const) {
        const placement = planPlacement(
          request({ intent, spotPolicy, gpu: { minGpuMemoryGiB: 70, totalGpus: 4096 } }),
          inventory,
        );
        expect(placement.status).toBe('cannot-place-now');
        expect(placement.largestFeasibleGpus).toBeGreaterThan(0);
        const fits = planPlacement(
          request({ intent, spotPolicy, gpu: { minGpuMemoryGiB: 70, totalGpus: placement.largestFeasibleGpus! } }),
          inventory,
        );
        expect(fits.status).toBe('placed');
        expectWithinQuota(fits, inventory);
      }
    }
    // The P5 spot bucket of the hub is 768 vCPUs: four 192-vCPU nodes of p5, p5e and p5en together.
    const spotOnly = planPlacement(
      request({ intent: 'throughput', spotPolicy: 'spot-only', gpu: { instanceTypes: ['p5.48xlarge', 'p5e.48xlarge', 'p5en.48xlarge'], totalGpus: 8 * 12 } }),
      inventory,
    );
    const hubUse1P5Spot = spotOnly.chosen
      .filter(c => c.accountId === '111111111111' && c.region === 'us-east-1')
      .reduce((s, c) => s + c.nodes, 0);
    expect(hubUse1P5Spot).toBeLessThanOrEqual(4);
    expectWithinQuota(spotOnly, inventory);
  });

  it('skips offerings the ICE cache holds, until the entry expires', () => {
    const cache = new InsufficientCapacityCache();
    cache.markInsufficient({ instanceType: 'p5.48xlarge', azId: 'use1-az4', capacityType: 'reserved' }, { now });
    const body = request({ intent: 'tightly-coupled', gpu: { family: 'p5', totalGpus: 32 } });

    const during = planPlacement(body, demo(), { iceCache: cache, now: new Date(now.getTime() + 60_000) });
    expect(during.status).toBe('placed');
    expect(during.chosen.some(c => c.capacityType === 'reserved')).toBe(false);
    expect(during.rejected).toContainEqual({
      accountId: '111111111111',
      region: 'us-east-1',
      azId: 'use1-az4',
      instanceType: 'p5.48xlarge',
      capacityType: 'reserved',
      reason: 'insufficient capacity cached until 2026-01-01T00:03:00.000Z (p5.48xlarge reserved in use1-az4)',
    });

    const after = planPlacement(body, demo(), { iceCache: cache, now: new Date(now.getTime() + 180_000) });
    expect(after.chosen).toEqual([expect.objectContaining({ capacityType: 'reserved', azId: 'use1-az4', nodes: 4 })]);
  });

  it('skips stale cells and says why', () => {
    const inventory = demo();
    // Demo's stale cell has no offerings; make a cell with offerings go stale too.
    const cell = inventory.cells.find(c => c.accountId === '333333333333' && c.region === 'us-west-2')!;
    cell.fresh = false;
    cell.error = 'ThrottlingException: Rate exceeded';
    const placement = planPlacement(request({ intent: 'balanced', gpu: { family: 'g5', totalGpus: 16 } }), inventory);
    expect(placement.status).toBe('placed');
    expect(placement.chosen.some(c => c.accountId === '333333333333' && c.region === 'us-west-2')).toBe(false);
    expect(placement.reasons).toContainEqual(expect.stringMatching(/^Skipped stale cell ml-inference \(333333333333\) eu-west-1: AccessDenied/));
    expect(placement.reasons).toContainEqual(
      expect.stringMatching(/^Skipped stale cell ml-inference \(333333333333\) us-west-2: ThrottlingException: Rate exceeded/),
    );
    expect(placement.rejected).toContainEqual(
      expect.objectContaining({
        accountId: '333333333333',
        region: 'us-west-2',
        reason: expect.stringMatching(/^stale cell ml-inference \(333333333333\) us-west-2: ThrottlingException/),
      }),
    );
  });

  it('answers cannot-place-now when nothing in the inventory meets the need', () => {
    const placement = planPlacement(request({ intent: 'throughput', gpu: { instanceTypes: ['p6-b200.48xlarge'], totalGpus: 8 } }), demo());
    expect(placement.status).toBe('cannot-place-now');
    expect(placement.largestFeasibleGpus).toBe(0);
    expect(placement.reasons).toContain('Not in the inventory: p6-b200.48xlarge.');
  });

  it('applies region and account filters with a reason', () => {
    const placement = planPlacement(
      request({
        intent: 'throughput',
        deniedRegions: ['us-east-1'],
        allowedAccounts: ['111111111111', '333333333333'],
        gpu: { family: 'g5', totalGpus: 8 },
      }),
      demo(),
    );
    expect(placement.chosen.every(c => c.region !== 'us-east-1' && c.accountId !== '222222222222')).toBe(true);
    expect(placement.rejected).toContainEqual(expect.objectContaining({ region: 'us-east-1', reason: 'denied region' }));
    expect(placement.rejected).toContainEqual(
      expect.objectContaining({ accountId: '222222222222', region: 'us-west-2', reason: 'account not in allowedAccounts' }),
    );
  });
});
