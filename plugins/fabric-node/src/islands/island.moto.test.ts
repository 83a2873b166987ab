import {
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribePlacementGroupsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ResponseLaunchTemplateData,
  _InstanceType,
} from '@aws-sdk/client-ec2';
import { CellRef, cellId, InstanceTypeInfo, Inventory } from '@internal/backstage-plugin-fabric-common';
import { MotoServer, startMotoServer } from '@internal/fabric-test-tooling';
import { AwsClientFactory } from '../aws';
import { readAzMap } from '../discovery/aws/__testUtils__/cellApi';
import { toInstanceTypeInfo } from '../discovery/aws/instanceTypes';
import { parseFabricConfig } from '../estate';
import { applyPlan, buildDestroyPlan, executorRegistry, FABRIC_TAG_KEYS, InMemoryCheckpointStore, Plan, StepExecutorRegistry } from '../plan';
import { islandExecutors } from './islandExecutors';
import { ISLAND_STEP_TYPES, islandStepKeys, planIsland } from './planIsland';
import { FakePlacementGroups } from './__testUtils__/fakePlacementGroups';
import { InMemoryRam } from './__testUtils__/InMemoryRam';
import { RecordingApplier } from './__testUtils__/RecordingApplier';

jest.setTimeout(120_000);

const REGION = 'us-east-1';
const NETWORK = '444444444444';
const RESEARCH = '222222222222';
const INFERENCE = '333333333333';
const TYPES = ['p5.48xlarge', 'p5e.48xlarge'];

/**
 * An EFA island end to end with the real SDK against moto_server: the network account
 * owns a shared VPC (made here, as its owner would have), the island is planned from an
 * inventory read from moto itself (AZ-ID maps, instance types with their EFA and network
 * card data), applied with checkpoints, applied again, and destroyed.
 *
 * What moto 5.2.1 lacks, and what stands in (shared/reference/moto.md):
 * - Placement groups (HTTP 500): an SDK middleware on the network account's EC2 client
 *   answers CreatePlacementGroup / DescribePlacementGroups / DeletePlacementGroup as AWS
 *   does (`__testUtils__/fakePlacementGroups.ts`); every other call goes to moto.
 * - RAM: the engine takes a `RamApi`; here an in-memory one (`__testUtils__/InMemoryRam.ts`),
 *   since moto's RAM has no cross-account effect and no AssociateResourceShare.
 * - The hub cluster: a recording applier; `island.kube.test.ts` applies the same objects
 *   to a real kube-apiserver with the Karpenter CRDs.
 * moto stores launch-template NICs but never applies them, so the test reads them back
 * with DescribeLaunchTemplateVersions rather than launching.
 */
describe('EFA island against moto_server', () => {
  let moto: MotoServer;
  let factory: AwsClientFactory;
  let executors: StepExecutorRegistry;
  const placementGroups = new FakePlacementGroups();
  const ram = new InMemoryRam({ accountId: NETWORK, region: REGION });
  const kube = new RecordingApplier();
  const config = parseFabricConfig({
    estate: {
      source: 'aws',
      defaultRegions: [REGION],
      accounts: [
        { id: NETWORK, name: 'network', role: 'network', roleArn: `arn:aws:iam::${NETWORK}:role/fabric-network` },
        { id: RESEARCH, name: 'ml-research', roleArn: `arn:aws:iam::${RESEARCH}:role/fabric-member` },
        { id: INFERENCE, name: 'ml-inference', roleArn: `arn:aws:iam::${INFERENCE}:role/fabric-member` },
      ],
    },
  });
  const accountOf = (accountId: string) => {
    const account = config.estate.accounts.find(a => a.id === accountId);
    if (!account) throw new Error(`account ${accountId} is not enrolled`);
    return account;
  };
  const cellOf = (accountId: string): CellRef => ({ accountId, region: REGION });
  const ec2 = (accountId: string): EC2Client => factory.ec2(cellOf(accountId), accountOf(accountId));
  const azMapOf = (accountId: string) =>
    readAzMap({ ec2: ec2(accountId), serviceQuotas: factory.serviceQuotas(cellOf(accountId), accountOf(accountId)) }, cellOf(accountId));

  let vpcId: string;
  let inventory: Pick<Inventory, 'cells' | 'instanceTypes'>;
  let islandPlan: Plan;
  const checkpoints = new InMemoryCheckpointStore();
  const keys = islandStepKeys('train-a');
  let baseline: Awaited<ReturnType<typeof snapshot>>;

  /** What the island could have touched, in every account, by id. */
  async function snapshot() {
    const subnets = await ec2(NETWORK).send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    const groups = await ec2(NETWORK).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    const pgs = await ec2(NETWORK).send(new DescribePlacementGroupsCommand({}));
    const templates: Record<string, string[]> = {};
    for (const account of [NETWORK, RESEARCH, INFERENCE]) {
      const listed = await ec2(account).send(new DescribeLaunchTemplatesCommand({}));
      templates[account] = (listed.LaunchTemplates ?? []).map(t => t.LaunchTemplateName!).sort();
    }
    const vpcs = await ec2(NETWORK).send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
    return {
      vpc: vpcs.Vpcs?.map(v => v.VpcId),
      subnets: (subnets.Subnets ?? []).map(s => `${s.SubnetId} ${s.CidrBlock} ${s.AvailabilityZoneId}`).sort(),
      securityGroups: (groups.SecurityGroups ?? []).map(g => `${g.GroupId} ${g.GroupName}`).sort(),
      placementGroups: (pgs.PlacementGroups ?? []).map(g => `${g.GroupId} ${g.GroupName}`).sort(),
      templates,
      liveShares: [...ram.shares.values()].filter(s => s.status === 'ACTIVE').map(s => s.name),
      kubernetes: [...kube.objects.keys()].sort(),
    };
  }

  const spec = () => ({
    id: 'train-a',
    region: REGION,
    azId: 'use1-az4',
    networkAccountId: NETWORK,
    vpcId,
    vpcCidr: '10.80.0.0/16',
    subnetCidr: '10.80.16.0/20',
    memberAccountIds: [RESEARCH, INFERENCE],
    instanceTypes: TYPES,
    capacityReservations: [
      { id: 'cr-0b10c4000000000a1', instanceType: 'p5.48xlarge', capacityBlock: true, accountId: RESEARCH },
      { id: 'cr-0dc40000000000b22', instanceType: 'p5e.48xlarge' },
    ],
    hub: { clusterName: 'fabric-hub', nodeRoleName: 'KarpenterNodeRole-fabric-hub' },
  });
  const outputOf = async (key: string) => (await checkpoints.get(islandPlan.id, key))?.output as Record<string, any>;

  beforeAll(async () => {
    moto = await startMotoServer();
    factory = new AwsClientFactory({
      endpoint: moto.endpoint,
      hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      maxAttempts: 1,
    });
    placementGroups.install(ec2(NETWORK), cellOf(NETWORK));
    executors = executorRegistry(
      islandExecutors({
        clients: factory,
        accountOf,
        ram: cell => {
          if (cell.accountId !== NETWORK || cell.region !== REGION) throw new Error(`no RAM in ${cellId(cell)}`);
          return ram;
        },
        kubernetes: kube,
      }),
    );

    // The shared VPC, as the network account's owner made it, with a subnet of another
    // team in it: the island must leave both alone.
    const vpc = await ec2(NETWORK).send(new CreateVpcCommand({ CidrBlock: '10.80.0.0/16' }));
    vpcId = vpc.Vpc!.VpcId!;
    await ec2(NETWORK).send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.80.0.0/20', AvailabilityZoneId: 'use1-az1' }));
    // And a launch template a member made for itself.
    await ec2(RESEARCH).send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: 'research-own', LaunchTemplateData: { InstanceType: 'g5.xlarge' } }),
    );

    // The inventory as discovery would read it: each account's AZ map and moto's instance data.
    const cells = [];
    for (const account of [NETWORK, RESEARCH, INFERENCE]) {
      cells.push({ accountId: account, accountName: account, region: REGION, fresh: true, azMap: await azMapOf(account) });
    }
    const described = await ec2(NETWORK).send(new DescribeInstanceTypesCommand({ InstanceTypes: TYPES as _InstanceType[] }));
    const instanceTypes = (described.InstanceTypes ?? []).map(toInstanceTypeInfo).filter((t): t is InstanceTypeInfo => !!t);
    inventory = { cells, instanceTypes };
    baseline = await snapshot();
  });

  afterAll(async () => {
    factory?.destroy();
    await moto?.stop();
  });

  it('applies the island: subnet in the AZ-ID, EFA security group, placement group, RAM share, launch templates, Karpenter objects', async () => {
    // moto's instance data is AWS's: 32 network cards and 32 EFA interfaces on both types.
    expect(inventory.instanceTypes.map(t => [t.instanceType, t.networkCards, t.maxEfaInterfaces]).sort()).toEqual([
      ['p5.48xlarge', 32, 32],
      ['p5e.48xlarge', 32, 32],
    ]);
    islandPlan = planIsland(
      spec(),
      { inventory, owner: 'team-ml', planId: 'island-train-a-1' },
    );
    const result = await applyPlan(islandPlan, { executors, checkpoints });
    expect(result.steps.filter(s => s.status !== 'done')).toEqual([]);
    expect(result.steps.every(s => s.via === 'run' && s.output?.created === true)).toBe(true);

    // (1) The subnet: in the shared VPC, in the AZ-ID (whatever the zone is called there), tagged.
    const { SubnetId, SubnetArn } = await outputOf(keys.subnet);
    const [subnet] = (await ec2(NETWORK).send(new DescribeSubnetsCommand({ SubnetIds: [SubnetId] }))).Subnets!;
    expect(subnet).toMatchObject({ VpcId: vpcId, CidrBlock: '10.80.16.0/20', AvailabilityZoneId: 'use1-az4', OwnerId: NETWORK });
    expect(subnet.Tags).toEqual(
      expect.arrayContaining([
        { Key: FABRIC_TAG_KEYS.step, Value: keys.subnet },
        { Key: FABRIC_TAG_KEYS.plan, Value: islandPlan.id },
        { Key: 'fabric.cloudspectra.io/island', Value: 'train-a' },
        { Key: 'Name', Value: 'fabric-island-train-a' },
      ]),
    );

    // (2, 3) The security group lets all traffic in from itself and out to itself.
    const { GroupId, GroupArn } = await outputOf(keys.securityGroup);
    const [group] = (await ec2(NETWORK).send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId] }))).SecurityGroups!;
    expect(group).toMatchObject({ VpcId: vpcId, GroupName: 'fabric-island-train-a' });
    const selfRule = { IpProtocol: '-1', UserIdGroupPairs: [expect.objectContaining({ GroupId })] };
    expect(group.IpPermissions).toEqual([expect.objectContaining(selfRule)]);
    expect(group.IpPermissionsEgress).toEqual(expect.arrayContaining([expect.objectContaining(selfRule)]));

    // (4) The cluster placement group (the stand-in for what moto lacks), by GroupId.
    const pg = await outputOf(keys.placementGroup);
    expect(pg).toMatchObject({ GroupName: 'fabric-island-train-a', Strategy: 'cluster', GroupId: expect.stringMatching(/^pg-[0-9a-f]+$/) });
    expect(placementGroups.calls).toEqual(expect.arrayContaining(['DescribePlacementGroupsCommand', 'CreatePlacementGroupCommand']));

    // (5) One RAM share of the three ARNs with both members, inside the Organization.
    const shares = [...ram.shares.values()];
    expect(shares).toHaveLength(1);
    expect(shares[0]).toMatchObject({
      name: 'fabric-island-train-a',
      allowExternalPrincipals: false,
      principals: [RESEARCH, INFERENCE].sort(),
      resourceArns: [SubnetArn, GroupArn, pg.GroupArn],
    });
    expect(SubnetArn).toBe(`arn:aws:ec2:${REGION}:${NETWORK}:subnet/${SubnetId}`);

    // (6) A launch template per member and type, in the member's account, with the EFA layout.
    for (const account of [RESEARCH, INFERENCE]) {
      for (const type of TYPES) {
        const { LaunchTemplateId } = await outputOf(keys.launchTemplate(account, type));
        const versions = await ec2(account).send(
          new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId, Versions: ['$Default'] }),
        );
        const data = versions.LaunchTemplateVersions![0].LaunchTemplateData as ResponseLaunchTemplateData;
        expect(data.InstanceType).toBe(type);
        expect(data.Placement).toEqual({ GroupId: pg.GroupId });
        const nics = data.NetworkInterfaces!;
        expect(nics).toHaveLength(33);
        expect(nics.filter(n => n.InterfaceType === 'interface')).toEqual([
          expect.objectContaining({ NetworkCardIndex: 0, DeviceIndex: 0, SubnetId, Groups: [GroupId] }),
        ]);
        const efaOnly = nics.filter(n => n.InterfaceType === 'efa-only');
        expect(efaOnly).toHaveLength(32);
        expect(new Set(efaOnly.map(n => n.NetworkCardIndex)).size).toBe(32);
        expect(efaOnly.every(n => n.SubnetId === SubnetId && n.Groups?.[0] === GroupId)).toBe(true);
      }
      const templates = await ec2(account).send(
        new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: ['fabric-island-train-a-p5.48xlarge'] }] }),
      );
      expect(templates.LaunchTemplates?.[0].Tags).toContainEqual({ Key: FABRIC_TAG_KEYS.step, Value: keys.launchTemplate(account, 'p5.48xlarge') });
    }
    const reservationOf = async (account: string, type: string) => {
      const { LaunchTemplateId } = await outputOf(keys.launchTemplate(account, type));
      const versions = await ec2(account).send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId, Versions: ['$Default'] }));
      const data = versions.LaunchTemplateVersions![0].LaunchTemplateData!;
      return [data.CapacityReservationSpecification?.CapacityReservationTarget?.CapacityReservationId, data.InstanceMarketOptions?.MarketType];
    };
    expect(await reservationOf(RESEARCH, 'p5.48xlarge')).toEqual(['cr-0b10c4000000000a1', 'capacity-block']);
    expect(await reservationOf(INFERENCE, 'p5.48xlarge')).toEqual([undefined, undefined]);
    expect(await reservationOf(INFERENCE, 'p5e.48xlarge')).toEqual(['cr-0dc40000000000b22', undefined]);

    // (7) The hub's node classes select the island by the ids the AWS steps produced.
    const nodeClasses = kube.ofKind('EC2NodeClass');
    expect(nodeClasses.map(c => c.metadata.name).sort()).toEqual(TYPES.map(t => `fabric-island-train-a-${t}`));
    for (const nodeClass of nodeClasses) {
      expect(nodeClass.spec).toMatchObject({
        subnetSelectorTerms: [{ id: SubnetId }],
        securityGroupSelectorTerms: [{ id: GroupId }],
        placementGroupSelector: { id: pg.GroupId },
      });
      expect(nodeClass.spec.networkInterfaces).toHaveLength(33);
    }
    expect(kube.ofKind('NodePool')).toHaveLength(2);
  });

  it('creates nothing new when applied again, resumed or re-planned', async () => {
    const after = await snapshot();
    expect(after.subnets).toHaveLength(baseline.subnets.length + 1);
    expect(after.securityGroups).toHaveLength(baseline.securityGroups.length + 1);
    expect(after.placementGroups).toHaveLength(1);
    expect(after.templates[RESEARCH]).toHaveLength(baseline.templates[RESEARCH].length + 2);
    expect(after.templates[INFERENCE]).toHaveLength(2);

    // The same plan and store: every step is already done.
    const again = await applyPlan(islandPlan, { executors, checkpoints });
    expect(again.steps.every(s => s.status === 'done' && s.via === 'checkpoint')).toBe(true);

    // The same plan with its checkpoints lost: every probe finds its step's own work.
    const lost = await applyPlan(islandPlan, { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(lost.steps.map(s => [s.key, s.status, s.via, s.output?.created])).toEqual(
      islandPlan.steps.map(s => [s.key, 'done', 'probe', true]),
    );

    // A new plan of the same island finds everything, and owns none of it.
    const replanned = planIsland(spec(), { inventory, owner: 'team-ml', planId: 'island-train-a-2' });
    const other = await applyPlan(replanned, { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(other.steps.map(s => [s.key, s.status, s.via, s.output?.created])).toEqual(
      replanned.steps.map(s => [s.key, 'done', 'probe', false]),
    );

    expect(await snapshot()).toEqual(after);
    expect(ram.calls.filter(c => c === 'createResourceShare')).toHaveLength(1);
    expect(kube.applied).toHaveLength(4);
  });

  it('refuses a launch template of the same name that points elsewhere', async () => {
    const drifted = structuredClone(islandPlan);
    const step = drifted.steps.find(s => s.key === keys.launchTemplate(INFERENCE, 'p5.48xlarge'))!;
    (step.input as any).LaunchTemplateData.Placement = { GroupId: 'pg-0000000000000000f' };
    const result = await applyPlan({ ...drifted, id: 'island-train-a-drift' }, { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(result.status).toBe('failed');
    expect(result.failedStep).toBe(step.key);
    expect(result.steps.find(s => s.key === step.key)?.error).toMatch(
      /^Launch template fabric-island-train-a-p5\.48xlarge \(lt-[0-9a-f]+\) exists but differs from the island: Placement\.GroupId is "pg-[0-9a-f]+", the island wants "pg-0000000000000000f"/,
    );
  });

  it('refuses a subnet CIDR the VPC already uses in another AZ-ID', async () => {
    const plan = planIsland({ ...spec(), id: 'train-b', subnetCidr: '10.80.0.0/20' }, { inventory, owner: 'team-ml', planId: 'island-train-b' });
    const result = await applyPlan(plan, { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(result.failedStep).toBe(islandStepKeys('train-b').subnet);
    expect(result.steps[0].error).toMatch(
      new RegExp(`^${vpcId} already has 10\\.80\\.0\\.0/20 as subnet-[0-9a-f]+ in use1-az1, not use1-az4; an island subnet must sit in the island's AZ-ID`),
    );
  });

  it('destroys exactly what the island created: the shared VPC, the other subnet and the member\'s own template stay', async () => {
    const destroy = await buildDestroyPlan(islandPlan, { executors, checkpoints, planId: 'destroy-train-a' });
    expect(destroy.unsettled).toEqual([]);
    expect(destroy.plan.steps.map(s => s.type)).toEqual([
      ISLAND_STEP_TYPES.kubernetesDelete,
      ...Array(4).fill(ISLAND_STEP_TYPES.deleteLaunchTemplate),
      ISLAND_STEP_TYPES.deleteResourceShare,
      ISLAND_STEP_TYPES.deletePlacementGroup,
      ISLAND_STEP_TYPES.revokeSelfReference,
      ISLAND_STEP_TYPES.deleteSecurityGroup,
      ISLAND_STEP_TYPES.deleteSubnet,
    ]);
    const result = await applyPlan(destroy.plan, { executors, checkpoints });
    expect(result.steps.filter(s => s.status !== 'done')).toEqual([]);

    expect(await snapshot()).toEqual(baseline);
    expect(baseline.vpc).toEqual([vpcId]);
    expect(baseline.templates[RESEARCH]).toEqual(['research-own']);
    expect([...ram.shares.values()].map(s => s.status)).toEqual(['DELETED']);
    expect(kube.deleted).toEqual([
      'NodePool/fabric-island-train-a-p5e.48xlarge',
      'NodePool/fabric-island-train-a-p5.48xlarge',
      'EC2NodeClass/fabric-island-train-a-p5e.48xlarge',
      'EC2NodeClass/fabric-island-train-a-p5.48xlarge',
    ]);

    // Destroying again finds everything gone and changes nothing.
    const twice = await applyPlan({ ...destroy.plan, id: 'destroy-train-a-2' }, { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(twice.steps.every(s => s.status === 'done' && s.via === 'probe')).toBe(true);
    expect(await snapshot()).toEqual(baseline);
  });
});
