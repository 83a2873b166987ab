import {
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { CellRef, cellId } from '@internal/backstage-plugin-fabric-common';
import { mockClient } from 'aws-sdk-client-mock';
import { ManualClock } from '../../aws/__testUtils__/ManualClock';
import { parseFabricConfig } from '../../estate';
import { CountingLimiter, testCredentials } from './__testUtils__/cellApi';
import { answerAsHealthyCell } from './__testUtils__/healthyCell';
import { discoverEstate } from './discoverEstate';
import { DiscoveryClients, DiscoveryLogger } from './types';

const config = parseFabricConfig({
  estate: {
    source: 'aws',
    defaultRegions: ['us-east-1', 'us-west-2'],
    gpuFamilies: ['p5', 'trn1'],
    accounts: [
      { id: '111111111111', name: 'ml-platform-hub', role: 'hub' },
      { id: '222222222222', name: 'ml-research', roleArn: 'arn:aws:iam::222222222222:role/fabric-member' },
      { id: '333333333333', name: 'ml-inference', roleArn: 'arn:aws:iam::333333333333:role/fabric-member', externalId: 'ext-333' },
    ],
  },
});

const awsError = (name: string, message: string, httpStatusCode: number) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });

type CellFailure = { on: 'DescribeAvailabilityZones' | 'DescribeInstanceTypeOfferings' | 'DescribeSpotPriceHistory'; error: Error };
const commands = {
  DescribeAvailabilityZones: DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferings: DescribeInstanceTypeOfferingsCommand,
  DescribeSpotPriceHistory: DescribeSpotPriceHistoryCommand,
};

/**
 * Clients whose every cell answers like the healthy cell, except the listed failures.
 * Each cell gets its own mocked client instances, as AwsClientFactory gives it its own.
 */
function estateClients(failures: Record<string, CellFailure> = {}, deniedAccounts: Record<string, Error> = {}) {
  const started: string[] = [];
  const cellQuotas = new Map<string, ServiceQuotasClient>();
  const clients: DiscoveryClients = {
    ec2: (cell: CellRef) => {
      started.push(cellId(cell));
      const ec2 = new EC2Client({ region: cell.region, credentials: testCredentials, maxAttempts: 1 });
      const quotas = new ServiceQuotasClient({ region: cell.region, credentials: testCredentials, maxAttempts: 1 });
      cellQuotas.set(cellId(cell), quotas);
      const ec2Stub = mockClient(ec2);
      answerAsHealthyCell(ec2Stub, mockClient(quotas));
      const failure = failures[cellId(cell)];
      if (failure) ec2Stub.on(commands[failure.on]).rejects(failure.error);
      return ec2;
    },
    serviceQuotas: (cell: CellRef) => cellQuotas.get(cellId(cell))!,
    credentialsFor: account => {
      const denied = deniedAccounts[account.id];
      return denied ? () => Promise.reject(denied) : testCredentials;
    },
  };
  return { clients, started };
}

describe('discoverEstate', () => {
  it('walks every account × region into one aws inventory', async () => {
    const clock = new ManualClock(new Date('2026-11-29T12:00:00Z'));
    const limiter = new CountingLimiter();
    const inventory = await discoverEstate({ config, clients: estateClients().clients, clock, limiter });

    expect(inventory.source).toBe('aws');
    expect(inventory.takenAt).toBe('2026-11-29T12:00:00.000Z');
    expect(inventory.cells.map(c => [cellId(c), c.fresh])).toEqual([
      ['111111111111/us-east-1', true],
      ['111111111111/us-west-2', true],
      ['222222222222/us-east-1', true],
      ['222222222222/us-west-2', true],
      ['333333333333/us-east-1', true],
      ['333333333333/us-west-2', true],
    ]);
    expect(inventory.instanceTypes.map(t => t.instanceType)).toEqual(['p5.48xlarge', 'p5.4xlarge', 'trn1.32xlarge']);
    expect(inventory.offerings).toHaveLength(6 * 7);
    expect(new Set(inventory.offerings.map(o => `${o.accountId}|${o.region}|${o.azId}|${o.instanceType}|${o.capacityType}|${o.reservationId ?? ''}`)).size).toBe(6 * 7);
    // One bucket per service per cell.
    expect(limiter.granted.size).toBe(12);
  });

  it('isolates throttling, 5xx, signature and AssumeRole failures to their cells, and never rejects', async () => {
    const clock = new ManualClock(new Date('2026-11-29T12:00:00Z'));
    const previous = await discoverEstate({ config, clients: estateClients().clients, clock });
    await clock.advance(15 * 60_000);

    const { clients } = estateClients(
      {
        '222222222222/us-east-1': {
          on: 'DescribeInstanceTypeOfferings',
          error: awsError('RequestLimitExceeded', 'Request limit exceeded.', 503),
        },
        '222222222222/us-west-2': {
          on: 'DescribeAvailabilityZones',
          error: awsError('ServiceUnavailable', 'Service is unavailable. Please try again shortly.', 503),
        },
        '111111111111/us-west-2': {
          on: 'DescribeSpotPriceHistory',
          error: awsError(
            'SignatureDoesNotMatch',
            "The request signature we calculated does not match. Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261129/us-west-2/ec2/aws4_request, Signature=0123abcd",
            403,
          ),
        },
      },
      {
        '333333333333': awsError(
          'AccessDenied',
          'User: arn:aws:sts::111111111111:assumed-role/fabric-hub/cloudspectra-fabric is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/fabric-member',
          403,
        ),
      },
    );
    const inventory = await discoverEstate({ config, clients, clock, previous });

    const byCell = new Map(inventory.cells.map(c => [cellId(c), c]));
    expect(byCell.get('111111111111/us-east-1')).toMatchObject({ fresh: true, discoveredAt: '2026-11-29T12:15:00.000Z' });
    expect(byCell.get('222222222222/us-east-1')?.error).toBe(
      'RequestLimitExceeded: Request limit exceeded. (ec2:DescribeInstanceTypeOfferings in us-east-1)',
    );
    expect(byCell.get('222222222222/us-west-2')?.error).toBe(
      'ServiceUnavailable: Service is unavailable. Please try again shortly. (ec2:DescribeAvailabilityZones in us-west-2)',
    );
    expect(byCell.get('111111111111/us-west-2')?.error).toBe(
      'SignatureDoesNotMatch: The request signature we calculated does not match. Authorization: AWS4-HMAC-SHA256 Credential=[redacted], Signature=[redacted] (ec2:DescribeSpotPriceHistory in us-west-2)',
    );
    for (const cell of inventory.cells) expect(cell.error ?? '').not.toMatch(/AKIA|test-secret/);
    for (const region of ['us-east-1', 'us-west-2']) {
      expect(byCell.get(`333333333333/${region}`)?.error).toBe(
        'AccessDenied: User: arn:aws:sts::111111111111:assumed-role/fabric-hub/cloudspectra-fabric is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/fabric-member (sts:AssumeRole on arn:aws:iam::333333333333:role/fabric-member)',
      );
    }

    // Failed cells keep what the previous scan knew, dated as then, and say they are stale.
    const failed = inventory.cells.filter(c => !c.fresh);
    expect(failed.map(cellId).sort()).toEqual([
      '111111111111/us-west-2',
      '222222222222/us-east-1',
      '222222222222/us-west-2',
      '333333333333/us-east-1',
      '333333333333/us-west-2',
    ]);
    for (const cell of failed) {
      const before = previous.cells.find(c => cellId(c) === cellId(cell))!;
      expect(cell.discoveredAt).toBe('2026-11-29T12:00:00.000Z');
      expect(cell.azMap).toEqual(before.azMap);
      expect(inventory.offerings.filter(o => cellId(o) === cellId(cell))).toEqual(
        previous.offerings.filter(o => cellId(o) === cellId(cell)),
      );
    }
    expect(inventory.instanceTypes.map(t => t.instanceType)).toEqual(['p5.48xlarge', 'p5.4xlarge', 'trn1.32xlarge']);
  });

  it('without a previous inventory, a failed cell has no offerings and no discovery time', async () => {
    const { clients } = estateClients({}, { '333333333333': awsError('AccessDenied', 'not authorized', 403) });
    const inventory = await discoverEstate({ config, clients, clock: new ManualClock() });
    const failed = inventory.cells.filter(c => !c.fresh);
    expect(failed.map(c => c.accountId)).toEqual(['333333333333', '333333333333']);
    expect(failed.every(c => c.discoveredAt === undefined)).toBe(true);
    expect(inventory.offerings.some(o => o.accountId === '333333333333')).toBe(false);
    expect(inventory.offerings.some(o => o.accountId === '222222222222')).toBe(true);
  });

  it('discovers at most `concurrency` cells at a time', async () => {
    let active = 0;
    let peak = 0;
    const { clients } = estateClients();
    const counted: DiscoveryClients = {
      ...clients,
      ec2: (cell, account) => {
        active++;
        peak = Math.max(peak, active);
        return clients.ec2(cell, account);
      },
    };
    const logger: DiscoveryLogger = {
      info: message => {
        if (message === 'Discovered cell') active--;
      },
      warn: () => {},
    };
    await discoverEstate({ config, clients: counted, logger, concurrency: 2, clock: new ManualClock() });
    expect(peak).toBe(2);
  });
});
