import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  EC2Client,
  Instance,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { FaultProxy, MotoServer, rotatedAzNames, startFaultProxy, startMotoServer } from '@internal/fabric-test-tooling';
import { randomUUID } from 'node:crypto';
import { AwsClientFactory } from '../../aws/AwsClientFactory';
import { AwsRateLimits } from '../../aws/AwsRateLimits';
import { InsufficientCapacityCache } from '../../placement/InsufficientCapacityCache';
import { NodeClassView } from '../decide';
import { LaunchOffering, NodeClaimDecision } from '../types';
import { ClaimToLaunch, GANG_TAG, launchClaims, LaunchDependencies } from '.';

jest.setTimeout(120_000);

const RESEARCH = { id: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/fabric-member', externalId: 'fabric-external-id' };
const INFERENCE = { id: '333333333333', roleArn: 'arn:aws:iam::333333333333:role/fabric-member' };
const ACCOUNTS = [RESEARCH, INFERENCE];
const OWNER = 'hub-cluster-faults';
const HUB_CREDENTIALS = { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' };
/** The SDK retries as in production (adaptive mode), fewer times to keep the storm short. */
const SDK_ATTEMPTS = 3;
const NODECLAIM_TAG = 'fabric.cloudspectra.io/nodeclaim';

/**
 * Launching NodeClaims with the real SDK through the fault proxy in front of moto_server:
 * the proxy answers as AWS does under insufficient capacity, throttling, AccessDenied and
 * lost answers, and honours CreateFleet's ClientToken as AWS does (moto alone ignores it).
 * What is left running is always read from moto directly, past the proxy.
 */
describe('launching NodeClaims through AWS faults', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  let factory: AwsClientFactory;
  /** Straight to moto: what really runs, unaffected by the faults. */
  let observer: AwsClientFactory;
  let deps: LaunchDependencies;
  let ice: InsufficientCapacityCache;
  const classes = new Map<string, NodeClassView>();
  const research: CellRef = { accountId: RESEARCH.id, region: 'us-east-1' };
  const inference: CellRef = { accountId: INFERENCE.id, region: 'us-west-2' };
  const accountOf = (id: string) => ACCOUNTS.find(a => a.id === id);

  function depsWith(clients: AwsClientFactory): LaunchDependencies {
    return {
      clients,
      rateLimits: new AwsRateLimits(),
      accountOf,
      nodeClassOf: name => classes.get(name),
      insufficientCapacity: ice,
      owner: OWNER,
      cluster: 'hub',
      imageIdFor: () => 'ami-03cf127a',
    };
  }

  /** A cell's VPC, one subnet per AZ (as the member account names it) and a security group. */
  async function prepareCell(cell: CellRef, name: string, cidr: string) {
    const client = factory.ec2(cell, accountOf(cell.accountId)!);
    const zones = (await client.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones!;
    const vpc = await client.send(new CreateVpcCommand({ CidrBlock: `${cidr}.0.0/16` }));
    const subnets = [];
    for (const [i, zone] of zones.slice(0, 3).entries()) {
      const subnet = await client.send(
        new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: `${cidr}.${i * 16}.0/20`, AvailabilityZone: zone.ZoneName }),
      );
      subnets.push({ id: subnet.Subnet!.SubnetId!, azId: zone.ZoneId!, azName: zone.ZoneName! });
    }
    const group = await client.send(
      new CreateSecurityGroupCommand({ GroupName: `fabric-${name}`, Description: 'fabric nodes', VpcId: vpc.Vpc!.VpcId }),
    );
    classes.set(name, {
      name,
      spec: {
        accountId: cell.accountId,
        region: cell.region,
        azIds: subnets.map(s => s.azId),
        subnetSelectorTerms: [{ tags: { 'fabric.cloudspectra.io/cell': `${cell.accountId}.${cell.region}` } }],
        securityGroupSelectorTerms: [{ id: group.GroupId }],
      },
      resolved: { subnets, securityGroups: [{ id: group.GroupId! }], ready: true },
    });
  }

  function offering(nodeClass: string, instanceType: string, capacityType: 'spot' | 'on-demand', subnet = 0): LaunchOffering {
    const s = classes.get(nodeClass)!.resolved.subnets[subnet];
    return { instanceType, azId: s.azId, capacityType, subnetId: s.id, pricePerHour: 1 };
  }

  function claimOf(nodeClass: string, name: string, offerings: LaunchOffering[], gang?: string): ClaimToLaunch {
    const view = classes.get(nodeClass)!;
    const claim: NodeClaimDecision = {
      name,
      nodePool: `pool-${nodeClass}`,
      nodeClass,
      cell: { accountId: view.spec.accountId, region: view.spec.region },
      offerings,
      podUids: [`pod-of-${name}`],
      requests: { cpuMillis: 1000, memoryMiB: 1024, gpus: 1, neuron: 0, efa: 0, pods: 1 },
      gang,
    };
    return { claim, uid: randomUUID() };
  }

  const ec2Of = (clients: AwsClientFactory, cell: CellRef): EC2Client => clients.ec2(cell, accountOf(cell.accountId)!);

  /** Instances moto is running (or starting) with the tag. */
  async function liveInstances(cell: CellRef, key: string, value: string): Promise<Instance[]> {
    const response = await ec2Of(observer, cell).send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${key}`, Values: [value] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    return (response.Reservations ?? []).flatMap(r => r.Instances ?? []);
  }

  const fleetCalls = (account?: string) =>
    proxy.calls().filter(c => c.action === 'CreateFleet' && (!account || c.account === account));

  const launchedIds = (outcome: { status: string; instances?: Array<{ instanceId: string }> }) =>
    (outcome.instances ?? []).map(i => i.instanceId).sort();

  beforeAll(async () => {
    moto = await startMotoServer();
    // Every account names its zones its own way: offerings are chosen and faulted by AZ-ID.
    proxy = await startFaultProxy({ target: moto.endpoint, azNames: rotatedAzNames() });
    factory = new AwsClientFactory({ endpoint: proxy.endpoint, hubCredentials: HUB_CREDENTIALS, maxAttempts: SDK_ATTEMPTS });
    observer = new AwsClientFactory({ endpoint: moto.endpoint, hubCredentials: HUB_CREDENTIALS, maxAttempts: 1 });
    ice = new InsufficientCapacityCache();
    deps = depsWith(factory);
    await prepareCell(research, 'research-use1', '10.10');
    await prepareCell(inference, 'inference-usw2', '10.20');
  });

  beforeEach(() => proxy.clearCalls());
  afterEach(() => proxy.setRules([]));

  afterAll(async () => {
    factory?.destroy();
    observer?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  describe('insufficient capacity for the first offering', () => {
    it('launches on the next offering in the same fleet call and remembers the refused one by type × AZ-ID × capacity type', async () => {
      const offerings = [0, 1].map(subnet => offering('research-use1', 'g6e.xlarge', 'spot', subnet));
      const item = claimOf('research-use1', 'ice-next-offering', [...offerings, offering('research-use1', 'g6e.xlarge', 'on-demand', 0)]);
      proxy.setRules([{ fault: 'insufficient-capacity', instanceType: 'g6e.xlarge', azId: offerings[0].azId, capacityType: 'spot' }]);

      const [result] = await launchClaims([item], deps);

      expect(result.outcome).toEqual({
        status: 'launched',
        instances: [expect.objectContaining({ claim: item.claim.name, instanceType: 'g6e.xlarge', azId: offerings[1].azId, capacityType: 'spot' })],
      });
      expect(result.failedOfferings).toEqual([offerings[0]]);
      expect(fleetCalls()).toHaveLength(1);
      expect(ice.lookup({ instanceType: 'g6e.xlarge', azId: offerings[0].azId, capacityType: 'spot' })).toMatchObject({
        detail: expect.stringContaining('InsufficientInstanceCapacity'),
      });
      // Only what was refused: the next zone and the on-demand pool of the same zone are fine.
      expect(ice.lookup({ instanceType: 'g6e.xlarge', azId: offerings[1].azId, capacityType: 'spot' })).toBeUndefined();
      expect(ice.lookup({ instanceType: 'g6e.xlarge', azId: offerings[0].azId, capacityType: 'on-demand' })).toBeUndefined();
      const running = await liveInstances(research, NODECLAIM_TAG, item.claim.name);
      expect(running.map(i => i.SubnetId)).toEqual([offerings[1].subnetId]);
    });

    it('falls back from spot to on-demand in the same launch when spot has no capacity', async () => {
      const spot = offering('research-use1', 'g6e.2xlarge', 'spot', 2);
      const onDemand = offering('research-use1', 'g6e.2xlarge', 'on-demand', 2);
      const item = claimOf('research-use1', 'ice-spot-to-on-demand', [spot, onDemand]);
      proxy.setRules([{ fault: 'insufficient-capacity', instanceType: 'g6e.2xlarge', azId: spot.azId, capacityType: 'spot' }]);

      const [result] = await launchClaims([item], deps);

      expect(result.outcome).toMatchObject({ status: 'launched', instances: [expect.objectContaining({ capacityType: 'on-demand', azId: spot.azId })] });
      expect(result.failedOfferings).toEqual([spot]);
      expect(fleetCalls()).toHaveLength(2);
      expect(await liveInstances(research, NODECLAIM_TAG, item.claim.name)).toHaveLength(1);
    });

    it('reports insufficient capacity with every refused offering when none is left', async () => {
      const offerings = [offering('research-use1', 'g5.12xlarge', 'spot', 0), offering('research-use1', 'g5.12xlarge', 'on-demand', 0)];
      const item = claimOf('research-use1', 'ice-nothing-left', offerings);
      proxy.setRules([{ fault: 'insufficient-capacity', instanceType: 'g5.12xlarge', azId: offerings[0].azId }]);

      const [result] = await launchClaims([item], deps);

      expect(result.outcome).toEqual({ status: 'insufficient-capacity', tried: offerings, detail: expect.stringContaining('InsufficientInstanceCapacity') });
      expect(result.failedOfferings).toEqual(offerings);
      for (const capacityType of ['spot', 'on-demand'] as const) {
        expect(ice.lookup({ instanceType: 'g5.12xlarge', azId: offerings[0].azId, capacityType })).toBeDefined();
      }
      expect(await liveInstances(research, NODECLAIM_TAG, item.claim.name)).toEqual([]);
    });
  });

  describe('a gang of 4 p5 with only 3 in the pool', () => {
    it('leaves nothing running, not even the survivors of an earlier launch, and reports insufficient capacity', async () => {
      const p5 = offering('inference-usw2', 'p5.48xlarge', 'on-demand', 0);
      const items = [0, 1, 2, 3].map(i => claimOf('inference-usw2', `short-gang-${i}`, [p5], 'short-gang'));
      // Two members of a launch of this gang that died half-way are still running.
      const survivors = await ec2Of(observer, inference).send(
        new RunInstancesCommand({
          ImageId: 'ami-03cf127a',
          InstanceType: 'p5.48xlarge',
          MinCount: 2,
          MaxCount: 2,
          SubnetId: p5.subnetId,
          TagSpecifications: [
            { ResourceType: 'instance', Tags: [{ Key: 'fabric.cloudspectra.io/owner', Value: OWNER }, { Key: GANG_TAG, Value: 'short-gang' }] },
          ],
        }),
      );
      const survivorIds = survivors.Instances!.map(i => i.InstanceId!).sort();
      proxy.setRules([{ fault: 'insufficient-capacity', instanceType: 'p5.48xlarge', azId: p5.azId, available: 3 }]);

      const [result] = await launchClaims(items, deps);

      expect(result.claims).toEqual(items.map(i => i.claim.name));
      expect(result.outcome).toMatchObject({ status: 'insufficient-capacity', tried: [p5] });
      expect([...(result.terminatedPartial ?? [])].sort()).toEqual(survivorIds);
      expect(await liveInstances(inference, GANG_TAG, 'short-gang')).toEqual([]);
      // All or nothing: the fleet took nothing from the pool.
      expect(proxy.rules()[0].available).toBe(3);
      expect(ice.lookup({ instanceType: 'p5.48xlarge', azId: p5.azId, capacityType: 'on-demand' })).toBeDefined();
    });
  });

  describe('a throttling storm on CreateFleet', () => {
    it('reports throttled after a bounded number of calls, and launches the claim once when the storm has passed', async () => {
      const item = claimOf('research-use1', 'storm', [offering('research-use1', 'g6.xlarge', 'spot', 1), offering('research-use1', 'g6.xlarge', 'on-demand', 1)]);
      // Every attempt of the first launch, and the first of the next.
      proxy.setRules([{ fault: 'throttle', action: 'CreateFleet', account: RESEARCH.id, count: SDK_ATTEMPTS + 1 }]);

      const [during] = await launchClaims([item], deps);
      expect(during.outcome).toEqual({ status: 'throttled', detail: expect.stringContaining('RequestLimitExceeded') });
      // The SDK's retries and nothing more: no on-demand fleet after a throttled spot one.
      expect(fleetCalls().map(c => c.fault)).toEqual(Array(SDK_ATTEMPTS).fill('throttle'));
      expect(await liveInstances(research, NODECLAIM_TAG, item.claim.name)).toEqual([]);

      proxy.clearCalls();
      const [after] = await launchClaims([item], deps);
      expect(after.outcome.status).toBe('launched');
      expect(fleetCalls().map(c => c.fault)).toEqual(['throttle', undefined]);

      proxy.clearCalls();
      const [again] = await launchClaims([item], deps);
      expect(launchedIds(again.outcome)).toEqual(launchedIds(after.outcome));
      expect(fleetCalls()).toEqual([]);
      const running = await liveInstances(research, NODECLAIM_TAG, item.claim.name);
      expect(running.map(i => i.InstanceId)).toEqual(launchedIds(after.outcome));
    });
  });

  describe('AccessDenied in one account', () => {
    it("refuses that account's claims with the reason and launches the other account's", async () => {
      const denied = claimOf('inference-usw2', 'denied-inference', [offering('inference-usw2', 'g6e.xlarge', 'on-demand', 1)]);
      const allowed = claimOf('research-use1', 'allowed-research', [offering('research-use1', 'g6e.xlarge', 'on-demand', 1)]);
      proxy.setRules([{ fault: 'access-denied', account: INFERENCE.id }]);

      const results = await launchClaims([denied, allowed], deps);
      const byClaim = new Map(results.map(r => [r.claims[0], r]));

      expect(byClaim.get(denied.claim.name)!.outcome).toEqual({ status: 'access-denied', detail: expect.stringContaining('UnauthorizedOperation') });
      expect(byClaim.get(allowed.claim.name)!.outcome).toMatchObject({ status: 'launched', instances: [expect.objectContaining({ claim: allowed.claim.name })] });
      expect(await liveInstances(inference, NODECLAIM_TAG, denied.claim.name)).toEqual([]);
      expect(await liveInstances(research, NODECLAIM_TAG, allowed.claim.name)).toHaveLength(1);
      expect(fleetCalls(INFERENCE.id)).toEqual([]);
    });

    it('says so when the role cannot even be assumed', async () => {
      // A controller that has not assumed the role yet: STS refuses it.
      const fresh = new AwsClientFactory({ endpoint: proxy.endpoint, hubCredentials: HUB_CREDENTIALS, maxAttempts: SDK_ATTEMPTS });
      try {
        const denied = claimOf('inference-usw2', 'denied-assume-role', [offering('inference-usw2', 'g6e.xlarge', 'on-demand', 1)]);
        proxy.setRules([{ fault: 'access-denied', account: INFERENCE.id, action: 'AssumeRole' }]);
        const [result] = await launchClaims([denied], depsWith(fresh));
        expect(result.outcome).toEqual({ status: 'access-denied', detail: expect.stringMatching(/AccessDenied: .*sts:AssumeRole/) });
        expect(proxy.calls().filter(c => c.service === 'ec2' && c.account === INFERENCE.id)).toEqual([]);
      } finally {
        fresh.destroy();
      }
    });
  });

  describe('an answer lost after AWS acted', () => {
    it('is not a failure: relaunching the same NodeClaim yields exactly the one instance AWS launched', async () => {
      const item = claimOf('research-use1', 'lost-answer', [offering('research-use1', 'g6e.xlarge', 'on-demand', 0)]);
      // Every attempt of the SDK loses its answer; moto launches on the first.
      proxy.setRules([{ fault: 'lose-response', action: 'CreateFleet', count: SDK_ATTEMPTS }]);

      const [lost] = await launchClaims([item], deps);
      expect(lost.outcome).toEqual({ status: 'unconfirmed', detail: expect.any(String) });
      const launchedMeanwhile = await liveInstances(research, NODECLAIM_TAG, item.claim.name);
      expect(launchedMeanwhile).toHaveLength(1);

      const [relaunched] = await launchClaims([item], deps);
      expect(launchedIds(relaunched.outcome)).toEqual([launchedMeanwhile[0].InstanceId]);
      expect(await liveInstances(research, NODECLAIM_TAG, item.claim.name)).toHaveLength(1);
    });

    it("relaunches a gang whose answer was lost as the gang's instances, each tagged with its claim", async () => {
      const p4d = offering('inference-usw2', 'p4d.24xlarge', 'on-demand', 1);
      const items = [0, 1].map(i => claimOf('inference-usw2', `lost-gang-${i}`, [p4d], 'lost-gang'));
      proxy.setRules([{ fault: 'lose-response', action: 'CreateFleet', count: SDK_ATTEMPTS }]);

      const [lost] = await launchClaims(items, deps);
      expect(lost.outcome.status).toBe('unconfirmed');

      const [relaunched] = await launchClaims(items, deps);
      expect(relaunched.outcome).toMatchObject({ status: 'launched' });
      const running = await liveInstances(inference, GANG_TAG, 'lost-gang');
      expect(running.map(i => i.InstanceId).sort()).toEqual(launchedIds(relaunched.outcome));
      expect(running.map(i => i.Tags?.find(t => t.Key === NODECLAIM_TAG)?.Value).sort()).toEqual(['lost-gang-0', 'lost-gang-1']);
    });

    it('relaunches a launch whose connection broke before AWS saw it as one instance', async () => {
      const item = claimOf('research-use1', 'reset-before-aws', [offering('research-use1', 'g6e.xlarge', 'on-demand', 2)]);
      proxy.setRules([{ fault: 'reset', action: 'CreateFleet', count: SDK_ATTEMPTS }]);

      const [broken] = await launchClaims([item], deps);
      expect(broken.outcome.status).toBe('unconfirmed');
      expect(await liveInstances(research, NODECLAIM_TAG, item.claim.name)).toEqual([]);

      const [relaunched] = await launchClaims([item], deps);
      expect(relaunched.outcome.status).toBe('launched');
      const running = await liveInstances(research, NODECLAIM_TAG, item.claim.name);
      expect(running.map(i => i.InstanceId)).toEqual(launchedIds(relaunched.outcome));
    });
  });

  describe('a NodeClaim whose instance is gone before the launch was recorded', () => {
    it('is not reported launched on the dead instance that its ClientToken launched', async () => {
      const item = claimOf('research-use1', 'reclaimed-before-recorded', [offering('research-use1', 'g6e.xlarge', 'spot', 0)]);
      const [first] = await launchClaims([item], deps);
      const [instanceId] = launchedIds(first.outcome);
      // Spot reclaims it while the controller is down.
      await ec2Of(observer, research).send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));

      // EC2 answers the same ClientToken with the same, now dead, instance.
      const [relaunched] = await launchClaims([item], deps);
      // The claim is replaced instead: its token is spent.
      expect(relaunched.outcome).toEqual({ status: 'gone', instanceIds: [instanceId], detail: expect.stringContaining(instanceId) });
      expect(await liveInstances(research, NODECLAIM_TAG, item.claim.name)).toEqual([]);
    });
  });
});
