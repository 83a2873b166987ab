import { FabricRefusal, isFabricRefusal } from '@internal/backstage-plugin-fabric-common';
import { isStepOutputRef, referencedStepKeys } from '../plan/refs';
import { validatePlan } from '../plan/validatePlan';
import { executorRegistry } from '../plan/validatePlan';
import { islandExecutors } from './islandExecutors';
import { IslandRefusedError } from './IslandSpec';
import { ISLAND_STEP_TYPES, islandStepKeys, planIsland } from './planIsland';
import { INFERENCE, islandInventory, islandSpec, NETWORK, RESEARCH } from './__testUtils__/fixtures';

const context = { inventory: islandInventory(), owner: 'team-ml', planId: 'plan-island-1' };
const keys = islandStepKeys('train-a');
const ref = (key: string, field: string) => ({ $ref: `${key}.output.${field}` });

describe('planIsland', () => {
  const plan = planIsland(islandSpec(), context);
  const step = (key: string) => plan.steps.find(s => s.key === key)!;

  it('plans network-account steps, then launch templates per member and type, then the hub apply', () => {
    expect(plan).toMatchObject({ id: 'plan-island-1', owner: 'team-ml' });
    expect(plan.steps.map(s => [s.key, s.type, s.cell?.accountId ?? s.kind])).toEqual([
      [keys.subnet, ISLAND_STEP_TYPES.createSubnet, NETWORK],
      [keys.securityGroup, ISLAND_STEP_TYPES.createSecurityGroup, NETWORK],
      [keys.efaRules, ISLAND_STEP_TYPES.authorizeSelfReference, NETWORK],
      [keys.placementGroup, ISLAND_STEP_TYPES.createPlacementGroup, NETWORK],
      [keys.resourceShare, ISLAND_STEP_TYPES.createResourceShare, NETWORK],
      [keys.launchTemplate(RESEARCH, 'p5.48xlarge'), ISLAND_STEP_TYPES.createLaunchTemplate, RESEARCH],
      [keys.launchTemplate(RESEARCH, 'p5e.48xlarge'), ISLAND_STEP_TYPES.createLaunchTemplate, RESEARCH],
      [keys.launchTemplate(INFERENCE, 'p5.48xlarge'), ISLAND_STEP_TYPES.createLaunchTemplate, INFERENCE],
      [keys.launchTemplate(INFERENCE, 'p5e.48xlarge'), ISLAND_STEP_TYPES.createLaunchTemplate, INFERENCE],
      [keys.karpenter, ISLAND_STEP_TYPES.serverSideApply, 'kubernetes'],
    ]);
    expect(plan.steps.every(s => s.kind === 'kubernetes' || s.cell?.region === 'us-east-1')).toBe(true);
  });

  it('is a valid plan for the island executors: dependencies and $refs point at earlier steps', () => {
    const executors = executorRegistry(
      islandExecutors({ clients: { ec2: () => undefined as never }, accountOf: id => ({ id }), ram: () => undefined as never }),
    );
    expect(() => validatePlan(plan, executors)).not.toThrow();
    for (const s of plan.steps) {
      expect(referencedStepKeys(s.input).every(k => s.dependsOn?.includes(k))).toBe(true);
    }
  });

  it('creates the subnet by AZ-ID and the self-reference rules on the new group', () => {
    expect(step(keys.subnet).input).toMatchObject({
      VpcId: 'vpc-0a1b2c3d4e5f60718',
      CidrBlock: '10.80.16.0/20',
      AvailabilityZoneId: 'use1-az4',
    });
    expect(step(keys.efaRules)).toMatchObject({ dependsOn: [keys.securityGroup], input: { GroupId: ref(keys.securityGroup, 'GroupId') } });
    expect(step(keys.placementGroup).input).toMatchObject({ GroupName: 'fabric-island-train-a', Strategy: 'cluster' });
  });

  it('shares the subnet, group and placement group ARNs with the members inside the Organization', () => {
    expect(step(keys.resourceShare)).toMatchObject({
      dependsOn: [keys.subnet, keys.securityGroup, keys.placementGroup],
      input: {
        name: 'fabric-island-train-a',
        resourceArns: [ref(keys.subnet, 'SubnetArn'), ref(keys.securityGroup, 'GroupArn'), ref(keys.placementGroup, 'GroupArn')],
        principals: [RESEARCH, INFERENCE].sort(),
        allowExternalPrincipals: false,
      },
    });
  });

  it('gives each launch template the EFA layout, the group by GroupId and its reservation', () => {
    const research = step(keys.launchTemplate(RESEARCH, 'p5.48xlarge'));
    expect(research.dependsOn).toEqual([keys.subnet, keys.securityGroup, keys.efaRules, keys.placementGroup, keys.resourceShare]);
    const data = (research.input as any).LaunchTemplateData;
    expect(data.InstanceType).toBe('p5.48xlarge');
    expect(data.Placement).toEqual({ GroupId: ref(keys.placementGroup, 'GroupId') });
    expect(data.NetworkInterfaces).toHaveLength(33);
    expect(data.NetworkInterfaces[0]).toMatchObject({
      NetworkCardIndex: 0,
      DeviceIndex: 0,
      InterfaceType: 'interface',
      SubnetId: ref(keys.subnet, 'SubnetId'),
      Groups: [ref(keys.securityGroup, 'GroupId')],
    });
    expect(data.NetworkInterfaces.filter((n: any) => n.InterfaceType === 'efa-only')).toHaveLength(32);
    // The research Capacity Block: targeted, and bought as capacity-block.
    expect(data.CapacityReservationSpecification).toEqual({ CapacityReservationTarget: { CapacityReservationId: 'cr-0b10c4000000000a1' } });
    expect(data.InstanceMarketOptions).toEqual({ MarketType: 'capacity-block' });
    // The inference p5 has no reservation; the shared p5e ODCR applies to both members, without capacity-block.
    expect((step(keys.launchTemplate(INFERENCE, 'p5.48xlarge')).input as any).LaunchTemplateData.CapacityReservationSpecification).toBeUndefined();
    const odcr = (step(keys.launchTemplate(INFERENCE, 'p5e.48xlarge')).input as any).LaunchTemplateData;
    expect(odcr.CapacityReservationSpecification.CapacityReservationTarget.CapacityReservationId).toBe('cr-0dc40000000000b22');
    expect(odcr.InstanceMarketOptions).toBeUndefined();
  });

  it('applies an EC2NodeClass and a NodePool per type to the hub, selecting the island by $ref ids', () => {
    const input = step(keys.karpenter).input as any;
    expect(input.cluster).toBe('fabric-hub');
    expect(input.objects.map((o: any) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'EC2NodeClass/fabric-island-train-a-p5.48xlarge',
      'EC2NodeClass/fabric-island-train-a-p5e.48xlarge',
      'NodePool/fabric-island-train-a-p5.48xlarge',
      'NodePool/fabric-island-train-a-p5e.48xlarge',
    ]);
    const nodeClass = input.objects[0].spec;
    expect(nodeClass).toMatchObject({
      role: 'KarpenterNodeRole-fabric-hub',
      subnetSelectorTerms: [{ id: ref(keys.subnet, 'SubnetId') }],
      securityGroupSelectorTerms: [{ id: ref(keys.securityGroup, 'GroupId') }],
      placementGroupSelector: { id: ref(keys.placementGroup, 'GroupId') },
      capacityReservationSelectorTerms: [{ id: 'cr-0b10c4000000000a1' }],
    });
    expect(isStepOutputRef(nodeClass.placementGroupSelector.id)).toBe(true);
    expect(nodeClass.networkInterfaces.filter((n: any) => n.interfaceType === 'efa-only')).toHaveLength(32);
    const pool = input.objects[2].spec.template.spec;
    expect(pool.requirements).toEqual([
      { key: 'topology.k8s.aws/zone-id', operator: 'In', values: ['use1-az4'] },
      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['p5.48xlarge'] },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand', 'reserved'] },
    ]);
    expect(pool.taints).toContainEqual({ key: 'fabric.cloudspectra.io/island', value: 'train-a', effect: 'NoSchedule' });
  });

  it('leaves out the RAM share when the network account is the only member, and the hub apply on request', () => {
    const solo = planIsland(islandSpec({ memberAccountIds: [NETWORK], capacityReservations: [] }), { ...context, karpenter: false });
    expect(solo.steps.map(s => s.key)).toEqual([
      keys.subnet,
      keys.securityGroup,
      keys.efaRules,
      keys.placementGroup,
      keys.launchTemplate(NETWORK, 'p5.48xlarge'),
      keys.launchTemplate(NETWORK, 'p5e.48xlarge'),
    ]);
  });

  it('refuses an invalid island with every reason', () => {
    const attempt = () => planIsland(islandSpec({ instanceTypes: ['g6e.xlarge'], capacityReservations: [], azId: 'use1-az9' }), context);
    expect(attempt).toThrow(IslandRefusedError);
    expect(attempt).toThrow(/use1-az9 is not an AZ-ID of us-east-1.*g6e\.xlarge does not support EFA/);
  });

  it('throws a refusal the backend can answer by its rule', () => {
    let thrown: unknown;
    try {
      planIsland(islandSpec({ instanceTypes: ['g6e.xlarge'], capacityReservations: [] }), context);
    } catch (error) {
      thrown = error;
    }
    expect(isFabricRefusal(thrown)).toBe(true);
    expect(thrown).toMatchObject({ rule: 'efa-unsupported-type', reasons: [expect.stringMatching(/g6e\.xlarge does not support EFA/)] });
    expect((thrown as FabricRefusal).kind).toBe('conflict');
  });
});
