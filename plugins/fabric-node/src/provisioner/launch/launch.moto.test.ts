import {
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteTagsCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  EC2Client,
  Instance,
} from '@aws-sdk/client-ec2';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { MotoServer, startMotoServer } from '@internal/fabric-test-tooling';
import { AwsClientFactory } from '../../aws/AwsClientFactory';
import { AwsRateLimits } from '../../aws/AwsRateLimits';
import { InsufficientCapacityCache } from '../../placement/InsufficientCapacityCache';
import { NodeClassView } from '../decide';
import { LaunchOffering, NodeClaimDecision } from '../types';
import { collectGarbage, launchClaims, LaunchDependencies } from '.';

jest.setTimeout(120_000);

const RESEARCH = { id: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/fabric-member', externalId: 'fabric-external-id' };
const INFERENCE = { id: '333333333333', roleArn: 'arn:aws:iam::333333333333:role/fabric-member' };
const OWNER = 'hub-cluster-a';

/**
 * Launch and garbage collection with the real SDK against moto_server, in two member
 * accounts reached through STS AssumeRole. moto 5.2.1 ignores CreateFleet's ClientToken
 * (moto/ec2/models/fleets.py never reads it), so "twice → one instance" here proves the
 * launcher's own lookup of instances tagged with the NodeClaim.
 */
describe('launching NodeClaims against moto_server', () => {
  let moto: MotoServer;
  let factory: AwsClientFactory;
  let deps: LaunchDependencies;
  const classes = new Map<string, NodeClassView>();
  const research: CellRef = { accountId: RESEARCH.id, region: 'us-east-1' };
  const inference: CellRef = { accountId: INFERENCE.id, region: 'us-west-2' };
  const accountOf = (id: string) => [RESEARCH, INFERENCE].find(a => a.id === id);
  const ec2 = (cell: CellRef): EC2Client => factory.ec2(cell, accountOf(cell.accountId)!);

  /** A VPC with one subnet per given AZ index and a security group: what a cell plan creates. */
  async function prepareCell(cell: CellRef, name: string, cidr: string, island?: { placementGroupId?: string; id?: string }) {
    const client = ec2(cell);
    const zones = (await client.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones!;
    const vpc = await client.send(new CreateVpcCommand({ CidrBlock: `${cidr}.0.0/16` }));
    const subnets = [];
    for (const [i, zone] of zones.slice(0, 2).entries()) {
      const subnet = await client.send(
        new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: `${cidr}.${i * 16}.0/20`, AvailabilityZone: zone.ZoneName }),
      );
      subnets.push({ id: subnet.Subnet!.SubnetId!, azId: zone.ZoneId!, azName: zone.ZoneName! });
    }
    const group = await client.send(
      new CreateSecurityGroupCommand({ GroupName: `fabric-${name}`, Description: 'fabric nodes', VpcId: vpc.Vpc!.VpcId }),
    );
    const view: NodeClassView = {
      name,
      spec: {
        accountId: cell.accountId,
        region: cell.region,
        azIds: subnets.map(s => s.azId),
        subnetSelectorTerms: [{ tags: { 'fabric.cloudspectra.io/cell': `${cell.accountId}.${cell.region}` } }],
        securityGroupSelectorTerms: [{ id: group.GroupId }],
        placementGroupId: island?.placementGroupId,
        island: island?.id,
      },
      resolved: { subnets, securityGroups: [{ id: group.GroupId! }], ready: true },
    };
    classes.set(name, view);
    return view;
  }

  function offering(view: NodeClassView, instanceType: string, capacityType: 'spot' | 'on-demand', subnet = 0): LaunchOffering {
    const s = view.resolved.subnets[subnet];
    return { instanceType, azId: s.azId, capacityType, subnetId: s.id, pricePerHour: 1 };
  }

  function claimFor(view: NodeClassView, name: string, offerings: LaunchOffering[], gang?: string): NodeClaimDecision {
    return {
      name,
      nodePool: `pool-${view.name}`,
      nodeClass: view.name,
      cell: { accountId: view.spec.accountId, region: view.spec.region },
      offerings,
      podUids: [`pod-of-${name}`],
      requests: { cpuMillis: 1000, memoryMiB: 1024, gpus: 1, neuron: 0, efa: 0, pods: 1 },
      gang,
    };
  }

  async function instancesTagged(cell: CellRef, key: string, value: string): Promise<Instance[]> {
    const response = await ec2(cell).send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${key}`, Values: [value] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    return (response.Reservations ?? []).flatMap(r => r.Instances ?? []);
  }

  beforeAll(async () => {
    moto = await startMotoServer();
    factory = new AwsClientFactory({
      endpoint: moto.endpoint,
      hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      maxAttempts: 1,
    });
    deps = {
      clients: factory,
      rateLimits: new AwsRateLimits(),
      accountOf,
      nodeClassOf: name => classes.get(name),
      insufficientCapacity: new InsufficientCapacityCache(),
      owner: OWNER,
      cluster: 'hub',
      imageIdFor: () => 'ami-03cf127a',
    };
    await prepareCell(research, 'research-use1', '10.10');
    await prepareCell(inference, 'inference-usw2', '10.20', { placementGroupId: 'pg-0123456789abcdef0' });
    await prepareCell(inference, 'island-usw2', '10.30', { id: 'train-b' });
  });

  afterAll(async () => {
    factory?.destroy();
    await moto?.stop();
  });

  it('launches a claim as a tagged instance in its own account, region and subnet', async () => {
    const view = classes.get('research-use1')!;
    const claim = claimFor(view, 'research-g6e-0001', [offering(view, 'g6e.xlarge', 'spot', 1), offering(view, 'g6e.xlarge', 'on-demand', 1)]);
    const [result] = await launchClaims([{ claim, uid: '7c4f1e7e-0000-4000-8000-000000000001', placement: 'plc-1' }], deps);

    expect(result.outcome.status).toBe('launched');
    const launchedInstances = result.outcome.status === 'launched' ? result.outcome.instances : [];
    expect(launchedInstances).toEqual([
      expect.objectContaining({ instanceType: 'g6e.xlarge', azId: view.resolved.subnets[1].azId, claim: claim.name, capacityType: 'spot' }),
    ]);
    const [instance] = await instancesTagged(research, 'fabric.cloudspectra.io/nodeclaim', claim.name);
    expect(instance.InstanceId).toBe(launchedInstances[0].instanceId);
    expect(instance.SubnetId).toBe(view.resolved.subnets[1].id);
    expect(Object.fromEntries((instance.Tags ?? []).map(t => [t.Key, t.Value]))).toMatchObject({
      'fabric.cloudspectra.io/owner': OWNER,
      'fabric.cloudspectra.io/cluster': 'hub',
      'karpenter.sh/nodepool': 'pool-research-use1',
      'fabric.cloudspectra.io/placement': 'plc-1',
      Name: claim.name,
    });
    // The other account does not see it.
    expect(await instancesTagged({ accountId: INFERENCE.id, region: 'us-east-1' }, 'fabric.cloudspectra.io/nodeclaim', claim.name)).toEqual([]);
  });

  it('launches the same NodeClaim twice as one instance', async () => {
    const view = classes.get('research-use1')!;
    const claim = claimFor(view, 'research-g6e-twice', [offering(view, 'g6e.xlarge', 'on-demand')]);
    const item = { claim, uid: '7c4f1e7e-0000-4000-8000-000000000002' };
    const first = await launchClaims([item], deps);
    const second = await launchClaims([item], deps);

    const ids = [first, second].map(([r]) => (r.outcome.status === 'launched' ? r.outcome.instances.map(i => i.instanceId) : []));
    expect(ids[0]).toHaveLength(1);
    expect(ids[1]).toEqual(ids[0]);
    expect(await instancesTagged(research, 'fabric.cloudspectra.io/nodeclaim', claim.name)).toHaveLength(1);
  });

  it("launches concurrent claims of a node class whose launch template does not exist yet, from this and another replica's clients", async () => {
    const view = await prepareCell({ accountId: RESEARCH.id, region: 'us-west-2' }, 'research-usw2-fresh', '10.40');
    const otherReplica = new AwsClientFactory({
      endpoint: moto.endpoint,
      hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      maxAttempts: 1,
    });
    try {
      const claims = [0, 1, 2, 3].map(i => claimFor(view, `research-fresh-${i}`, [offering(view, 'g6e.xlarge', 'on-demand')]));
      const item = (i: number) => ({ claim: claims[i], uid: `7c4f1e7e-0000-4000-8000-00000000005${i}` });
      const results = (
        await Promise.all([
          launchClaims([item(0), item(1)], deps),
          launchClaims([item(2), item(3)], { ...deps, clients: otherReplica }),
        ])
      ).flat();
      expect(results.map(r => r.outcome.status)).toEqual(['launched', 'launched', 'launched', 'launched']);
      for (const claim of claims) {
        expect(await instancesTagged({ accountId: RESEARCH.id, region: 'us-west-2' }, 'fabric.cloudspectra.io/nodeclaim', claim.name)).toHaveLength(1);
      }
    } finally {
      otherReplica.destroy();
    }
  });

  it('launches a gang of 4 as 4 instances of one type in one AZ-ID, each tagged with its claim', async () => {
    const view = classes.get('inference-usw2')!;
    const offerings = [offering(view, 'p5.48xlarge', 'on-demand', 0)];
    const claims = [0, 1, 2, 3].map(i => claimFor(view, `gang-rank-${i}`, offerings, 'llm-a'));
    const results = await launchClaims(
      claims.map((claim, i) => ({ claim, uid: `7c4f1e7e-0000-4000-8000-00000000001${i}` })),
      deps,
    );

    expect(results).toHaveLength(1);
    const [result] = results;
    expect(result.claims).toEqual(claims.map(c => c.name));
    expect(result.outcome.status).toBe('launched');
    const instances = await instancesTagged(inference, 'fabric.cloudspectra.io/gang', 'llm-a');
    expect(instances).toHaveLength(4);
    expect(new Set(instances.map(i => i.InstanceType))).toEqual(new Set(['p5.48xlarge']));
    expect(new Set(instances.map(i => i.SubnetId))).toEqual(new Set([view.resolved.subnets[0].id]));
    expect(new Set(instances.map(i => i.Placement?.AvailabilityZone))).toEqual(new Set([view.resolved.subnets[0].azName]));
    const claimTags = instances.map(i => i.Tags?.find(t => t.Key === 'fabric.cloudspectra.io/nodeclaim')?.Value).sort();
    expect(claimTags).toEqual(claims.map(c => c.name));

    // A restart after the fleet answered but before two members were tagged with their
    // claims: launching again adds no instance and finishes the tagging.
    await ec2(inference).send(
      new DeleteTagsCommand({ Resources: instances.slice(0, 2).map(i => i.InstanceId!), Tags: [{ Key: 'fabric.cloudspectra.io/nodeclaim' }] }),
    );
    await launchClaims(claims.map((claim, i) => ({ claim, uid: `7c4f1e7e-0000-4000-8000-00000000001${i}` })), deps);
    const again = await instancesTagged(inference, 'fabric.cloudspectra.io/gang', 'llm-a');
    expect(again.map(i => i.InstanceId).sort()).toEqual(instances.map(i => i.InstanceId).sort());
    expect(again.map(i => i.Tags?.find(t => t.Key === 'fabric.cloudspectra.io/nodeclaim')?.Value).sort()).toEqual(claims.map(c => c.name));
  });

  it("launches an island's claims from the island plan's EFA template of the claim's type", async () => {
    const view = classes.get('island-usw2')!;
    const subnet = view.resolved.subnets[0];
    // What the island plan creates in the member account (moto stores but never applies
    // launch-template network interfaces, so only the template's use is observable here).
    const template = await ec2(inference).send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'fabric-island-train-b-p5.48xlarge',
        LaunchTemplateData: {
          ImageId: 'ami-03cf127a',
          InstanceType: 'p5.48xlarge',
          NetworkInterfaces: [{ DeviceIndex: 0, NetworkCardIndex: 0, InterfaceType: 'efa', SubnetId: subnet.id, Groups: [view.resolved.securityGroups[0].id] }],
          Placement: { GroupId: 'pg-0fedcba9876543210' },
        },
      }),
    );
    const claims = [0, 1].map(i => claimFor(view, `island-rank-${i}`, [offering(view, 'p5.48xlarge', 'on-demand', 0)], 'llm-b'));
    const [result] = await launchClaims(claims.map((claim, i) => ({ claim, uid: `7c4f1e7e-0000-4000-8000-00000000003${i}` })), deps);
    expect(result.outcome.status).toBe('launched');
    const instances = await instancesTagged(inference, 'fabric.cloudspectra.io/gang', 'llm-b');
    expect(instances.map(i => i.InstanceType)).toEqual(['p5.48xlarge', 'p5.48xlarge']);
    expect(template.LaunchTemplate?.LaunchTemplateId).toMatch(/^lt-/);

    // A type the island has no template for is refused with the template's name.
    const missing = claimFor(view, 'island-missing', [offering(view, 'p5e.48xlarge', 'on-demand', 0)]);
    const [refused] = await launchClaims([{ claim: missing, uid: '7c4f1e7e-0000-4000-8000-000000000040' }], deps);
    expect(refused.outcome).toEqual({ status: 'failed', detail: expect.stringContaining('fabric-island-train-b-p5e.48xlarge not found') });
  });

  it('terminates an instance with no NodeClaim only after the grace period, and reports claims whose instance is gone', async () => {
    const view = classes.get('research-use1')!;
    const orphanClaim = claimFor(view, 'research-orphan', [offering(view, 'g5.xlarge', 'on-demand')]);
    const keptClaim = claimFor(view, 'research-kept', [offering(view, 'g5.xlarge', 'on-demand')]);
    const [orphanResult, keptResult] = await launchClaims(
      [
        { claim: orphanClaim, uid: '7c4f1e7e-0000-4000-8000-000000000021' },
        { claim: keptClaim, uid: '7c4f1e7e-0000-4000-8000-000000000022' },
      ],
      deps,
    );
    const orphanId = orphanResult.outcome.status === 'launched' ? orphanResult.outcome.instances[0].instanceId : '';
    const keptId = keptResult.outcome.status === 'launched' ? keptResult.outcome.instances[0].instanceId : '';
    const [orphan] = await instancesTagged(research, 'fabric.cloudspectra.io/nodeclaim', orphanClaim.name);
    const launchedAt = orphan.LaunchTime!.getTime();
    const grace = 10 * 60_000;

    // Every claim but the orphan's still exists (the earlier tests' claims among them).
    const claims = [
      { name: keptClaim.name, cell: research, instanceIds: [keptId] },
      { name: 'research-g6e-0001', cell: research },
      { name: 'research-g6e-twice', cell: research },
      { name: 'research-instance-gone', cell: research, instanceIds: [orphanId] },
    ];
    const withGang = [
      ...claims,
      ...[0, 1, 2, 3].map(i => ({ name: `gang-rank-${i}`, cell: inference, gang: 'llm-a' })),
      ...[0, 1].map(i => ({ name: `island-rank-${i}`, cell: inference, gang: 'llm-b' })),
    ];
    const cells = [research, inference];
    const access = { clients: factory, rateLimits: deps.rateLimits, accountOf, owner: OWNER };

    const early = await collectGarbage({ cells, claims: withGang, access, now: new Date(launchedAt + grace - 1000), gracePeriodMs: grace });
    expect(early.terminated).toEqual([]);
    expect(early.spared.map(i => i.instanceId)).toEqual([orphanId]);
    expect(await instancesTagged(research, 'fabric.cloudspectra.io/nodeclaim', orphanClaim.name)).toHaveLength(1);

    const late = await collectGarbage({ cells, claims: withGang, access, now: new Date(launchedAt + grace), gracePeriodMs: grace });
    expect(late.terminated.map(i => i.instanceId)).toEqual([orphanId]);
    expect(await instancesTagged(research, 'fabric.cloudspectra.io/nodeclaim', orphanClaim.name)).toEqual([]);
    expect(await instancesTagged(research, 'fabric.cloudspectra.io/nodeclaim', keptClaim.name)).toHaveLength(1);
    expect(await instancesTagged(inference, 'fabric.cloudspectra.io/gang', 'llm-a')).toHaveLength(4);

    // The claim that pointed at the terminated instance is reported for deletion.
    const after = await collectGarbage({ cells, claims: withGang, access, now: new Date(launchedAt + grace), gracePeriodMs: grace });
    expect(after.claimsWithoutInstance).toEqual(['research-instance-gone']);
    expect(after.terminated).toEqual([]);
  });
});
