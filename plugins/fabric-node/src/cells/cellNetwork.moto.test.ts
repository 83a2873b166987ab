import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CellRef, Placement } from '@internal/backstage-plugin-fabric-common';
import { MotoServer, startMotoServer } from '@internal/fabric-test-tooling';
import { AwsClientFactory } from '../aws';
import { demoPlacements } from '../compile/__testUtils__/demoPlacements';
import { CompiledPlacement, compilePlacement } from '../compile/compilePlacement';
import { SelectorTerm } from '../compile/karpenter';
import { parseFabricConfig } from '../estate';
import { islandExecutors } from '../islands/islandExecutors';
import { RecordingApplier } from '../islands/__testUtils__/RecordingApplier';
import { KubernetesObject } from '../kubernetes/KubernetesApplier';
import { applyPlan, executorRegistry, InMemoryCheckpointStore, Plan, StepExecutorRegistry } from '../plan';
import { CellNetworkInput, cellNetworkExecutors, cellNetworkNeeds } from './cellNetwork';
import { planCellProvisioning } from './planCellProvisioning';

jest.setTimeout(120_000);

const HUB = '111111111111';
const RESEARCH = '222222222222';

/**
 * A cell plan against moto_server: it creates or adopts each cell's subnets per AZ-ID and
 * its security group, and then the compiled node classes' selectors, resolved the way a
 * provisioner resolves them (DescribeSubnets / DescribeSecurityGroups by tag in the cell's
 * account), find exactly the subnets of the chosen AZ-IDs.
 */
describe('cell networks against moto_server', () => {
  let moto: MotoServer;
  let factory: AwsClientFactory;
  let executors: StepExecutorRegistry;
  const kube = new RecordingApplier();
  const config = parseFabricConfig({
    estate: {
      source: 'aws',
      defaultRegions: ['us-west-2'],
      accounts: [
        { id: HUB, name: 'hub', role: 'hub', roleArn: `arn:aws:iam::${HUB}:role/fabric-hub` },
        { id: RESEARCH, name: 'ml-research', roleArn: `arn:aws:iam::${RESEARCH}:role/fabric-member` },
      ],
    },
  });
  const accountOf = (accountId: string) => {
    const account = config.estate.accounts.find(a => a.id === accountId);
    if (!account) throw new Error(`account ${accountId} is not enrolled`);
    return account;
  };
  const ec2 = (cell: CellRef): EC2Client => factory.ec2(cell, accountOf(cell.accountId));

  const { inventory, placements } = demoPlacements();
  // The balanced demo placement with its usw2-az3 share moved to research, so the member
  // cell spans two AZ-IDs (usw2-az2, usw2-az3) and the hub's cell one (usw2-az1).
  const balanced: Placement = {
    ...placements.balanced,
    id: 'a1b2c3d4-0000-4000-8000-000000000001',
    chosen: placements.balanced.chosen.map(c => (c.azId === 'usw2-az3' ? { ...c, accountId: RESEARCH } : c)),
  };
  const gang: Placement = { ...placements['tightly-coupled'], id: 'a1b2c3d4-0000-4000-8000-000000000002' };
  const compileOptions = { clusterName: 'fabric-hub', nodeRoleName: 'KarpenterNodeRole-fabric-hub', hubAccountId: HUB };

  let researchVpc: string;
  let decoySubnet: string;
  let adoptedSubnet: string;

  beforeAll(async () => {
    moto = await startMotoServer();
    factory = new AwsClientFactory({
      endpoint: moto.endpoint,
      hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      maxAttempts: 1,
    });
    executors = executorRegistry([
      ...cellNetworkExecutors({ clients: factory, accountOf }),
      ...islandExecutors({ clients: factory, accountOf, ram: () => { throw new Error('no RAM in a cell plan'); }, kubernetes: kube }),
    ]);
    // Research's VPC as its owner made it: a subnet in usw2-az2 to adopt, and one in
    // usw2-az4, which no placement chose, that must stay out of every selector.
    const research = { accountId: RESEARCH, region: 'us-west-2' };
    researchVpc = (await ec2(research).send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc!.VpcId!;
    adoptedSubnet = (
      await ec2(research).send(new CreateSubnetCommand({ VpcId: researchVpc, CidrBlock: '10.60.0.0/20', AvailabilityZoneId: 'usw2-az2' }))
    ).Subnet!.SubnetId!;
    decoySubnet = (
      await ec2(research).send(new CreateSubnetCommand({ VpcId: researchVpc, CidrBlock: '10.60.16.0/20', AvailabilityZoneId: 'usw2-az4' }))
    ).Subnet!.SubnetId!;
  });

  afterAll(async () => {
    factory?.destroy();
    await moto?.stop();
  });

  async function defaultVpc(cell: CellRef): Promise<string> {
    const vpcs = await ec2(cell).send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    return vpcs.Vpcs![0].VpcId!;
  }

  /** The networks the person provisioning names: the hub's default VPC, research's own VPC. */
  async function networksOf(compiled: CompiledPlacement, researchCidrs: Record<string, string>) {
    const networks = [];
    for (const need of cellNetworkNeeds(compiled)) {
      const network: CellNetworkInput =
        need.cell.accountId === RESEARCH && need.cell.region === 'us-west-2'
          ? { vpcId: researchVpc, subnetCidrs: researchCidrs }
          : { vpcId: await defaultVpc(need.cell) };
      networks.push({ need, network });
    }
    return networks;
  }

  async function cellPlan(planId: string, compiled: CompiledPlacement, researchCidrs: Record<string, string>): Promise<Plan> {
    return planCellProvisioning({
      planId,
      owner: 'user:default/ml-team',
      placementId: compiled.name,
      clusterName: 'fabric-hub',
      ec2NodeClasses: compiled.ec2NodeClasses as unknown as KubernetesObject[],
      fabricNodeClasses: compiled.fabricNodeClasses as unknown as KubernetesObject[],
      nodePools: compiled.nodePools as unknown as KubernetesObject[],
      networks: await networksOf(compiled, researchCidrs),
    });
  }

  /** What a provisioner finds for a node class's selectors in its cell: subnets by AZ-ID, groups. */
  async function resolve(cell: CellRef, subnetTerms: SelectorTerm[], groupTerms: SelectorTerm[]) {
    const filters = (terms: SelectorTerm[]) => Object.entries(terms[0].tags!).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));
    const subnets = (await ec2(cell).send(new DescribeSubnetsCommand({ Filters: filters(subnetTerms) }))).Subnets ?? [];
    const groups = (await ec2(cell).send(new DescribeSecurityGroupsCommand({ Filters: filters(groupTerms) }))).SecurityGroups ?? [];
    return {
      subnetsByAzId: Object.fromEntries(subnets.map(s => [s.AvailabilityZoneId!, s.SubnetId!]).sort()),
      subnetCount: subnets.length,
      vpcs: [...new Set([...subnets.map(s => s.VpcId), ...groups.map(g => g.VpcId)])],
      groups,
    };
  }

  /** Every node class of a compilation, resolved in its own account. */
  async function resolveAll(compiled: CompiledPlacement) {
    const resolved: Record<string, Awaited<ReturnType<typeof resolve>> & { azIds: string[] }> = {};
    for (const nodeClass of compiled.fabricNodeClasses) {
      const { accountId, region, azIds, subnetSelectorTerms, securityGroupSelectorTerms } = nodeClass.spec;
      resolved[`${accountId}.${region}`] = {
        azIds,
        ...(await resolve({ accountId, region }, subnetSelectorTerms, securityGroupSelectorTerms)),
      };
    }
    for (const nodeClass of compiled.ec2NodeClasses) {
      const cellValue = nodeClass.metadata.labels!['fabric.cloudspectra.io/cell'];
      const pool = compiled.nodePools.find(p => p.metadata.name === nodeClass.metadata.name)!;
      const azIds = pool.spec.template.spec.requirements.find(r => r.key === 'topology.k8s.aws/zone-id')!.values!;
      const cell = { accountId: cellValue.slice(0, 12), region: cellValue.slice(13) };
      resolved[cellValue] = {
        azIds,
        ...(await resolve(cell, nodeClass.spec.subnetSelectorTerms, nodeClass.spec.securityGroupSelectorTerms)),
      };
    }
    return resolved;
  }

  it('creates or adopts one tagged subnet per chosen AZ-ID and one security group per cell; the selectors find exactly those', async () => {
    const compiled = compilePlacement(balanced, inventory, compileOptions);
    expect(compiled.fabricNodeClasses.map(c => c.spec.accountId)).toEqual([RESEARCH]);
    expect(compiled.ec2NodeClasses).toHaveLength(1);

    // Nothing matches before the plan runs: today's gap, selectors by a tag nothing creates.
    for (const cell of Object.values(await resolveAll(compiled))) expect(cell.subnetCount).toBe(0);

    const plan = await cellPlan('cells-balanced-1', compiled, { 'usw2-az3': '10.60.32.0/20' });
    const checkpoints = new InMemoryCheckpointStore();
    const result = await applyPlan(plan, { executors, checkpoints });
    expect(result.steps.filter(s => s.status !== 'done')).toEqual([]);

    const resolved = await resolveAll(compiled);
    expect(Object.keys(resolved).sort()).toEqual([`${HUB}.us-west-2`, `${RESEARCH}.us-west-2`]);
    for (const cell of Object.values(resolved)) {
      // Exactly one subnet per chosen AZ-ID, no other AZ-ID, and one group, all in one VPC.
      expect(Object.keys(cell.subnetsByAzId)).toEqual([...cell.azIds].sort());
      expect(cell.subnetCount).toBe(cell.azIds.length);
      expect(cell.groups).toHaveLength(1);
      expect(cell.vpcs).toHaveLength(1);
    }
    const research = resolved[`${RESEARCH}.us-west-2`];
    expect(research.azIds).toEqual(['usw2-az2', 'usw2-az3']);
    // usw2-az2 adopted the owner's subnet; usw2-az3 was created with the given CIDR; the
    // subnet in the AZ-ID nobody chose stays out.
    expect(research.subnetsByAzId['usw2-az2']).toBe(adoptedSubnet);
    expect(Object.values(research.subnetsByAzId)).not.toContain(decoySubnet);
    const [created] = (
      await ec2({ accountId: RESEARCH, region: 'us-west-2' }).send(
        new DescribeSubnetsCommand({ SubnetIds: [research.subnetsByAzId['usw2-az3']] }),
      )
    ).Subnets!;
    expect(created).toMatchObject({ VpcId: researchVpc, CidrBlock: '10.60.32.0/20', AvailabilityZoneId: 'usw2-az3' });
    expect(research.vpcs).toEqual([researchVpc]);
    // The group lets the cell's nodes talk to each other.
    const [group] = research.groups;
    expect(group.IpPermissions).toEqual([
      expect.objectContaining({ IpProtocol: '-1', UserIdGroupPairs: [expect.objectContaining({ GroupId: group.GroupId })] }),
    ]);
    // The hub's cell adopted its default VPC's subnet in usw2-az1.
    expect(Object.keys(resolved[`${HUB}.us-west-2`].subnetsByAzId)).toEqual(['usw2-az1']);
    // The node classes and pools went to the hub cluster after the network.
    expect(kube.ofKind('FabricNodeClass').map(o => o.metadata.name)).toEqual(compiled.fabricNodeClasses.map(c => c.metadata.name));

    // Applied again with its checkpoints lost (a re-plan, or a crash before they were
    // written): every step finds its resource by the selector tags, nothing new is made.
    const before = await resolveAll(compiled);
    const again = await applyPlan(await cellPlan('cells-balanced-2', compiled, { 'usw2-az3': '10.60.32.0/20' }), {
      executors,
      checkpoints: new InMemoryCheckpointStore(),
    });
    expect(again.steps.filter(s => s.status !== 'done')).toEqual([]);
    // Every network step found its resource; the kube apply is server-side apply, run again.
    expect(again.steps.filter(s => s.key.startsWith('cell:')).every(s => s.via === 'probe')).toBe(true);
    expect(await resolveAll(compiled)).toEqual(before);
  });

  it('tags the island subnet of a gang with the island, so the gang selector finds only it', async () => {
    const compiled = compilePlacement(gang, inventory, compileOptions);
    // Both cells adopt their default VPC's subnet in use1-az4.
    const plan = await cellPlan('cells-gang-1', compiled, {});
    const result = await applyPlan(plan, { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(result.steps.filter(s => s.status !== 'done')).toEqual([]);

    const resolved = await resolveAll(compiled);
    for (const [cellValue, cell] of Object.entries(resolved)) {
      expect(cell.azIds).toEqual(['use1-az4']);
      expect(Object.keys(cell.subnetsByAzId)).toEqual(['use1-az4']);
      expect(cell.subnetCount).toBe(1);
      expect(cell.groups).toHaveLength(1);
      const [subnet] = (
        await ec2({ accountId: cellValue.slice(0, 12), region: 'us-east-1' }).send(
          new DescribeSubnetsCommand({ SubnetIds: [cell.subnetsByAzId['use1-az4']] }),
        )
      ).Subnets!;
      expect(subnet.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'fabric.cloudspectra.io/cell', Value: cellValue },
          { Key: 'fabric.cloudspectra.io/island', Value: 'use1-az4' },
        ]),
      );
    }
  });
});
