import { EFA_LOCALITY_RULE } from '@internal/backstage-plugin-fabric-common';
import { buildDemoInventory } from '../discovery';
import { request } from './__testUtils__/fixtures';
import { checkGuardrails } from './guardrails';
import { InsufficientCapacityCache } from './InsufficientCapacityCache';
import { planPlacement } from './planPlacement';

const now = new Date('2026-01-01T00:00:00Z');
const demo = () => buildDemoInventory(now);
const gang = (extra: object = {}) =>
  request({ intent: 'tightly-coupled', gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 32 }, ...extra });

describe('guardrails', () => {
  it('refuses a gang asked to span AZ-IDs, saying EFA cannot', () => {
    const placement = planPlacement(gang({ minAzIds: 2 }), demo());
    expect(placement.status).toBe('refused');
    expect(placement.refusal).toContain('minAzIds 2');
    expect(placement.refusal).toContain(EFA_LOCALITY_RULE);
    expect(placement.refusal).toMatch(/not routable across AZs, VPCs or regions/);
    expect(placement.refusal).toMatch(/peering mesh .* never carries EFA/);
    expect(placement.chosen).toEqual([]);
    expect(placement.totals).toEqual({ nodes: 0, gpus: 0 });
    expect(placement.reasons).toContain(placement.refusal);
  });

  it('names the rule of each refusal, so callers need not read its text', () => {
    expect(checkGuardrails(gang({ minAzIds: 2 }), demo())).toMatchObject({ rule: 'efa-locality' });
    const noEfa = request({ intent: 'tightly-coupled', gpu: { instanceTypes: ['g5.xlarge'], totalGpus: 4 } });
    expect(checkGuardrails(noEfa, demo())).toMatchObject({ rule: 'efa-unsupported-type' });
    expect(checkGuardrails(gang(), demo())).toEqual({ notes: [] });
  });

  it('lets throughput and balanced ask for several AZ-IDs', () => {
    for (const intent of ['throughput', 'balanced'] as const) {
      expect(checkGuardrails(request({ intent, minAzIds: 3, gpu: { family: 'g5', totalGpus: 8 } }), demo()).refusal).toBeUndefined();
    }
  });

  it('refuses a gang on types without EFA, naming them', () => {
    const placement = planPlacement(
      request({ intent: 'tightly-coupled', gpu: { instanceTypes: ['g5.xlarge', 'g6.xlarge'], totalGpus: 4 } }),
      demo(),
    );
    expect(placement.status).toBe('refused');
    expect(placement.refusal).toMatch(/none of the requested types can use EFA \(g5\.xlarge, g6\.xlarge\)/);
    // The same GPUs in a size that has EFA come first.
    expect(placement.refusal).toMatch(/such as g5\.12xlarge, g5\.48xlarge, g6\.12xlarge/);
  });

  it('places a gang that names several regions, whole in one AZ-ID', () => {
    const placement = planPlacement(gang({ allowedRegions: ['us-west-2', 'us-east-1'] }), demo());
    expect(placement.status).toBe('placed');
    expect(new Set(placement.chosen.map(c => c.azId)).size).toBe(1);
    expect(placement.reasons).toContainEqual(expect.stringMatching(/allowedRegions names 2 regions.*whole in one AZ-ID/));
  });

  it('prices a gang\'s data movement without splitting it', () => {
    const placement = planPlacement(
      gang({ dataMovement: [{ gbPerDay: 200, region: 'us-west-2', azId: 'usw2-az2' }] }),
      demo(),
    );
    expect(placement.status).toBe('placed');
    expect(new Set(placement.chosen.map(c => c.azId)).size).toBe(1);
    // use1-az4 keeps the reserved block (reserved-first); the data is another region away.
    expect(placement.chosen[0].azId).toBe('use1-az4');
    expect(placement.cost.networkPerMonth).toBe(200 * 30 * 0.02);
    expect(placement.reasons).toContain('Data movement is priced into the choice of AZ-ID; it never splits the gang.');
  });

  describe('a gang bigger than any one AZ-ID holds', () => {
    // Per AZ-ID of p5.48xlarge (192 vCPUs): the hub's on-demand P quota is 1536 vCPUs
    // (8 nodes), research's 768 (4), inference's 0; plus, in use1-az4 only, the hub's
    // 4-node capacity block. Spot is off for gangs by default.
    it('answers cannot-place-now with the largest gang one AZ-ID holds (use1-az4: 16 nodes)', () => {
      const placement = planPlacement(gang({ gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 256 } }), demo());
      expect(placement.status).toBe('cannot-place-now');
      expect(placement.largestFeasibleGpus).toBe((4 + 8 + 4) * 8);
      expect(placement.chosen).toEqual([]);
      expect(placement.reasons.join('\n')).toMatch(
        /Cannot place now: 256 GPUs do not fit in one AZ-ID .* the largest gang any single AZ-ID can hold now is 128 GPUs\. The gang is not split/,
      );
    });

    it('counts only what the request may use: us-west-2 has no capacity block', () => {
      const placement = planPlacement(
        gang({ allowedRegions: ['us-west-2'], gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 128 } }),
        demo(),
      );
      expect(placement.status).toBe('cannot-place-now');
      expect(placement.largestFeasibleGpus).toBe((8 + 4) * 8);
    });

    it('leaves out capacity the ICE cache holds', () => {
      const cache = new InsufficientCapacityCache();
      cache.markInsufficient({ instanceType: 'p5.48xlarge', azId: 'use1-az4', capacityType: 'reserved' }, { now });
      const placement = planPlacement(gang({ gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 256 } }), demo(), {
        iceCache: cache,
        now,
      });
      expect(placement.largestFeasibleGpus).toBe((8 + 4) * 8);
    });

    it('counts only what maxHourlyPrice pays for', () => {
      // 4 reserved at $31.464 + 3 on-demand at $55.04 = $290.98 ≤ $300; a fourth would not fit.
      const placement = planPlacement(gang({ maxHourlyPrice: 300, gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 64 } }), demo());
      expect(placement.status).toBe('cannot-place-now');
      expect(placement.largestFeasibleGpus).toBe(7 * 8);
      expect(placement.reasons).toContain('Some AZ-IDs could hold the gang, but not within maxHourlyPrice $300/h.');
    });
  });
});
