import {
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  GetSpotPlacementScoresCommand,
} from '@aws-sdk/client-ec2';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ManualClock } from '../../aws/__testUtils__/ManualClock';
import { CountingLimiter, testCredentials } from './__testUtils__/cellApi';
import { answerAsHealthyCell } from './__testUtils__/healthyCell';
import { discoverCell, DiscoverCellOptions } from './discoverCell';
import { DiscoveryClients } from './types';

const account = {
  id: '222222222222',
  name: 'ml-research',
  roleArn: 'arn:aws:iam::222222222222:role/fabric-member',
  externalId: 'fabric-external-id',
};

const clients: DiscoveryClients = {
  ec2: cell => new EC2Client({ region: cell.region, credentials: testCredentials, maxAttempts: 1 }),
  serviceQuotas: cell => new ServiceQuotasClient({ region: cell.region, credentials: testCredentials, maxAttempts: 1 }),
};

describe('discoverCell', () => {
  const ec2 = mockClient(EC2Client);
  const quotas = mockClient(ServiceQuotasClient);
  const clock = new ManualClock(new Date('2026-11-29T12:00:00Z'));
  const options = (extra: Partial<DiscoverCellOptions> = {}): DiscoverCellOptions => ({
    account,
    region: 'us-east-1',
    gpuFamilies: ['p5', 'trn1'],
    clients,
    clock,
    limiter: new CountingLimiter(),
    ...extra,
  });

  beforeEach(() => {
    ec2.reset();
    quotas.reset();
    answerAsHealthyCell(ec2, quotas);
  });

  it('turns one cell into offerings keyed by AZ-ID, type and capacity type', async () => {
    const { status, instanceTypes, offerings } = await discoverCell(options());

    expect(status).toEqual({
      accountId: '222222222222',
      accountName: 'ml-research',
      region: 'us-east-1',
      fresh: true,
      discoveredAt: '2026-11-29T12:00:00.000Z',
      azMap: { 'us-east-1a': 'use1-az6', 'us-east-1b': 'use1-az1', 'us-east-1c': 'use1-az2' },
      warnings: [
        'L-6B0D517C (All Trn Spot Instance Requests): no applied value (NoSuchResourceException); using the AWS default of 0 vCPUs',
        'No on-demand price known for p5.4xlarge; their on-demand offerings are left out (spot and reserved are kept)',
      ],
    });
    expect(instanceTypes.map(t => t.instanceType)).toEqual(['p5.48xlarge', 'p5.4xlarge', 'trn1.32xlarge']);

    const cell = { accountId: '222222222222', region: 'us-east-1' };
    expect(offerings).toEqual([
      // P on-demand: 768 − 192 (the on-demand p5; the Capacity Block one does not count) → 3.
      { ...cell, azId: 'use1-az1', azName: 'us-east-1b', instanceType: 'p5.48xlarge', capacityType: 'on-demand', pricePerHour: 55.04, priceSource: 'built-in-table', quotaHeadroomInstances: 3 },
      // The block's free slots need no further quota.
      { ...cell, azId: 'use1-az1', azName: 'us-east-1b', instanceType: 'p5.48xlarge', capacityType: 'reserved', pricePerHour: 55.04, priceSource: 'built-in-table', quotaHeadroomInstances: 4, reservationId: 'cr-0p5block', reservedInstances: 4 },
      // P5 spot: 384 − 192 (the spot p5) → 1 p5.48xlarge.
      { ...cell, azId: 'use1-az6', azName: 'us-east-1a', instanceType: 'p5.48xlarge', capacityType: 'spot', pricePerHour: 30.5, priceSource: 'spot-price-history', placementScore: 8, quotaHeadroomInstances: 1 },
      { ...cell, azId: 'use1-az6', azName: 'us-east-1a', instanceType: 'p5.48xlarge', capacityType: 'on-demand', pricePerHour: 55.04, priceSource: 'built-in-table', quotaHeadroomInstances: 3 },
      // …or 12 p5.4xlarge; it has no on-demand price, so no on-demand offering.
      { ...cell, azId: 'use1-az1', azName: 'us-east-1b', instanceType: 'p5.4xlarge', capacityType: 'spot', pricePerHour: 4.25, priceSource: 'spot-price-history', placementScore: undefined, quotaHeadroomInstances: 12 },
      // Trn on-demand: 512 − 128 running − 128 held by the ODCR's free slot → 2.
      { ...cell, azId: 'use1-az2', azName: 'us-east-1c', instanceType: 'trn1.32xlarge', capacityType: 'on-demand', pricePerHour: 21.5, priceSource: 'built-in-table', quotaHeadroomInstances: 2 },
      { ...cell, azId: 'use1-az2', azName: 'us-east-1c', instanceType: 'trn1.32xlarge', capacityType: 'reserved', pricePerHour: 21.5, priceSource: 'built-in-table', quotaHeadroomInstances: 1, reservationId: 'cr-0trn', reservedInstances: 1 },
    ]);
    for (const offering of offerings) expect(Number.isFinite(offering.pricePerHour)).toBe(true);
  });

  it('counts usage with a filtered, paginated DescribeInstances', async () => {
    await discoverCell(options());
    const filters = [
      { Name: 'instance-state-name', Values: ['pending', 'running'] },
      { Name: 'instance-type', Values: ['p5.48xlarge', 'p5.4xlarge', 'trn1.32xlarge'] },
    ];
    expect(ec2.commandCalls(DescribeInstancesCommand).map(c => c.args[0].input)).toEqual([
      { Filters: filters, MaxResults: 1000 },
      { Filters: filters, MaxResults: 1000, NextToken: 'instances-2' },
    ]);
  });

  it('sends every call through the limiter, under the cell’s own EC2 and Service Quotas keys', async () => {
    const limiter = new CountingLimiter();
    await discoverCell(options({ limiter }));
    expect(limiter.granted.get('ec2:222222222222/us-east-1')).toBe(ec2.calls().length);
    expect(limiter.granted.get('servicequotas:222222222222/us-east-1')).toBe(quotas.calls().length);
    expect([...limiter.granted.keys()].sort()).toEqual(['ec2:222222222222/us-east-1', 'servicequotas:222222222222/us-east-1']);
  });

  it('keeps a cell fresh when only placement scores fail, with a warning', async () => {
    ec2.on(GetSpotPlacementScoresCommand).rejects(
      Object.assign(new Error('You have exceeded your maximum allowed spot placement configurations.'), {
        name: 'MaxConfigLimitExceeded',
      }),
    );
    const { status, offerings } = await discoverCell(options());
    expect(status.fresh).toBe(true);
    expect(status.warnings).toContain(
      'Spot placement scores unavailable: MaxConfigLimitExceeded: You have exceeded your maximum allowed spot placement configurations. (ec2:GetSpotPlacementScores in us-east-1)',
    );
    expect(offerings.filter(o => o.capacityType === 'spot').every(o => o.placementScore === undefined)).toBe(true);
  });

  it('reports an access-denied call with what it was doing, and no offerings', async () => {
    ec2.on(DescribeInstanceTypesCommand).rejects(
      Object.assign(new Error('You are not authorized to perform this operation.'), {
        name: 'UnauthorizedOperation',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const result = await discoverCell(options());
    expect(result.status).toMatchObject({
      fresh: false,
      error: 'UnauthorizedOperation: You are not authorized to perform this operation. (ec2:DescribeInstanceTypes in us-east-1)',
      azMap: { 'us-east-1a': 'use1-az6', 'us-east-1b': 'use1-az1', 'us-east-1c': 'use1-az2' },
    });
    expect(result.status.discoveredAt).toBeUndefined();
    expect(result.offerings).toEqual([]);
  });

  it('reports a role that cannot be assumed as an AssumeRole failure, before any EC2 call', async () => {
    const denied = Object.assign(
      new Error(
        'User: arn:aws:sts::111111111111:assumed-role/fabric-hub/i-0abc is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/fabric-member',
      ),
      { name: 'AccessDenied' },
    );
    const result = await discoverCell(
      options({ clients: { ...clients, credentialsFor: () => () => Promise.reject(denied) } }),
    );
    expect(result.status.fresh).toBe(false);
    expect(result.status.error).toBe(
      'AccessDenied: User: arn:aws:sts::111111111111:assumed-role/fabric-hub/i-0abc is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/fabric-member (sts:AssumeRole on arn:aws:iam::222222222222:role/fabric-member)',
    );
    expect(ec2.calls()).toHaveLength(0);
  });

  it('gives up on a cell that outlives its deadline, and aborts its calls', async () => {
    let signal: AbortSignal | undefined;
    ec2.on(DescribeAvailabilityZonesCommand).callsFake(() => new Promise(() => {}));
    const slowClients: DiscoveryClients = {
      ...clients,
      ec2: cell => {
        const client = clients.ec2(cell, account);
        const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
        client.send = ((command: unknown, opts: { abortSignal?: AbortSignal }) => {
          signal = opts?.abortSignal;
          return send(command, opts);
        }) as typeof client.send;
        return client;
      },
    };
    const pending = discoverCell(options({ clients: slowClients, cellTimeoutMs: 30_000 }));
    await clock.advance(29_999);
    expect(signal?.aborted).toBe(false);
    await clock.advance(1);
    const result = await pending;
    expect(result.status).toMatchObject({
      fresh: false,
      error: 'Timeout: discovery of 222222222222/us-east-1 took longer than 30 s',
    });
    expect(signal?.aborted).toBe(true);
  });

  it('lets a finished cell release its deadline timer', async () => {
    await discoverCell(options());
    expect(clock.pendingSleeps).toBe(0);
  });
});
