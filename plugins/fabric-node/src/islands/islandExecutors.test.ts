import { applyPlan } from '../plan/applyPlan';
import { InMemoryCheckpointStore } from '../plan/CheckpointStore';
import { buildDestroyPlan } from '../plan/destroyPlan';
import { Plan } from '../plan/types';
import { islandExecutors, launchTemplateDrift } from './islandExecutors';
import { containsFields } from './kubernetesExecutors';
import { ISLAND_STEP_TYPES } from './planIsland';
import { InMemoryRam } from './__testUtils__/InMemoryRam';
import { RecordingApplier } from './__testUtils__/RecordingApplier';
import { INFERENCE, NETWORK, RESEARCH } from './__testUtils__/fixtures';

const cell = { accountId: NETWORK, region: 'us-east-1' };
const arns = [
  `arn:aws:ec2:us-east-1:${NETWORK}:subnet/subnet-1`,
  `arn:aws:ec2:us-east-1:${NETWORK}:security-group/sg-1`,
  `arn:aws:ec2:us-east-1:${NETWORK}:placement-group/fabric-island-a`,
];
const sharePlan = (id: string, principals: string[]): Plan => ({
  id,
  owner: 'team-ml',
  title: 'share',
  steps: [
    {
      key: 'island:a:ram-share',
      title: 'share',
      kind: 'aws',
      type: ISLAND_STEP_TYPES.createResourceShare,
      cell,
      input: { name: 'fabric-island-a', resourceArns: arns, principals, allowExternalPrincipals: false },
    },
  ],
});
const noEc2 = { ec2: () => { throw new Error('no EC2 in this test'); } };

describe('the RAM share step', () => {
  it('creates one share with the client token and fabric tags, finds it again, and associates a new member', async () => {
    const ram = new InMemoryRam(cell);
    const executors = islandExecutors({ clients: noEc2, accountOf: id => ({ id }), ram: () => ram });
    const first = await applyPlan(sharePlan('p1', [RESEARCH]), { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(first.status).toBe('done');
    expect(first.steps[0]).toMatchObject({ via: 'run', output: { created: true } });
    const [share] = ram.shares.values();
    expect(share).toMatchObject({ name: 'fabric-island-a', allowExternalPrincipals: false, principals: [RESEARCH], resourceArns: arns });
    expect(share.tags).toContainEqual({ key: 'fabric.cloudspectra.io/step', value: 'island:a:ram-share' });

    // Resumed: the probe finds the share by name and its tags prove this plan made it.
    const resumed = await applyPlan(sharePlan('p1', [RESEARCH]), { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(resumed.steps[0]).toMatchObject({ via: 'probe', output: { created: true, resourceShareArn: share.resourceShareArn } });
    // Another plan finds it too, but it stays the first plan's to destroy.
    const other = await applyPlan(sharePlan('p2', [RESEARCH]), { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(other.steps[0]).toMatchObject({ via: 'probe', output: { created: false, resourceShareArn: share.resourceShareArn } });
    expect(ram.calls.filter(c => c === 'createResourceShare')).toHaveLength(1);

    // The island grew: the existing share gains the member, no second share, and the
    // growing plan's destroy leaves the share to the plan that made it.
    const checkpoints = new InMemoryCheckpointStore();
    const grownPlan = sharePlan('p3', [RESEARCH, INFERENCE]);
    const grown = await applyPlan(grownPlan, { executors, checkpoints });
    expect(grown.steps[0]).toMatchObject({ via: 'run', status: 'done', output: { extendedExisting: true } });
    expect(ram.shares.size).toBe(1);
    expect(share.principals).toEqual([RESEARCH, INFERENCE]);
    expect((await buildDestroyPlan(grownPlan, { executors, checkpoints })).plan.steps).toEqual([]);
  });

  it('is undone by deleting the share, and the delete is idempotent', async () => {
    const ram = new InMemoryRam(cell);
    const executors = islandExecutors({ clients: noEc2, accountOf: id => ({ id }), ram: () => ram });
    const checkpoints = new InMemoryCheckpointStore();
    const applied = sharePlan('p1', [RESEARCH]);
    await applyPlan(applied, { executors, checkpoints });
    const destroy = await buildDestroyPlan(applied, { executors, checkpoints, planId: 'd1' });
    expect(destroy.plan.steps.map(s => s.type)).toEqual([ISLAND_STEP_TYPES.deleteResourceShare]);
    expect((await applyPlan(destroy.plan, { executors, checkpoints })).status).toBe('done');
    expect([...ram.shares.values()][0].status).toBe('DELETED');
    const twice = await applyPlan({ ...destroy.plan, id: 'd2' }, { executors, checkpoints });
    expect(twice.steps[0]).toMatchObject({ status: 'done', via: 'probe' });
  });
});

describe('the Kubernetes steps', () => {
  const nodeClass = {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: 'fabric-island-a-p5.48xlarge', labels: { 'fabric.cloudspectra.io/island': 'a' } },
    spec: { role: 'r', placementGroupSelector: { id: 'pg-0123' } },
  };
  const applyStep = (id: string, object = nodeClass): Plan => ({
    id,
    owner: 'team-ml',
    title: 'apply',
    steps: [
      {
        key: 'island:a:karpenter',
        title: 'apply',
        kind: 'kubernetes',
        type: ISLAND_STEP_TYPES.serverSideApply,
        input: { cluster: 'hub', objects: [object] },
      },
    ],
  });

  it('applies with the fabric tags as annotations, re-finds its own objects and refuses to take over others', async () => {
    const kube = new RecordingApplier();
    const executors = islandExecutors({ clients: noEc2, accountOf: id => ({ id }), ram: () => undefined as never, kubernetes: kube });
    expect((await applyPlan(applyStep('p1'), { executors, checkpoints: new InMemoryCheckpointStore() })).status).toBe('done');
    const stored = kube.ofKind('EC2NodeClass')[0];
    expect(stored.metadata.annotations).toMatchObject({
      'fabric.cloudspectra.io/step': 'island:a:karpenter',
      'fabric.cloudspectra.io/owner': 'team-ml',
    });
    const resumed = await applyPlan(applyStep('p1'), { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(resumed.steps[0]).toMatchObject({ via: 'probe', output: { created: true } });
    const other = await applyPlan(applyStep('p2'), { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(other.steps[0]).toMatchObject({ via: 'probe', output: { created: false } });
    expect(kube.applied).toHaveLength(1);

    // Changed spec: applied again.
    const changed = { ...nodeClass, spec: { ...nodeClass.spec, placementGroupSelector: { id: 'pg-0456' } } };
    expect((await applyPlan(applyStep('p3', changed), { executors, checkpoints: new InMemoryCheckpointStore() })).steps[0].via).toBe('run');
    expect(kube.applied).toHaveLength(2);

    // Someone else's object of the same name.
    kube.objects.clear();
    await kube.apply(nodeClass);
    const foreign = await applyPlan(applyStep('p4'), { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(foreign.status).toBe('failed');
    expect(foreign.steps[0].error).toMatch(/was not applied by this step; the fabric does not take over objects it did not create/);
  });

  it('fails with a clear reason when no cluster is configured', async () => {
    const executors = islandExecutors({ clients: noEc2, accountOf: id => ({ id }), ram: () => undefined as never });
    const result = await applyPlan(applyStep('p1'), { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(result.steps[0].error).toMatch(/^No Kubernetes target is configured for the hub cluster hub/);
  });

  it('matches live objects that carry server defaults', () => {
    expect(containsFields({ a: 1, b: { c: [1, 2], d: 'x' } }, { b: { c: [1, 2] } })).toBe(true);
    expect(containsFields({ b: { c: [1, 2, 3] } }, { b: { c: [1, 2] } })).toBe(false);
    expect(containsFields({ b: { c: [{ x: 1, y: 2 }] } }, { b: { c: [{ x: 1 }] } })).toBe(true);
    expect(containsFields({ b: 1 }, { b: '1' })).toBe(false);
  });
});

describe('launchTemplateDrift', () => {
  const wanted = {
    InstanceType: 'p4d.24xlarge' as const,
    Placement: { GroupId: 'pg-1' },
    NetworkInterfaces: [
      { NetworkCardIndex: 0, DeviceIndex: 0, InterfaceType: 'interface', SubnetId: 'subnet-1', Groups: ['sg-1'] },
      { NetworkCardIndex: 1, DeviceIndex: 0, InterfaceType: 'efa-only', SubnetId: 'subnet-1', Groups: ['sg-1'] },
    ],
  };

  it('finds nothing when the stored data matches, in any NIC order and with extra fields', () => {
    const stored = { ...wanted, NetworkInterfaces: [...wanted.NetworkInterfaces].reverse(), TagSpecifications: [] };
    expect(launchTemplateDrift(wanted, stored)).toEqual([]);
  });

  it('names what differs: the placement group, a NIC, a reservation', () => {
    const stored = {
      ...wanted,
      Placement: { GroupId: 'pg-2' },
      NetworkInterfaces: [wanted.NetworkInterfaces[0], { ...wanted.NetworkInterfaces[1], SubnetId: 'subnet-2' }],
      CapacityReservationSpecification: { CapacityReservationTarget: { CapacityReservationId: 'cr-1' } },
    };
    expect(launchTemplateDrift(wanted, stored)).toEqual([
      'Placement.GroupId is "pg-2", the island wants "pg-1"',
      expect.stringMatching(/^NetworkInterfaces\[1\] is .*"subnet":"subnet-2".*, the island wants .*"subnet":"subnet-1"/),
      'CapacityReservationId is "cr-1", the island wants null',
    ]);
  });
});
