import {
  DescribeAvailabilityZonesCommand,
  DescribeCapacityReservationsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
  GetSpotPlacementScoresCommand,
} from '@aws-sdk/client-ec2';
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  NoSuchResourceException,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { AwsClientStub } from 'aws-sdk-client-mock';
import { ec2InstanceTypes } from './ec2Data';

/**
 * One us-east-1 cell with something of everything:
 * - zones a→use1-az6, b→use1-az1, c→use1-az2;
 * - p5.48xlarge in az6 and az1, p5.4xlarge in az1, trn1.32xlarge in az2;
 * - spot prices for p5.48xlarge in az6 and p5.4xlarge in az1 (none for trn1: no spot);
 * - placement score 8 in az6 for every query;
 * - a 4-instance p5 Capacity Block in az1 and a trn1 ODCR (1 of 2 slots free) in az2;
 * - running: one on-demand p5.48xlarge, one spot p5.48xlarge, one Capacity Block
 *   p5.48xlarge and one trn1.32xlarge, over two pages;
 * - quotas: P on-demand 768, P5 spot 384, Trn on-demand 512; the rest have no value and
 *   default to 0.
 */
export function answerAsHealthyCell(
  ec2: AwsClientStub<EC2Client>,
  quotas: AwsClientStub<ServiceQuotasClient>,
): void {
  ec2.on(DescribeAvailabilityZonesCommand).resolves({
    AvailabilityZones: [
      { ZoneName: 'us-east-1a', ZoneId: 'use1-az6' },
      { ZoneName: 'us-east-1b', ZoneId: 'use1-az1' },
      { ZoneName: 'us-east-1c', ZoneId: 'use1-az2' },
    ],
  });
  ec2.on(DescribeInstanceTypesCommand).resolves({
    InstanceTypes: [
      ec2InstanceTypes['p5.48xlarge'],
      ec2InstanceTypes['p5.4xlarge'],
      ec2InstanceTypes['trn1.32xlarge'],
      ec2InstanceTypes['m5.large'],
    ],
  });
  ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({
    InstanceTypeOfferings: [
      { InstanceType: 'p5.48xlarge', LocationType: 'availability-zone-id', Location: 'use1-az6' },
      { InstanceType: 'p5.48xlarge', LocationType: 'availability-zone-id', Location: 'use1-az1' },
      { InstanceType: 'p5.4xlarge', LocationType: 'availability-zone-id', Location: 'use1-az1' },
      { InstanceType: 'trn1.32xlarge', LocationType: 'availability-zone-id', Location: 'use1-az2' },
    ],
  });
  ec2.on(DescribeSpotPriceHistoryCommand).resolves({
    SpotPriceHistory: [
      { InstanceType: 'p5.48xlarge', AvailabilityZone: 'us-east-1a', SpotPrice: '30.5' },
      { InstanceType: 'p5.4xlarge', AvailabilityZone: 'us-east-1b', SpotPrice: '4.25' },
    ],
  });
  ec2.on(GetSpotPlacementScoresCommand).resolves({
    SpotPlacementScores: [{ Region: 'us-east-1', AvailabilityZoneId: 'use1-az6', Score: 8 }],
  });
  ec2.on(DescribeCapacityReservationsCommand).resolves({
    CapacityReservations: [
      {
        CapacityReservationId: 'cr-0p5block',
        InstanceType: 'p5.48xlarge',
        AvailabilityZone: 'us-east-1b',
        AvailabilityZoneId: 'use1-az1',
        ReservationType: 'capacity-block',
        AvailableInstanceCount: 4,
        TotalInstanceCount: 5,
      },
      {
        CapacityReservationId: 'cr-0trn',
        InstanceType: 'trn1.32xlarge',
        AvailabilityZone: 'us-east-1c',
        AvailabilityZoneId: 'use1-az2',
        ReservationType: 'default',
        AvailableInstanceCount: 1,
        TotalInstanceCount: 2,
      },
    ],
  });
  ec2
    .on(DescribeInstancesCommand)
    .resolvesOnce({
      Reservations: [{ Instances: [{ InstanceType: 'p5.48xlarge' }, { InstanceType: 'p5.48xlarge', InstanceLifecycle: 'spot' }] }],
      NextToken: 'instances-2',
    })
    .resolvesOnce({
      Reservations: [
        { Instances: [{ InstanceType: 'p5.48xlarge', InstanceLifecycle: 'capacity-block' }] },
        { Instances: [{ InstanceType: 'trn1.32xlarge' }] },
      ],
    });

  const applied: Record<string, number> = { 'L-417A185B': 768, 'L-C4BD4855': 384, 'L-2C3B7624': 512 };
  quotas.on(GetServiceQuotaCommand).callsFake(async input => {
    const value = applied[input.QuotaCode];
    if (value === undefined) throw new NoSuchResourceException({ message: 'no applied value', $metadata: {} });
    return { Quota: { QuotaCode: input.QuotaCode, Value: value } };
  });
  quotas.on(GetAWSDefaultServiceQuotaCommand).callsFake(async input => ({ Quota: { QuotaCode: input.QuotaCode, Value: 0 } }));
}
