import { estimateMeshCost } from './meshCost';

describe('estimateMeshCost', () => {
  const research = '222222222222/us-east-1';
  const inference = '333333333333/us-east-1';
  const batch = '444444444444/us-west-2';

  it('prices each path for peering and Transit Gateway', () => {
    const estimate = estimateMeshCost({
      trafficGbPerMonth: [
        { from: `${research}/use1-az4`, to: `${inference}/use1-az4`, gb: 1000 }, // same AZ-ID, other account
        { from: `${research}/use1-az4`, to: `${inference}/use1-az1`, gb: 500 }, // cross-AZ
        { from: `${research}/use1-az4`, to: `${batch}/usw2-az1`, gb: 200 }, // inter-region
        { from: `${research}/use1-az4`, to: `${research}/use1-az2`, gb: 300 }, // inside one VPC
      ],
    });
    expect(estimate.flows.map(f => [f.path, f.peeringUsd, f.transitGatewayUsd])).toEqual([
      ['same-az-id', 0, 20], // TGW: 1000 × 0.02 processing
      ['cross-az', 10, 10], // peering: 500 × 0.01 × 2 directions; TGW: 500 × 0.02
      ['inter-region', 4, 8], // peering: 200 × 0.02; TGW: 200 × (0.02 + 0.02)
      ['intra-vpc', 0, 0],
    ]);
    expect(estimate.peering).toEqual({ transferUsd: 14, totalUsd: 14 });
    expect(estimate.transitGateway).toEqual({
      attachments: 3,
      processingUsd: 34, // (1000 + 500 + 200) × 0.02
      attachmentUsd: 109.5, // 3 × 0.05 × 730
      interRegionTransferUsd: 4,
      totalUsd: 147.5,
    });
    expect(estimate.transitGatewayToPeeringRatio).toBe(10.54);
    expect(estimate.cheaper).toBe('peering');
  });

  it('has no ratio when peering is free, and takes an explicit attachment count', () => {
    const estimate = estimateMeshCost({
      trafficGbPerMonth: [{ from: `${research}/use1-az4`, to: `${inference}/use1-az4`, gb: 10 }],
      vpcAttachments: 6,
      hoursPerMonth: 720,
    });
    expect(estimate.peering.totalUsd).toBe(0);
    expect(estimate.transitGateway.attachmentUsd).toBe(216);
    expect(estimate.transitGatewayToPeeringRatio).toBeNull();
  });

  it('rejects endpoints without an AZ-ID', () => {
    expect(() => estimateMeshCost({ trafficGbPerMonth: [{ from: research, to: inference, gb: 1 }] })).toThrow(
      "Traffic endpoint '222222222222/us-east-1' must read '<cell>/<AZ-ID>'",
    );
  });
});
