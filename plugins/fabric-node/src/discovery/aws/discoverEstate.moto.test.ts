import {
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { CellRef, cellId, Inventory } from '@internal/backstage-plugin-fabric-common';
import { MotoServer, startMotoServer } from '@internal/fabric-test-tooling';
import { mockClient } from 'aws-sdk-client-mock';
import { AccountCredentialsRef, AwsClientFactory } from '../../aws';
import { parseFabricConfig } from '../../estate';
import { discoverEstate } from './discoverEstate';
import { DiscoveryClients } from './types';

jest.setTimeout(120_000);

/**
 * Discovery end to end with the real SDK against moto_server: three member accounts
 * reached through STS AssumeRole (moto routes each assumed session to its own account)
 * × two regions. moto supplies the real parts: AZ name → AZ-ID maps, the instance type
 * dump (GPU, EFA, network cards), AZ-ID offerings, and per-account EC2 state.
 *
 * Stand-ins, only where moto has nothing (shared/reference/moto.md):
 * - DescribeCapacityReservations and GetSpotPlacementScores are unimplemented in moto
 *   (HTTP 500); a middleware on each EC2 client answers them with "none", so everything
 *   else still goes over the wire. Their request shapes are proven in the aws-sdk-client-mock
 *   suites (capacityReservations.test.ts, spotPlacementScores.test.ts).
 * - Spot prices: moto returns nothing under the product-description filter AWS needs, so
 *   moto cells have no spot offerings; spotPrices.test.ts covers them.
 * - EC2 quotas: moto's Service Quotas has none for ec2. The first test runs the real
 *   NoSuchResourceException → GetAWSDefaultServiceQuota → 0 path against moto; the
 *   quota test mocks only ServiceQuotasClient (aws-sdk-client-mock), to give every
 *   account the same 768 vCPUs and show that usage in one account lowers only its own
 *   headroom.
 */
describe('discoverEstate against moto_server', () => {
  let moto: MotoServer;
  let factory: AwsClientFactory;
  let config: ReturnType<typeof parseFabricConfig>;
  const member = (id: string, name: string) => ({
    id,
    name,
    roleArn: `arn:aws:iam::${id}:role/fabric-member`,
    externalId: 'fabric-moto-external-id',
  });
  const accounts = [member('222222222222', 'ml-research'), member('333333333333', 'ml-inference'), member('444444444444', 'ml-batch')];
  const use1AzIds = ['use1-az1', 'use1-az2', 'use1-az3', 'use1-az4', 'use1-az5', 'use1-az6'];
  let first: Inventory;

  beforeAll(async () => {
    moto = await startMotoServer();
    config = parseFabricConfig({
      estate: {
        source: 'aws',
        defaultRegions: ['us-east-1', 'us-west-2'],
        gpuFamilies: ['p5', 'g6e', 'trn1'],
        accounts,
      },
      aws: { endpoint: moto.endpoint },
    });
    factory = new AwsClientFactory({
      endpoint: moto.endpoint,
      hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      // moto answers unimplemented calls with HTTP 500; retrying them only slows tests.
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    factory?.destroy();
    await moto?.stop();
  });

  it("returns moto's real instance data and AZ-ID offerings for every account × region", async () => {
    first = await discoverEstate({ config, clients: withMotoGapsAnswered(factory) });

    expect(first.cells.map(c => [cellId(c), c.fresh, c.error])).toEqual(
      accounts.flatMap(a => [
        [`${a.id}/us-east-1`, true, undefined],
        [`${a.id}/us-west-2`, true, undefined],
      ]),
    );

    const p5 = first.instanceTypes.find(t => t.instanceType === 'p5.48xlarge');
    expect(p5).toEqual({
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
    expect(first.instanceTypes.find(t => t.instanceType === 'trn1.32xlarge')).toMatchObject({
      acceleratorName: 'Trainium',
      acceleratorManufacturer: 'AWS',
      acceleratorCount: 16,
    });
    expect(first.instanceTypes.every(t => ['p5', 'g6e', 'trn1'].includes(t.family))).toBe(true);

    for (const account of accounts) {
      expect(azIdsOffering(first, account.id, 'us-east-1', 'p5.48xlarge')).toEqual(use1AzIds);
      expect(azIdsOffering(first, account.id, 'us-west-2', 'p5.48xlarge')).toEqual([
        'usw2-az1',
        'usw2-az2',
        'usw2-az3',
        'usw2-az4',
      ]);
    }

    // Every offering's AZ name is what its own account calls that AZ-ID.
    const azMaps = new Map(first.cells.map(c => [cellId(c), c.azMap]));
    for (const offering of first.offerings) {
      expect(azMaps.get(cellId(offering))?.[offering.azName]).toBe(offering.azId);
    }

    // moto has no EC2 quotas and no default for them: recorded, and read as 0.
    const cell = first.cells[0];
    expect(cell.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^L-417A185B \(Running On-Demand P instances\): no applied value \(NoSuchResourceException\) and the AWS default could not be read \(HTTP 500: .*\); assuming 0 vCPUs$/),
      ]),
    );
    expect(first.offerings.every(o => o.quotaHeadroomInstances === 0)).toBe(true);
    // Spot prices vanish under moto's product-description filter: on-demand only.
    expect(new Set(first.offerings.map(o => o.capacityType))).toEqual(new Set(['on-demand']));
    expect(first.offerings.every(o => o.priceSource === 'built-in-table' && o.pricePerHour > 0)).toBe(true);
  });

  it("keeps each account's usage in its own account: only that account's headroom drops", async () => {
    const research = accounts[0];
    const researchUse1 = factory.ec2({ accountId: research.id, region: 'us-east-1' }, research);
    // Type validation is off in moto by default; p5.48xlarge is a real type anyway.
    await researchUse1.send(
      new RunInstancesCommand({ ImageId: 'ami-12c6146b', InstanceType: 'p5.48xlarge', MinCount: 1, MaxCount: 1 }),
    );

    const quotas = mockClient(ServiceQuotasClient);
    quotas.on(GetServiceQuotaCommand).callsFake(async input => ({ Quota: { QuotaCode: input.QuotaCode, Value: 768 } }));
    let inventory: Inventory;
    try {
      inventory = await discoverEstate({ config, clients: withMotoGapsAnswered(factory) });
    } finally {
      quotas.restore();
    }

    const headroom = (accountId: string, region: string) => [
      ...new Set(
        inventory.offerings
          .filter(
            o =>
              o.accountId === accountId &&
              o.region === region &&
              o.instanceType === 'p5.48xlarge' &&
              o.capacityType === 'on-demand',
          )
          .map(o => o.quotaHeadroomInstances),
      ),
    ];
    // 768 vCPUs of P quota, 192 per p5.48xlarge: 4, or 3 with one running.
    expect(headroom(research.id, 'us-east-1')).toEqual([3]);
    expect(headroom(research.id, 'us-west-2')).toEqual([4]);
    for (const other of accounts.slice(1)) {
      expect(headroom(other.id, 'us-east-1')).toEqual([4]);
      expect(headroom(other.id, 'us-west-2')).toEqual([4]);
    }
  });

  it('marks the cells of an account whose role cannot be assumed stale, with the error, and completes the rest', async () => {
    const inference = accounts[1];
    const denial = Object.assign(
      new Error(
        `User: arn:aws:sts::123456789012:assumed-role/fabric-hub/cloudspectra-fabric is not authorized to perform: sts:AssumeRole on resource: ${inference.roleArn}`,
      ),
      { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } },
    );
    // moto accepts every AssumeRole, so the denial is injected where STS would raise it:
    // the account's credential provider, used by the pre-flight check and by its clients.
    const denyingProvider = () => Promise.reject(denial);
    const motoClients = withMotoGapsAnswered(factory);
    const clients: DiscoveryClients = {
      ...motoClients,
      credentialsFor: account => (account.id === inference.id ? denyingProvider : factory.credentialsFor(account)),
      ec2: (cell, account) =>
        account.id === inference.id
          ? new EC2Client({ region: cell.region, endpoint: moto.endpoint, credentials: denyingProvider, maxAttempts: 1 })
          : motoClients.ec2(cell, account),
    };

    const inventory = await discoverEstate({ config, clients, previous: first });

    expect(inventory.cells).toHaveLength(6);
    const denied = inventory.cells.filter(c => c.accountId === inference.id);
    const others = inventory.cells.filter(c => c.accountId !== inference.id);
    expect(denied.map(cellId)).toEqual(['333333333333/us-east-1', '333333333333/us-west-2']);

    for (const cell of denied) {
      const before = first.cells.find(c => cellId(c) === cellId(cell))!;
      expect(cell.fresh).toBe(false);
      expect(cell.error).toBe(
        `AccessDenied: ${denial.message} (sts:AssumeRole on arn:aws:iam::333333333333:role/fabric-member)`,
      );
      expect(cell.error).not.toMatch(/hub-secret|hub-access-key/);
      // Stale, not gone: the previous scan's offerings and date stay.
      expect(cell.discoveredAt).toBe(before.discoveredAt);
      expect(inventory.offerings.filter(o => cellId(o) === cellId(cell))).toEqual(
        first.offerings.filter(o => cellId(o) === cellId(cell)),
      );
    }
    for (const cell of others) {
      expect(cell.fresh).toBe(true);
      expect(cell.error).toBeUndefined();
      expect(Date.parse(cell.discoveredAt!)).toBeGreaterThanOrEqual(Date.parse(first.takenAt));
    }
  });
});

function azIdsOffering(inventory: Inventory, accountId: string, region: string, instanceType: string): string[] {
  const offerings = inventory.offerings.filter(
    o => o.accountId === accountId && o.region === region && o.instanceType === instanceType,
  );
  return [...new Set(offerings.map(o => o.azId))].sort();
}

const answeredClients = new WeakSet<EC2Client>();

/**
 * The factory's real moto clients, with the two EC2 operations moto does not implement
 * answered locally as "nothing there" before the request is built, so the rest of each
 * client's calls still go over the wire to moto.
 */
function withMotoGapsAnswered(factory: AwsClientFactory): DiscoveryClients {
  const emptyAnswers: Record<string, object> = {
    DescribeCapacityReservationsCommand: { CapacityReservations: [] },
    GetSpotPlacementScoresCommand: { SpotPlacementScores: [] },
  };
  return {
    credentialsFor: account => factory.credentialsFor(account),
    serviceQuotas: (cell: CellRef, account: AccountCredentialsRef) => factory.serviceQuotas(cell, account),
    ec2: (cell: CellRef, account: AccountCredentialsRef) => {
      const client = factory.ec2(cell, account);
      if (!answeredClients.has(client)) {
        answeredClients.add(client);
        client.middlewareStack.add(
          (next, context) => async args => {
            const answer = context.commandName && emptyAnswers[context.commandName];
            if (answer) return { output: { ...answer, $metadata: {} }, response: {} } as any;
            return next(args);
          },
          { step: 'initialize', name: 'answerWhatMotoLacks' },
        );
      }
      return client;
    },
  };
}
