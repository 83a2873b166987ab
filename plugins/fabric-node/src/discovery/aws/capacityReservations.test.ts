import { DescribeCapacityReservationsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { testCellApi } from './__testUtils__/cellApi';
import { discoverCapacityReservations } from './capacityReservations';

// moto has no capacity reservations or Capacity Blocks (HTTP 500).
describe('discoverCapacityReservations', () => {
  const ec2 = mockClient(EC2Client);
  afterEach(() => ec2.reset());

  it('asks for active Linux reservations of the offered types, follows pages, and tells blocks from ODCRs', async () => {
    ec2
      .on(DescribeCapacityReservationsCommand)
      .resolvesOnce({
        CapacityReservations: [
          {
            CapacityReservationId: 'cr-0block',
            InstanceType: 'p5.48xlarge',
            AvailabilityZone: 'us-east-1d',
            AvailabilityZoneId: 'use1-az4',
            ReservationType: 'capacity-block',
            AvailableInstanceCount: 4,
            TotalInstanceCount: 4,
            OwnerId: '222222222222',
          },
        ],
        NextToken: 'next',
      })
      .resolvesOnce({
        CapacityReservations: [
          {
            CapacityReservationId: 'cr-0odcr',
            InstanceType: 'g6e.48xlarge',
            // No AvailabilityZoneId: the account's own map places it.
            AvailabilityZone: 'us-east-1a',
            ReservationType: 'default',
            AvailableInstanceCount: 1,
            TotalInstanceCount: 3,
            OwnerId: '444444444444',
          },
        ],
      });

    const found = await discoverCapacityReservations(testCellApi(), ['g6e.48xlarge', 'p5.48xlarge'], {
      'us-east-1a': 'use1-az6',
      'us-east-1d': 'use1-az4',
    });

    const filters = [
      { Name: 'state', Values: ['active'] },
      { Name: 'instance-type', Values: ['g6e.48xlarge', 'p5.48xlarge'] },
      { Name: 'instance-platform', Values: ['Linux/UNIX'] },
      { Name: 'tenancy', Values: ['default'] },
    ];
    expect(ec2).toHaveReceivedNthCommandWith(1, DescribeCapacityReservationsCommand, { Filters: filters, MaxResults: 1000 });
    expect(ec2).toHaveReceivedNthCommandWith(2, DescribeCapacityReservationsCommand, {
      Filters: filters,
      MaxResults: 1000,
      NextToken: 'next',
    });
    expect(found).toEqual([
      {
        reservationId: 'cr-0block',
        instanceType: 'p5.48xlarge',
        azId: 'use1-az4',
        azName: 'us-east-1d',
        kind: 'capacity-block',
        availableInstances: 4,
        totalInstances: 4,
        ownerId: '222222222222',
      },
      {
        reservationId: 'cr-0odcr',
        instanceType: 'g6e.48xlarge',
        azId: 'use1-az6',
        azName: 'us-east-1a',
        kind: 'odcr',
        availableInstances: 1,
        totalInstances: 3,
        ownerId: '444444444444',
      },
    ]);
  });
});
