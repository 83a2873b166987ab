import { DescribeSpotPriceHistoryCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { testCellApi } from './__testUtils__/cellApi';
import { typeAzKey } from './offeringKey';
import { discoverSpotPrices, SPOT_PRODUCT_DESCRIPTION } from './spotPrices';

// moto's spot prices are fixed fakes and vanish under the product-description filter
// (shared/reference/moto.md), so the request shape and the answer handling are proven
// against aws-sdk-client-mock.
describe('discoverSpotPrices', () => {
  const ec2 = mockClient(EC2Client);
  const now = new Date('2026-11-29T12:00:00Z');
  afterEach(() => ec2.reset());

  it('asks for the current Linux/UNIX price of exactly the offered types, and follows every page', async () => {
    ec2
      .on(DescribeSpotPriceHistoryCommand)
      .resolvesOnce({
        SpotPriceHistory: [
          { InstanceType: 'p5.48xlarge', AvailabilityZone: 'us-east-1a', SpotPrice: '30.1', Timestamp: new Date('2026-11-29T11:00:00Z') },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        SpotPriceHistory: [
          { InstanceType: 'g6e.xlarge', AvailabilityZone: 'us-east-1b', SpotPrice: '0.9', Timestamp: new Date('2026-11-29T10:00:00Z') },
        ],
      });

    const prices = await discoverSpotPrices(
      testCellApi(),
      ['g6e.xlarge', 'p5.48xlarge'],
      { 'us-east-1a': 'use1-az6', 'us-east-1b': 'use1-az1' },
      now,
    );

    expect(SPOT_PRODUCT_DESCRIPTION).toBe('Linux/UNIX');
    expect(ec2).toHaveReceivedCommandTimes(DescribeSpotPriceHistoryCommand, 2);
    expect(ec2.commandCalls(DescribeSpotPriceHistoryCommand).map(c => c.args[0].input)).toEqual([
      {
        InstanceTypes: ['g6e.xlarge', 'p5.48xlarge'],
        Filters: [{ Name: 'product-description', Values: ['Linux/UNIX'] }],
        StartTime: now,
        EndTime: now,
        MaxResults: 1000,
        NextToken: undefined,
      },
      {
        InstanceTypes: ['g6e.xlarge', 'p5.48xlarge'],
        Filters: [{ Name: 'product-description', Values: ['Linux/UNIX'] }],
        StartTime: now,
        EndTime: now,
        MaxResults: 1000,
        NextToken: 'page-2',
      },
    ]);
    expect(prices).toEqual(
      new Map([
        [typeAzKey('p5.48xlarge', 'use1-az6'), 30.1],
        [typeAzKey('g6e.xlarge', 'use1-az1'), 0.9],
      ]),
    );
  });

  it("maps zone names through this account's own map, so the same name lands on different AZ-IDs", async () => {
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({
      SpotPriceHistory: [{ InstanceType: 'p5.48xlarge', AvailabilityZone: 'us-east-1a', SpotPrice: '30' }],
    });
    const research = await discoverSpotPrices(testCellApi(), ['p5.48xlarge'], { 'us-east-1a': 'use1-az6' }, now);
    const inference = await discoverSpotPrices(
      testCellApi({ accountId: '333333333333', region: 'us-east-1' }),
      ['p5.48xlarge'],
      { 'us-east-1a': 'use1-az4' },
      now,
    );
    expect([...research.keys()]).toEqual([typeAzKey('p5.48xlarge', 'use1-az6')]);
    expect([...inference.keys()]).toEqual([typeAzKey('p5.48xlarge', 'use1-az4')]);
  });

  it('prefers the AZ-ID AWS sends, keeps the newest price, and ignores zones it cannot place', async () => {
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({
      SpotPriceHistory: [
        { InstanceType: 'p5.48xlarge', AvailabilityZone: 'us-east-1a', AvailabilityZoneId: 'use1-az2', SpotPrice: '31', Timestamp: new Date('2026-11-29T09:00:00Z') },
        { InstanceType: 'p5.48xlarge', AvailabilityZone: 'us-east-1a', AvailabilityZoneId: 'use1-az2', SpotPrice: '29', Timestamp: new Date('2026-11-29T11:00:00Z') },
        { InstanceType: 'p5.48xlarge', AvailabilityZone: 'us-east-1-bos-1a', SpotPrice: '12' },
        { InstanceType: 'p5.48xlarge', AvailabilityZone: 'us-east-1b', SpotPrice: 'not-a-number' },
      ],
    });
    const prices = await discoverSpotPrices(
      testCellApi(),
      ['p5.48xlarge'],
      { 'us-east-1a': 'use1-az6', 'us-east-1b': 'use1-az1' },
      now,
    );
    expect(prices).toEqual(new Map([[typeAzKey('p5.48xlarge', 'use1-az2'), 29]]));
  });

  it('sends long type lists in slices and sends nothing for no types', async () => {
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: [] });
    const types = Array.from({ length: 120 }, (_, i) => `g6.${i}xlarge`);
    await discoverSpotPrices(testCellApi(), types, {}, now);
    expect(ec2.commandCalls(DescribeSpotPriceHistoryCommand).map(c => c.args[0].input.InstanceTypes?.length)).toEqual([50, 50, 20]);

    ec2.resetHistory();
    await discoverSpotPrices(testCellApi(), [], {}, now);
    expect(ec2).not.toHaveReceivedCommand(DescribeSpotPriceHistoryCommand);
  });
});
