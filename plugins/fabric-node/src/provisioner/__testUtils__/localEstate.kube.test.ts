import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { LocalEstate, startLocalEstate } from '@internal/fabric-test-tooling';

// The build is done by `npm test`'s kube step; a cold build here would take minutes.
jest.setTimeout(15 * 60_000);

const account = '444444444444';
const region = 'us-west-2';
const roleArn = `arn:aws:iam::${account}:role/fabric-member`;

describe('a local estate: moto behind the fault proxy, the hub cluster with KWOK, node join', () => {
  let estate: LocalEstate;

  beforeAll(async () => {
    estate = await startLocalEstate({
      accounts: [{ accountId: account, roleArn, regions: [region] }],
      serviceQuotas: { [account]: { '*': { 'L-417A185B': 384 } } },
    });
  });

  afterAll(async () => {
    await estate?.stop();
  });

  it('takes an instance launched in a member account to a Ready Node of the hub, with the quota the account has', async () => {
    const config = {
      region,
      endpoint: estate.awsEndpoint,
      credentials: fromTemporaryCredentials({
        params: { RoleArn: roleArn, RoleSessionName: 'fabric' },
        clientConfig: { region, endpoint: estate.awsEndpoint, credentials: { accessKeyId: 'hub', secretAccessKey: 'hub' } },
      }),
    };
    const quotas = new ServiceQuotasClient(config);
    const quota = await quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-417A185B' }));
    expect(quota.Quota?.Value).toBe(384);
    quotas.destroy();

    const ec2 = new EC2Client(config);
    const zone = (await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones![0];
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.4.0.0/16' }));
    const subnet = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.4.1.0/24', AvailabilityZoneId: zone.ZoneId }),
    );
    await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'p5', LaunchTemplateData: { ImageId: 'ami-12c6146b' } }));
    const fleet = await ec2.send(
      new CreateFleetCommand({
        Type: 'instant',
        TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'on-demand' },
        LaunchTemplateConfigs: [
          {
            LaunchTemplateSpecification: { LaunchTemplateName: 'p5', Version: '$Latest' },
            Overrides: [{ InstanceType: 'p5.48xlarge', SubnetId: subnet.Subnet!.SubnetId! }],
          },
        ],
      }),
    );
    ec2.destroy();
    const instanceId = fleet.Instances![0].InstanceIds![0];

    await estate.nodeJoin.syncOnce();
    const name = estate.nodeJoin.nodeNameOf(instanceId)!;
    let node: any;
    for (let i = 0; i < 300; i++) {
      node = (await estate.plane.request('GET', `/api/v1/nodes/${name}`)).body;
      if ((node.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')) break;
      await new Promise(r => setTimeout(r, 200));
    }
    expect(node.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]));
    expect(node.metadata.labels).toMatchObject({
      'topology.kubernetes.io/zone': zone.ZoneName,
      'topology.k8s.aws/zone-id': zone.ZoneId,
      'node.kubernetes.io/instance-type': 'p5.48xlarge',
    });
    expect(node.spec.providerID).toBe(`aws:///${zone.ZoneName}/${instanceId}`);
  });
});
