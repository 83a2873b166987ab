import {
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { testCellApi } from './__testUtils__/cellApi';
import { ec2InstanceTypes } from './__testUtils__/ec2Data';
import { discoverInstanceTypes, toInstanceTypeInfo } from './instanceTypes';
import { discoverTypeOfferings } from './typeOfferings';

// moto covers both calls for real (discoverEstate.moto.test.ts); these prove pagination,
// which moto ignores, and the accelerator blocks moto's data has no example of.
describe('instance types and their offerings', () => {
  const ec2 = mockClient(EC2Client);
  afterEach(() => ec2.reset());

  it('selects families by wildcard, follows pages, and keeps only accelerator types', async () => {
    ec2
      .on(DescribeInstanceTypesCommand)
      .resolvesOnce({ InstanceTypes: [ec2InstanceTypes['p5.48xlarge'], ec2InstanceTypes['m5.large']], NextToken: 't2' })
      .resolvesOnce({ InstanceTypes: [ec2InstanceTypes['trn1.32xlarge']] });

    const types = await discoverInstanceTypes(testCellApi(), ['p5', 'trn1', 'm5']);
    expect(ec2).toHaveReceivedNthCommandWith(1, DescribeInstanceTypesCommand, {
      Filters: [{ Name: 'instance-type', Values: ['p5.*', 'trn1.*', 'm5.*'] }],
      MaxResults: 100,
    });
    expect(ec2).toHaveReceivedNthCommandWith(2, DescribeInstanceTypesCommand, { NextToken: 't2' });
    expect(types.map(t => t.instanceType)).toEqual(['p5.48xlarge', 'trn1.32xlarge']);
  });

  it('reads GPUs, Neuron devices and inference accelerators alike', () => {
    expect(toInstanceTypeInfo(ec2InstanceTypes['p5.48xlarge'])).toEqual({
      instanceType: 'p5.48xlarge',
      family: 'p5',
      vcpus: 192,
      memoryMiB: 2097152,
      acceleratorName: 'H100',
      acceleratorManufacturer: 'NVIDIA',
      acceleratorCount: 8,
      acceleratorMemoryMiB: 81920,
      efaSupported: true,
      maxEfaInterfaces: 32,
      networkCards: 32,
    });
    expect(toInstanceTypeInfo(ec2InstanceTypes['trn1.32xlarge'])).toMatchObject({
      acceleratorName: 'Trainium',
      acceleratorManufacturer: 'AWS',
      acceleratorCount: 16,
      acceleratorMemoryMiB: 32768,
      networkCards: 8,
    });
    expect(toInstanceTypeInfo(ec2InstanceTypes['inf1.24xlarge'])).toMatchObject({
      acceleratorName: 'Inferentia',
      acceleratorCount: 16,
      acceleratorMemoryMiB: 8192,
      networkCards: 1,
    });
    expect(toInstanceTypeInfo(ec2InstanceTypes['m5.large'])).toBeUndefined();
  });

  it('asks for offerings by AZ-ID with exact type names, follows pages, and drops zones that are not regular AZs', async () => {
    ec2
      .on(DescribeInstanceTypeOfferingsCommand)
      .resolvesOnce({
        InstanceTypeOfferings: [
          { InstanceType: 'p5.48xlarge', LocationType: 'availability-zone-id', Location: 'use1-az6' },
          { InstanceType: 'p5.48xlarge', LocationType: 'availability-zone-id', Location: 'use1-bos1-az1' },
        ],
        NextToken: 'o2',
      })
      .resolvesOnce({
        InstanceTypeOfferings: [
          { InstanceType: 'p5.48xlarge', LocationType: 'availability-zone-id', Location: 'use1-az1' },
          { InstanceType: 'trn1.32xlarge', LocationType: 'availability-zone-id', Location: 'use1-az2' },
        ],
      });

    const offered = await discoverTypeOfferings(testCellApi(), ['p5.48xlarge', 'trn1.32xlarge'], ['use1-az1', 'use1-az2', 'use1-az6']);
    const request = {
      LocationType: 'availability-zone-id',
      Filters: [{ Name: 'instance-type', Values: ['p5.48xlarge', 'trn1.32xlarge'] }],
      MaxResults: 1000,
    };
    expect(ec2).toHaveReceivedNthCommandWith(1, DescribeInstanceTypeOfferingsCommand, request);
    expect(ec2).toHaveReceivedNthCommandWith(2, DescribeInstanceTypeOfferingsCommand, { ...request, NextToken: 'o2' });
    expect(offered).toEqual(
      new Map([
        ['p5.48xlarge', ['use1-az1', 'use1-az6']],
        ['trn1.32xlarge', ['use1-az2']],
      ]),
    );
  });

  it('fails rather than loop when a server repeats its NextToken', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({ InstanceTypeOfferings: [], NextToken: 'same' });
    await expect(discoverTypeOfferings(testCellApi(), ['p5.48xlarge'], [])).rejects.toThrow(/same NextToken/);
  });
});
