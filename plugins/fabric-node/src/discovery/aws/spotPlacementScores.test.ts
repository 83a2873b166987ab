import { EC2Client, GetSpotPlacementScoresCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { testCellApi } from './__testUtils__/cellApi';
import { gpuType } from './__testUtils__/types';
import { typeAzKey } from './offeringKey';
import {
  DEFAULT_PLACEMENT_TARGET_CAPACITY,
  discoverSpotPlacementScores,
  MIN_TYPES_PER_PLACEMENT_QUERY,
  placementScoreQueries,
} from './spotPlacementScores';

const p5 = gpuType('p5.48xlarge', 'H100', 8, 192);
const p5small = gpuType('p5.4xlarge', 'H100', 1, 16);
const p5e = gpuType('p5e.48xlarge', 'H200', 8, 192);
const p5en = gpuType('p5en.48xlarge', 'H200', 8, 192);
const p4d = gpuType('p4d.24xlarge', 'A100', 8, 96);
const trn1 = gpuType('trn1.32xlarge', 'Trainium', 16, 128);
const g6e = ['xlarge', '2xlarge', '12xlarge', '48xlarge'].map((size, i) => gpuType(`g6e.${size}`, 'L40S', [1, 1, 4, 8][i], [4, 8, 48, 192][i]));

// moto does not implement GetSpotPlacementScores (HTTP 500), so aws-sdk-client-mock
// stands in and the test proves the exact requests.
describe('spot placement scores', () => {
  const ec2 = mockClient(EC2Client);
  afterEach(() => ec2.reset());

  it('asks once per family with at least three types, padding small families with their nearest siblings', () => {
    const queries = placementScoreQueries([p5, p5small, p5e, p5en, p4d, ...g6e]);
    expect(queries).toEqual([
      { family: 'g6e', scored: ['g6e.12xlarge', 'g6e.2xlarge', 'g6e.48xlarge', 'g6e.xlarge'], instanceTypes: ['g6e.12xlarge', 'g6e.2xlarge', 'g6e.48xlarge', 'g6e.xlarge'] },
      // No other A100 type is offered: 8-GPU types of the same P series pad it, not g6e.
      { family: 'p4d', scored: ['p4d.24xlarge'], instanceTypes: ['p4d.24xlarge', 'p5.48xlarge', 'p5e.48xlarge'] },
      // No other H100 family: the P-series 8-GPU type closest in vCPUs.
      { family: 'p5', scored: ['p5.48xlarge', 'p5.4xlarge'], instanceTypes: ['p5.48xlarge', 'p5.4xlarge', 'p5e.48xlarge'] },
      // The other H200 family comes first.
      { family: 'p5e', scored: ['p5e.48xlarge'], instanceTypes: ['p5e.48xlarge', 'p5en.48xlarge', 'p5.48xlarge'] },
      { family: 'p5en', scored: ['p5en.48xlarge'], instanceTypes: ['p5en.48xlarge', 'p5e.48xlarge', 'p5.48xlarge'] },
    ]);
    for (const query of queries) expect(query.instanceTypes.length).toBeGreaterThanOrEqual(MIN_TYPES_PER_PLACEMENT_QUERY);
  });

  it('never pads with another maker’s accelerator: its capacity says nothing about this one', () => {
    expect(placementScoreQueries([trn1, p5, p5small, p5e])).toContainEqual({
      family: 'trn1',
      scored: ['trn1.32xlarge'],
      instanceTypes: ['trn1.32xlarge'],
    });
  });

  it('sends single-AZ requests for the cell region, and keys the answers by AZ-ID for the family only', async () => {
    ec2
      .on(GetSpotPlacementScoresCommand, { InstanceTypes: ['p5.48xlarge', 'p5.4xlarge', 'p5e.48xlarge'] })
      .resolvesOnce({
        SpotPlacementScores: [{ Region: 'us-west-2', AvailabilityZoneId: 'usw2-az1', Score: 7 }],
        NextToken: 'more',
      })
      .resolvesOnce({ SpotPlacementScores: [{ Region: 'us-west-2', AvailabilityZoneId: 'usw2-az2', Score: 3 }] })
      .on(GetSpotPlacementScoresCommand, { InstanceTypes: ['p5e.48xlarge', 'p5.48xlarge', 'p5.4xlarge'] })
      .resolves({ SpotPlacementScores: [{ Region: 'us-west-2', AvailabilityZoneId: 'usw2-az1', Score: 2 }] });

    const scores = await discoverSpotPlacementScores(
      testCellApi({ accountId: '222222222222', region: 'us-west-2' }),
      'us-west-2',
      [p5, p5small, p5e],
    );

    expect(DEFAULT_PLACEMENT_TARGET_CAPACITY).toBe(1);
    expect(ec2).toHaveReceivedCommandTimes(GetSpotPlacementScoresCommand, 3);
    const inputs = ec2.commandCalls(GetSpotPlacementScoresCommand).map(c => c.args[0].input);
    for (const input of inputs) {
      expect(input).toMatchObject({
        TargetCapacity: 1,
        TargetCapacityUnitType: 'units',
        SingleAvailabilityZone: true,
        RegionNames: ['us-west-2'],
      });
      expect(input.InstanceTypes!.length).toBeGreaterThanOrEqual(3);
    }
    expect(inputs.map(i => i.NextToken)).toEqual([undefined, 'more', undefined]);
    expect(scores).toEqual(
      new Map([
        [typeAzKey('p5.48xlarge', 'usw2-az1'), 7],
        [typeAzKey('p5.4xlarge', 'usw2-az1'), 7],
        [typeAzKey('p5.48xlarge', 'usw2-az2'), 3],
        [typeAzKey('p5.4xlarge', 'usw2-az2'), 3],
        [typeAzKey('p5e.48xlarge', 'usw2-az1'), 2],
      ]),
    );
  });

  it('uses the configured target capacity', async () => {
    ec2.on(GetSpotPlacementScoresCommand).resolves({ SpotPlacementScores: [] });
    await discoverSpotPlacementScores(testCellApi(), 'us-east-1', g6e, 4);
    expect(ec2).toHaveReceivedCommandWith(GetSpotPlacementScoresCommand, { TargetCapacity: 4 });
  });
});
