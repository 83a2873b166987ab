import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  DescribeSpotPriceHistoryCommand,
  DescribeVpcsCommand,
  EC2Client,
  RunInstancesCommand,
  _InstanceType,
} from '@aws-sdk/client-ec2';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  FaultProxy,
  MotoServer,
  rotatedAzNames,
  startFaultProxy,
  startMotoServer,
} from '@internal/fabric-test-tooling';
import { awsErrorCode, isAccessDenied, isInsufficientCapacity, isThrottling } from '../../aws/errors';

jest.setTimeout(60_000);

const research = '222222222222';
const inference = '333333333333';
const region = 'us-east-1';

// The real SDK clients through the fault proxy in front of moto_server.
describe('the AWS fault proxy in front of moto_server', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  const credentials = new Map<string, { accessKeyId: string; secretAccessKey: string; sessionToken?: string }>();

  const ec2 = (account: string) =>
    new EC2Client({ region, endpoint: proxy.endpoint, credentials: credentials.get(account)!, maxAttempts: 1 });

  async function assumeRole(account: string) {
    const sts = new STSClient({
      region,
      endpoint: proxy.endpoint,
      credentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      maxAttempts: 1,
    });
    try {
      const out = await sts.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/fabric-member`, RoleSessionName: 'fabric' }),
      );
      return {
        accessKeyId: out.Credentials!.AccessKeyId!,
        secretAccessKey: out.Credentials!.SecretAccessKey!,
        sessionToken: out.Credentials!.SessionToken,
      };
    } finally {
      sts.destroy();
    }
  }

  async function azMap(account: string): Promise<Record<string, string>> {
    const out = await ec2(account).send(new DescribeAvailabilityZonesCommand({}));
    return Object.fromEntries(out.AvailabilityZones!.map(z => [z.ZoneName!, z.ZoneId!]));
  }

  beforeAll(async () => {
    moto = await startMotoServer();
    proxy = await startFaultProxy({
      target: moto.endpoint,
      azNames: rotatedAzNames(),
      serviceQuotas: { [research]: { [region]: { 'L-DB2E81BA': 768 } } },
      spotPrices: { 'g6e.xlarge': 0.95 },
    });
    for (const account of [research, inference]) credentials.set(account, await assumeRole(account));
  });

  afterEach(() => proxy.setRules([]));

  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  it('learns which account each assumed-role key belongs to', () => {
    expect(proxy.accountOf(credentials.get(research)!.accessKeyId)).toBe(research);
    expect(proxy.accountOf(credentials.get(inference)!.accessKeyId)).toBe(inference);
  });

  it('gives each account its own AZ-name map, and keeps requests and answers consistent with it', async () => {
    const researchMap = await azMap(research);
    const inferenceMap = await azMap(inference);
    // The same AZ-IDs under the same set of names, but paired differently.
    expect(Object.values(researchMap).sort()).toEqual(Object.values(inferenceMap).sort());
    expect(Object.keys(researchMap).sort()).toEqual(Object.keys(inferenceMap).sort());
    expect(researchMap).not.toEqual(inferenceMap);

    // A subnet created by the account's AZ name lands in that name's AZ-ID, and reads back
    // under the same name.
    const client = ec2(inference);
    const vpc = await client.send(new CreateVpcCommand({ CidrBlock: '10.7.0.0/16' }));
    const [name, zoneId] = Object.entries(inferenceMap).find(([n, id]) => researchMap[n] !== id)!;
    const subnet = await client.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.7.1.0/24', AvailabilityZone: name }),
    );
    expect(subnet.Subnet).toMatchObject({ AvailabilityZone: name, AvailabilityZoneId: zoneId });
  });

  it('answers Service Quotas from its table, and NoSuchResourceException where the table has no value', async () => {
    const quotas = (account: string) =>
      new ServiceQuotasClient({ region, endpoint: proxy.endpoint, credentials: credentials.get(account)!, maxAttempts: 1 });
    const request = { ServiceCode: 'ec2', QuotaCode: 'L-DB2E81BA' };
    const out = await quotas(research).send(new GetServiceQuotaCommand(request));
    expect(out.Quota).toMatchObject({ QuotaCode: 'L-DB2E81BA', Value: 768 });
    await expect(quotas(inference).send(new GetServiceQuotaCommand(request))).rejects.toMatchObject({
      name: 'NoSuchResourceException',
    });
  });

  it('prices spot offerings for the Linux/UNIX product, in the account\'s own zone names', async () => {
    const out = await ec2(inference).send(
      new DescribeSpotPriceHistoryCommand({
        InstanceTypes: ['g6e.xlarge', 'p5.48xlarge'],
        Filters: [{ Name: 'product-description', Values: ['Linux/UNIX'] }],
        StartTime: new Date(),
        EndTime: new Date(),
      }),
    );
    const rows = out.SpotPriceHistory ?? [];
    expect(rows.length).toBeGreaterThan(0);
    const zones = await azMap(inference);
    for (const row of rows) {
      expect(row).toMatchObject({ InstanceType: 'g6e.xlarge', SpotPrice: '0.950000', ProductDescription: 'Linux/UNIX' });
      expect(Object.keys(zones)).toContain(row.AvailabilityZone);
    }
  });

  it('reports insufficient capacity for one type × AZ-ID in CreateFleet\'s errors while the other override launches', async () => {
    const client = ec2(research);
    const zones = await azMap(research);
    const [[nameA, zoneA], [nameB]] = Object.entries(zones).sort();
    const vpc = await client.send(new CreateVpcCommand({ CidrBlock: '10.8.0.0/16' }));
    const subnetA = await client.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.8.1.0/24', AvailabilityZone: nameA }),
    );
    const subnetB = await client.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.8.2.0/24', AvailabilityZone: nameB }),
    );
    const template = await client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'gpu-nodes',
        LaunchTemplateData: { ImageId: 'ami-12c6146b' },
      }),
    );
    proxy.setRules([{ fault: 'insufficient-capacity', instanceType: 'g6e.xlarge', azId: zoneA, capacityType: 'spot' }]);

    const fleet = await client.send(
      new CreateFleetCommand({
        Type: 'instant',
        TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'spot' },
        LaunchTemplateConfigs: [
          {
            LaunchTemplateSpecification: { LaunchTemplateId: template.LaunchTemplate!.LaunchTemplateId!, Version: '$Latest' },
            Overrides: [
              { InstanceType: 'g6e.xlarge', SubnetId: subnetA.Subnet!.SubnetId! },
              { InstanceType: 'g6e.xlarge', SubnetId: subnetB.Subnet!.SubnetId! },
            ],
          },
        ],
      }),
    );
    expect(fleet.Errors).toEqual([
      expect.objectContaining({
        ErrorCode: 'InsufficientInstanceCapacity',
        Lifecycle: 'spot',
        LaunchTemplateAndOverrides: expect.objectContaining({
          Overrides: expect.objectContaining({ InstanceType: 'g6e.xlarge', SubnetId: subnetA.Subnet!.SubnetId }),
        }),
      }),
    ]);
    expect(fleet.Instances).toHaveLength(1);
    const described = await client.send(new DescribeInstancesCommand({ InstanceIds: fleet.Instances![0].InstanceIds }));
    const instance = described.Reservations![0].Instances![0];
    expect(instance.SubnetId).toBe(subnetB.Subnet!.SubnetId);
    expect(instance.Placement?.AvailabilityZone).toBe(nameB);

    // The same pool through RunInstances: the SDK surfaces InsufficientInstanceCapacity.
    const run = client.send(
      new RunInstancesCommand({
        ImageId: 'ami-12c6146b',
        InstanceType: 'g6e.xlarge',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnetA.Subnet!.SubnetId!,
        InstanceMarketOptions: { MarketType: 'spot' },
      }),
    );
    const error = await run.catch(e => e);
    expect(isInsufficientCapacity(error)).toBe(true);
  });

  it('leaves every override out when the whole launch is short of capacity', async () => {
    const client = ec2(inference);
    const vpc = await client.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const [name] = Object.keys(await azMap(inference)).sort();
    const subnet = await client.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.9.1.0/24', AvailabilityZone: name }),
    );
    const template = await client.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: 'gang', LaunchTemplateData: { ImageId: 'ami-12c6146b' } }),
    );
    proxy.setRules([{ fault: 'insufficient-capacity', account: inference, instanceType: 'p5.48xlarge', once: true }]);
    const before = await client.send(new DescribeInstancesCommand({}));
    const fleet = await client.send(
      new CreateFleetCommand({
        Type: 'instant',
        TargetCapacitySpecification: { TotalTargetCapacity: 4, DefaultTargetCapacityType: 'on-demand' },
        LaunchTemplateConfigs: [
          {
            LaunchTemplateSpecification: { LaunchTemplateName: 'gang', Version: '$Latest' },
            Overrides: [{ InstanceType: 'p5.48xlarge', SubnetId: subnet.Subnet!.SubnetId! }],
          },
        ],
      }),
    );
    expect(fleet.FleetId).toMatch(/^fleet-/);
    expect(fleet.Errors?.map(e => e.ErrorCode)).toEqual(['InsufficientInstanceCapacity']);
    expect(fleet.Instances ?? []).toEqual([]);
    const after = await client.send(new DescribeInstancesCommand({}));
    expect(after.Reservations?.length ?? 0).toBe(before.Reservations?.length ?? 0);
    // once: the next launch of that pool goes through.
    const retry = await client.send(
      new CreateFleetCommand({
        Type: 'instant',
        TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'on-demand' },
        LaunchTemplateConfigs: [
          {
            LaunchTemplateSpecification: { LaunchTemplateId: template.LaunchTemplate!.LaunchTemplateId!, Version: '$Latest' },
            Overrides: [{ InstanceType: 'p5.48xlarge', SubnetId: subnet.Subnet!.SubnetId! }],
          },
        ],
      }),
    );
    expect(retry.Errors ?? []).toEqual([]);
    expect(retry.Instances).toHaveLength(1);
  });

  it('gives a gang all or nothing from a pool with fewer instances than it needs', async () => {
    const client = ec2(research);
    const vpc = await client.send(new CreateVpcCommand({ CidrBlock: '10.10.0.0/16' }));
    const [name, zoneId] = Object.entries(await azMap(research)).sort()[0];
    const subnet = await client.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.10.1.0/24', AvailabilityZone: name }),
    );
    await client.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: 'island', LaunchTemplateData: { ImageId: 'ami-12c6146b' } }),
    );
    proxy.setRules([{ fault: 'insufficient-capacity', instanceType: 'p5.48xlarge', azId: zoneId, available: 3 }]);
    const gang = (minTargetCapacity?: number) =>
      client.send(
        new CreateFleetCommand({
          Type: 'instant',
          TargetCapacitySpecification: { TotalTargetCapacity: 4, DefaultTargetCapacityType: 'on-demand' },
          OnDemandOptions: minTargetCapacity
            ? { MinTargetCapacity: minTargetCapacity, SingleInstanceType: true, SingleAvailabilityZone: true }
            : undefined,
          LaunchTemplateConfigs: [
            {
              LaunchTemplateSpecification: { LaunchTemplateName: 'island', Version: '$Latest' },
              Overrides: [{ InstanceType: 'p5.48xlarge', SubnetId: subnet.Subnet!.SubnetId! }],
            },
          ],
        }),
      );

    const allOrNothing = await gang(4);
    expect(allOrNothing.Errors?.map(e => e.ErrorCode)).toEqual(['InsufficientInstanceCapacity']);
    expect(allOrNothing.Instances ?? []).toEqual([]);

    const partial = await gang();
    expect(partial.Errors?.map(e => e.ErrorCode)).toEqual(['InsufficientInstanceCapacity']);
    expect(partial.Instances?.flatMap(i => i.InstanceIds)).toHaveLength(3);
    // The pool is used up.
    expect(proxy.rules()[0].available).toBe(0);
  });

  it('answers a repeated CreateFleet with the same ClientToken with the first launch, even when that answer was lost', async () => {
    const client = ec2(inference);
    const vpc = await client.send(new CreateVpcCommand({ CidrBlock: '10.11.0.0/16' }));
    const [name] = Object.keys(await azMap(inference)).sort();
    const subnet = await client.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.11.1.0/24', AvailabilityZone: name }),
    );
    await client.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: 'claims', LaunchTemplateData: { ImageId: 'ami-12c6146b' } }),
    );
    const launch = (clientToken: string, instanceType: _InstanceType = 'g6e.xlarge') =>
      client.send(
        new CreateFleetCommand({
          ClientToken: clientToken,
          Type: 'instant',
          TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'on-demand' },
          LaunchTemplateConfigs: [
            {
              LaunchTemplateSpecification: { LaunchTemplateName: 'claims', Version: '$Latest' },
              Overrides: [{ InstanceType: instanceType, SubnetId: subnet.Subnet!.SubnetId! }],
            },
          ],
        }),
      );
    const inSubnet = async () =>
      (
        await client.send(
          new DescribeInstancesCommand({ Filters: [{ Name: 'subnet-id', Values: [subnet.Subnet!.SubnetId!] }] }),
        )
      ).Reservations?.flatMap(r => r.Instances ?? []).length ?? 0;

    const first = await launch('nodeclaim-uid-1');
    const again = await launch('nodeclaim-uid-1');
    expect(again.Instances).toEqual(first.Instances);
    expect(await inSubnet()).toBe(1);

    proxy.setRules([{ fault: 'lose-response', action: 'CreateFleet', once: true }]);
    await expect(launch('nodeclaim-uid-2')).rejects.toThrow();
    const retried = await launch('nodeclaim-uid-2');
    expect(retried.Instances).toHaveLength(1);
    expect(await inSubnet()).toBe(2);

    await expect(launch('nodeclaim-uid-1', 'p5.48xlarge')).rejects.toMatchObject({ name: 'IdempotentParameterMismatch' });
  });

  it('throttles as EC2 does, and the SDK classifies it as throttling', async () => {
    proxy.setRules([{ fault: 'throttle', action: 'DescribeInstances', account: research, count: 2 }]);
    for (let i = 0; i < 2; i++) {
      const error = await ec2(research).send(new DescribeInstancesCommand({})).catch(e => e);
      expect(awsErrorCode(error)).toBe('RequestLimitExceeded');
      expect(isThrottling(error)).toBe(true);
      expect(error.$metadata.httpStatusCode).toBe(503);
    }
    // The count is spent: the third call reaches moto.
    await expect(ec2(research).send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
  });

  it('answers plain 5xx as EC2 does', async () => {
    proxy.setRules([{ fault: 'server-error', service: 'ec2', once: true }]);
    const error = await ec2(inference).send(new DescribeInstancesCommand({})).catch(e => e);
    expect(awsErrorCode(error)).toBe('InternalError');
    expect(error.$metadata.httpStatusCode).toBe(500);
  });

  it('denies access to one account only, in EC2 and in AssumeRole', async () => {
    proxy.setRules([{ fault: 'access-denied', account: inference }]);
    const denied = await ec2(inference).send(new DescribeInstancesCommand({})).catch(e => e);
    expect(awsErrorCode(denied)).toBe('UnauthorizedOperation');
    expect(isAccessDenied(denied)).toBe(true);
    await expect(ec2(research).send(new DescribeInstancesCommand({}))).resolves.toBeDefined();

    await expect(assumeRole(inference)).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(assumeRole(research)).resolves.toMatchObject({ accessKeyId: expect.any(String) });
  });

  it('resets or holds a connection without moto acting on the call', async () => {
    const client = ec2(research);
    const cidrCount = async (cidr: string) =>
      (await client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: [cidr] }] }))).Vpcs?.length;

    proxy.setRules([{ fault: 'reset', action: 'CreateVpc', once: true }]);
    await expect(client.send(new CreateVpcCommand({ CidrBlock: '10.97.0.0/16' }))).rejects.toThrow();
    expect(await cidrCount('10.97.0.0/16')).toBe(0);

    proxy.setRules([{ fault: 'timeout', action: 'CreateVpc', once: true }]);
    const impatient = new EC2Client({
      region,
      endpoint: proxy.endpoint,
      credentials: credentials.get(research)!,
      maxAttempts: 1,
      requestHandler: { requestTimeout: 500, throwOnRequestTimeout: true },
    });
    await expect(impatient.send(new CreateVpcCommand({ CidrBlock: '10.98.0.0/16' }))).rejects.toThrow();
    impatient.destroy();
    expect(await cidrCount('10.98.0.0/16')).toBe(0);
    expect(proxy.calls().filter(c => c.action === 'CreateVpc').map(c => c.fault)).toEqual(
      expect.arrayContaining(['reset', 'timeout']),
    );
  });

  it('loses the answer of a call moto carried out', async () => {
    const client = ec2(research);
    proxy.setRules([{ fault: 'lose-response', action: 'CreateVpc', once: true }]);
    await expect(client.send(new CreateVpcCommand({ CidrBlock: '10.99.0.0/16' }))).rejects.toThrow();
    const vpcs = await client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.99.0.0/16'] }] }));
    expect(vpcs.Vpcs).toHaveLength(1);
  });
});
