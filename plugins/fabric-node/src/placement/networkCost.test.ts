import { buildDemoInventory } from '../discovery';
import { cell, h100, inventory, offering, request } from './__testUtils__/fixtures';
import { DAYS_PER_MONTH, networkPerMonthAt, NETWORK_PRICES, pricePerGb } from './networkCost';
import { planPlacement } from './planPlacement';

describe('network cost', () => {
  const use1az1 = { region: 'us-east-1', azId: 'use1-az1' };

  it('prices one GB by where it goes', () => {
    expect(pricePerGb(use1az1, { region: 'us-east-1', azId: 'use1-az1' }, 'peering')).toBe(0);
    // $0.01 out of one AZ plus $0.01 into the other: every GB moved costs $0.02.
    expect(pricePerGb(use1az1, { region: 'us-east-1', azId: 'use1-az2' }, 'peering')).toBeCloseTo(0.02, 10);
    expect(pricePerGb(use1az1, { region: 'us-west-2', azId: 'usw2-az1' }, 'peering')).toBeCloseTo(0.02, 10);
    expect(pricePerGb(use1az1, { region: 'us-east-1', azId: 'use1-az2' }, 'transit-gateway')).toBeCloseTo(0.04, 10);
    expect(pricePerGb(use1az1, { region: 'us-west-2' }, 'transit-gateway')).toBeCloseTo(0.04, 10);
    // Same AZ-ID is free with or without a TGW: the traffic never leaves the zone's VPC path.
    expect(pricePerGb(use1az1, { region: 'us-east-1', azId: 'use1-az1' }, 'transit-gateway')).toBe(0);
    // A regional service (no AZ-ID given) in the same region crosses no AZ boundary.
    expect(pricePerGb(use1az1, { region: 'us-east-1' }, 'peering')).toBe(0);
    expect(NETWORK_PRICES.transitGatewayProcessingPerGb).toBe(0.02);
  });

  it('adds up a month of the request\'s data movement', () => {
    const moves = [
      { gbPerDay: 100, region: 'us-east-1', azId: 'use1-az2' },
      { gbPerDay: 10, region: 'eu-west-1' },
    ];
    // 100 × 30 × 0.02 + 10 × 30 × 0.02 = 60 + 6
    expect(DAYS_PER_MONTH).toBe(30);
    expect(networkPerMonthAt(use1az1, moves, 'peering')).toBe(66);
    expect(networkPerMonthAt(use1az1, moves, 'transit-gateway')).toBe(132);
    expect(networkPerMonthAt(use1az1, undefined, 'peering')).toBe(0);
  });

  describe('in a placement, on a hand-made estate', () => {
    // Three identical $1/h one-GPU offerings: next to the data, one AZ over, one region over.
    const estate = inventory(
      [cell('111111111111', 'us-east-1'), cell('222222222222', 'us-west-2')],
      [
        offering({ accountId: '111111111111', region: 'us-east-1', azId: 'use1-az1' }),
        offering({ accountId: '111111111111', region: 'us-east-1', azId: 'use1-az2' }),
        offering({ accountId: '222222222222', region: 'us-west-2', azId: 'usw2-az1' }),
      ],
    );
    const data = [{ gbPerDay: 100, region: 'us-east-1', azId: 'use1-az1' }];
    const twoGpus = request({
      intent: 'throughput',
      spotPolicy: 'on-demand-only',
      gpu: { family: 'g5', totalGpus: 2 },
      dataMovement: data,
    });

    it('scores the data path into the price per GPU-hour', () => {
      const placement = planPlacement(twoGpus, estate);
      const byAz = Object.fromEntries(placement.chosen.map(c => [c.azId, c]));
      expect(byAz['use1-az1'].scoreBreakdown.networkPerGpuHour).toBe(0);
      // $60/month ÷ (730 h × 2 GPUs)
      expect(byAz['use1-az2'].scoreBreakdown.networkPerGpuHour).toBeCloseTo(60 / 730 / 2, 4);
      expect(byAz['use1-az1'].score).toBeGreaterThan(byAz['use1-az2'].score);
      // Same price, so the cross-region offering only loses on network: it ties use1-az2
      // on cost and loses the tie-break on identity (region order).
      expect(byAz['usw2-az1']).toBeUndefined();
    });

    it('splits the data over the chosen offerings by their share of GPUs', () => {
      const peering = planPlacement(twoGpus, estate);
      expect(peering.status).toBe('placed');
      expect(peering.chosen.map(c => [c.azId, c.nodes])).toEqual([['use1-az1', 1], ['use1-az2', 1]]);
      // ½ × $0 + ½ × (100 GB × 30 days × $0.02) = $30
      expect(peering.cost).toEqual({ computePerHour: 2, networkPerMonth: 30, spotShare: 0 });
      const tgw = planPlacement(twoGpus, estate, { networkPath: 'transit-gateway' });
      // ½ × (100 × 30 × ($0.02 + $0.02 TGW processing)) = $60
      expect(tgw.cost.networkPerMonth).toBe(60);
    });

    it('puts a gang in the AZ-ID next to its data when the rest is equal', () => {
      const p5 = (azId: string) =>
        offering({ accountId: '111111111111', region: 'us-east-1', azId, instanceType: 'p5.48xlarge', pricePerHour: 50 });
      const gangEstate = inventory([cell('111111111111', 'us-east-1')], [p5('use1-az1'), p5('use1-az2')], [h100]);
      const gang = (azId: string) =>
        planPlacement(
          request({
            intent: 'tightly-coupled',
            spotPolicy: 'on-demand-only',
            gpu: { family: 'p5', totalGpus: 16 },
            dataMovement: [{ gbPerDay: 1000, region: 'us-east-1', azId }],
          }),
          gangEstate,
        );
      expect(gang('use1-az2').chosen.map(c => c.azId)).toEqual(['use1-az2']);
      expect(gang('use1-az2').cost.networkPerMonth).toBe(0);
      expect(gang('use1-az1').chosen.map(c => c.azId)).toEqual(['use1-az1']);
    });
  });

  it('is zero without data movement on the demo estate', () => {
    const placement = planPlacement(request({ intent: 'throughput', gpu: { family: 'g5', totalGpus: 8 } }), buildDemoInventory());
    expect(placement.cost.networkPerMonth).toBe(0);
  });
});
