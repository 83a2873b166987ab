import { appendFileSync } from 'node:fs';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  EC2Client,
  Instance,
} from '@aws-sdk/client-ec2';
import { CellRef, cellId, Inventory } from '@internal/backstage-plugin-fabric-common';
import { ControlPlane, FaultProxy, LocalEstate, MotoServer, NodeJoin, startLocalEstate } from '@internal/fabric-test-tooling';
import { AwsClientFactory } from '../../aws/AwsClientFactory';
import { AwsRateLimits } from '../../aws/AwsRateLimits';
import { CELL_LABEL, cellLabelValue } from '../../compile/labels';
import { discoverEstate } from '../../discovery/aws';
import { parseFabricConfig } from '../../estate';
import { KubeObject, KubernetesClient } from '../../kubernetes/KubernetesClient';
import { InsufficientCapacityCache } from '../../placement/InsufficientCapacityCache';
import { Provisioner, ProvisionerOptions } from '../controller/Provisioner';
import { createInterruptionSignal } from '../cluster/clusterState';
import { FABRIC_STARTUP_TAINT, NODECLAIM_TAG, OWNER_TAG } from '../types';

/**
 * A whole fabric on one machine, every peer real: moto_server (behind the fault proxy,
 * which also answers Service Quotas and gives each account its own AZ names) with member
 * accounts reached through AssumeRole + ExternalId; a kube-apiserver + kube-scheduler +
 * KWOK hub cluster with the Karpenter and fabric CRDs; the node-join stand-in turning
 * running instances into Nodes as nodeadm + kubelet would; and the provisioner.
 */
export interface HubEstate {
  moto: MotoServer;
  proxy: FaultProxy;
  plane: ControlPlane;
  join: NodeJoin;
  client: KubernetesClient;
  factory: AwsClientFactory;
  cells: CellRef[];
  accounts: Array<{ id: string; roleArn: string; externalId: string }>;
  inventory(): Promise<Inventory>;
  ice: InsufficientCapacityCache;
  startProvisioner(identity: string, overrides?: Partial<ProvisionerOptions>): Promise<Provisioner>;
  ec2(cell: CellRef): EC2Client;
  /** Instances this predicate matches do not join (until it is cleared). */
  holdBackJoin(predicate?: (instance: { instanceId: string; tags: Record<string, string> }) => boolean): void;
  /** Delivers a spot interruption notice for an instance, as the EventBridge → SQS queue would. */
  interrupt(instanceId: string): void;
  /** Instances the fabric launched in a cell (running or pending). */
  fabricInstances(cell: CellRef): Promise<Instance[]>;
  allFabricInstances(): Promise<Array<Instance & { cell: CellRef }>>;
  stop(): Promise<void>;
}

export const EXTERNAL_ID = 'fabric-hub-external-id';
export const OWNER = 'fabric-test-hub';
const AMI = 'ami-03cf127a';

export interface HubEstateOptions {
  accountIds: string[];
  regions: string[];
  gpuFamilies: string[];
  /** vCPU quota per account × region × quota code (the proxy answers GetServiceQuota with it). */
  quotas: Record<string, number>;
  /** Spot price per instance type (the proxy answers DescribeSpotPriceHistory with it). */
  spotPrices?: Record<string, number>;
  /** AZ-IDs given a subnet in each cell (the first n of the region's). */
  azsPerCell?: number;
}

export async function startHubEstate(options: HubEstateOptions): Promise<HubEstate> {
  let holdBack: ((instance: { instanceId: string; tags: Record<string, string> }) => boolean) | undefined;
  const accounts = options.accountIds.map(id => ({ id, roleArn: `arn:aws:iam::${id}:role/fabric-member`, externalId: EXTERNAL_ID }));
  const local: LocalEstate = await startLocalEstate({
    accounts: accounts.map(a => ({ accountId: a.id, roleArn: a.roleArn, externalId: a.externalId, regions: options.regions })),
    serviceQuotas: { '*': { '*': options.quotas } },
    awsDefaultQuotas: options.quotas,
    // Spot at about a third of on-demand, as the demo estate prices it.
    spotPrices: options.spotPrices,
    // The test may hold back instances (a node that has not joined yet, or never will).
    join: { intervalMs: 1000, neverJoin: instance => !!holdBack?.(instance) },
    // Deployments recreate the pods a drain evicts, as in a real cluster.
    controllerManager: true,
  });
  const { moto, proxy, plane, nodeJoin: join } = local;
  const factory = new AwsClientFactory({
    endpoint: local.awsEndpoint,
    hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
    maxAttempts: 2,
  });
  const accountOf = (id: string) => accounts.find(a => a.id === id);
  const cells = accounts.flatMap(a => options.regions.map(region => ({ accountId: a.id, region })));
  const ec2 = (cell: CellRef) => factory.ec2(cell, accountOf(cell.accountId)!);
  const client = new KubernetesClient({ server: plane.server, token: plane.token, insecureSkipTlsVerify: true });
  await plane.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cloudspectra-fabric' } });

  // What a cell plan creates: a VPC, a subnet per AZ-ID and a security group, tagged as
  // the FabricNodeClass selectors expect.
  for (const [index, cell] of cells.entries()) {
    const cellEc2 = ec2(cell);
    const zones = (await cellEc2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones!;
    const vpc = await cellEc2.send(new CreateVpcCommand({ CidrBlock: `10.${index}.0.0/16` }));
    const tags = [{ Key: CELL_LABEL, Value: cellLabelValue(cell) }];
    for (const [i, zone] of zones.slice(0, options.azsPerCell ?? 3).entries()) {
      const subnet = await cellEc2.send(
        new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: `10.${index}.${i * 16}.0/20`, AvailabilityZoneId: zone.ZoneId }),
      );
      await cellEc2.send(new CreateTagsCommand({ Resources: [subnet.Subnet!.SubnetId!], Tags: tags }));
    }
    const group = await cellEc2.send(
      new CreateSecurityGroupCommand({ GroupName: 'fabric-nodes', Description: 'fabric nodes', VpcId: vpc.Vpc!.VpcId }),
    );
    await cellEc2.send(new CreateTagsCommand({ Resources: [group.GroupId!], Tags: tags }));
  }

  const config = parseFabricConfig({
    estate: { source: 'aws', defaultRegions: options.regions, gpuFamilies: options.gpuFamilies, accounts: accounts.map(a => ({ ...a, name: `member-${a.id}` })) },
    aws: { endpoint: local.awsEndpoint },
  });
  let inventory: Inventory | undefined;
  const ice = new InsufficientCapacityCache();
  const rateLimits = new AwsRateLimits();
  const provisioners: Provisioner[] = [];
  const interruptions = createInterruptionSignal();

  const fabricInstances = async (cell: CellRef) => {
    const response = await ec2(cell).send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${OWNER_TAG}`, Values: [OWNER] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    return (response.Reservations ?? []).flatMap(r => r.Instances ?? []);
  };

  const estate: HubEstate = {
    moto,
    proxy,
    plane,
    join,
    client,
    factory,
    cells,
    accounts,
    ice,
    ec2,
    holdBackJoin(predicate) {
      holdBack = predicate;
    },
    interrupt(instanceId) {
      interruptions.signal(instanceId);
    },
    async inventory() {
      inventory ??= await discoverEstate({ config, clients: factory, limiter: undefined });
      return inventory;
    },
    async startProvisioner(identity, overrides = {}) {
      const provisioner = new Provisioner({
        client,
        identity,
        lease: { namespace: 'cloudspectra-fabric', name: 'cloudspectra-fabric-provisioner', durationSeconds: 6 },
        batch: { idleMs: 300, maxMs: 3000 },
        lifecycleIntervalMs: 1000,
        registrationTimeoutMs: 60_000,
        garbageCollectionGraceMs: 5_000,
        garbageCollectionIntervalMs: 3_000,
        inventory: () => estate.inventory(),
        aws: {
          clients: factory,
          rateLimits,
          accountOf,
          imageIdFor: () => AMI,
          // nodeadm hands these to the kubelet: the node registers tainted until the
          // provisioner has labelled it.
          userDataFor: () => `--register-with-taints=${FABRIC_STARTUP_TAINT}=true:NoSchedule`,
        },
        owner: OWNER,
        cluster: 'fabric-test-hub',
        insufficientCapacity: ice,
        interruptions,
        // FABRIC_TEST_PROGRESS=<file> keeps the provisioner's warnings for a failing run.
        events: process.env.FABRIC_TEST_PROGRESS
          ? { warn: (message, fields) => appendFileSync(process.env.FABRIC_TEST_PROGRESS!, `${new Date().toISOString()} [${identity}] ${message} ${JSON.stringify(fields ?? {})}\n`) }
          : undefined,
        ...overrides,
      });
      await provisioner.start();
      provisioners.push(provisioner);
      return provisioner;
    },
    fabricInstances,
    async allFabricInstances() {
      const all: Array<Instance & { cell: CellRef }> = [];
      for (const cell of cells) for (const instance of await fabricInstances(cell)) all.push({ ...instance, cell });
      return all;
    },
    async stop() {
      for (const p of provisioners) await p.stop().catch(() => undefined);
      factory.destroy();
      await local.stop();
    },
  };
  return estate;
}

/** The NodePool + FabricNodeClass pair a platform team applies for one member cell. */
export function cellPool(cell: CellRef, azIds: string[], options: { consolidateAfter?: string; weight?: number; limits?: Record<string, string> } = {}): KubeObject[] {
  const name = `fabric-${cell.accountId}-${cell.region}`;
  const tags = { [CELL_LABEL]: cellLabelValue(cell) };
  return [
    {
      apiVersion: 'fabric.cloudspectra.io/v1alpha1',
      kind: 'FabricNodeClass',
      metadata: { name },
      spec: {
        accountId: cell.accountId,
        region: cell.region,
        azIds,
        subnetSelectorTerms: [{ tags }],
        securityGroupSelectorTerms: [{ tags }],
        role: 'KarpenterNodeRole-fabric-hub',
      },
    },
    {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name },
      spec: {
        template: {
          metadata: { labels: { [CELL_LABEL]: cellLabelValue(cell) } },
          spec: {
            nodeClassRef: { group: 'fabric.cloudspectra.io', kind: 'FabricNodeClass', name },
            requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] }],
            taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }],
          },
        },
        ...(options.limits ? { limits: options.limits } : {}),
        weight: options.weight ?? 50,
        disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: options.consolidateAfter ?? '20s', budgets: [{ nodes: '100%' }] },
      },
    },
  ];
}

export { cellId, NODECLAIM_TAG };
