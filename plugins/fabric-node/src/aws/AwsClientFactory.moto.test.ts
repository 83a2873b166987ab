import {
  CreateVpcCommand,
  DescribeInstanceTypesCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startMotoServer, MotoServer } from '@internal/fabric-test-tooling';
import { AwsClientFactory } from './AwsClientFactory';
import { readAzMap } from '../discovery/aws/__testUtils__/cellApi';

jest.setTimeout(60_000);

// Real SDK clients against moto_server: multi-account through STS AssumeRole.
describe('AwsClientFactory against moto_server', () => {
  let moto: MotoServer;
  let factory: AwsClientFactory;
  const research = {
    id: '222222222222',
    roleArn: 'arn:aws:iam::222222222222:role/fabric-member',
    externalId: 'fabric-demo-external-id',
  };
  const inference = { id: '333333333333', roleArn: 'arn:aws:iam::333333333333:role/fabric-member' };

  beforeAll(async () => {
    moto = await startMotoServer();
    factory = new AwsClientFactory({
      endpoint: moto.endpoint,
      hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    factory?.destroy();
    await moto?.stop();
  });

  it('assumes a role per account, and each call lands in that account', async () => {
    for (const account of [research, inference]) {
      const sts = new STSClient({
        region: 'us-east-1',
        endpoint: moto.endpoint,
        credentials: factory.credentialsFor(account),
        maxAttempts: 1,
      });
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      expect(identity.Account).toBe(account.id);
      expect(identity.Arn).toContain('assumed-role/fabric-member/cloudspectra-fabric');
      sts.destroy();
    }
  });

  it('keeps EC2 state per account: a VPC created in one account is invisible in the other', async () => {
    const researchEc2 = factory.ec2({ accountId: research.id, region: 'us-east-1' }, research);
    const inferenceEc2 = factory.ec2({ accountId: inference.id, region: 'us-east-1' }, inference);

    const created = await researchEc2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
    expect(created.Vpc?.OwnerId).toBe(research.id);

    const inResearch = await researchEc2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.42.0.0/16'] }] }),
    );
    const inInference = await inferenceEc2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.42.0.0/16'] }] }),
    );
    expect(inResearch.Vpcs?.map(v => v.VpcId)).toEqual([created.Vpc?.VpcId]);
    expect(inInference.Vpcs).toEqual([]);
  });

  it('reads the AZ name → AZ-ID map and real GPU instance data through EC2', async () => {
    const cell = { accountId: research.id, region: 'us-west-2' };
    const ec2 = factory.ec2(cell, research);
    const azMap = await readAzMap({ ec2, serviceQuotas: factory.serviceQuotas(cell, research) }, cell);
    expect(Object.values(azMap)).toEqual(expect.arrayContaining(['usw2-az1', 'usw2-az2']));
    expect(Object.keys(azMap).every(name => name.startsWith('us-west-2'))).toBe(true);

    const types = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['p5.48xlarge'] }));
    const p5 = types.InstanceTypes?.[0];
    expect(p5?.GpuInfo?.Gpus?.[0]).toMatchObject({ Name: 'H100', Count: 8 });
    expect(p5?.NetworkInfo?.EfaSupported).toBe(true);
  });
});
