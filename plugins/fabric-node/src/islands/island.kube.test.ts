import { ControlPlane, startControlPlane } from '@internal/fabric-test-tooling';
import { KubernetesApplier } from '../kubernetes';
import { applyPlan } from '../plan/applyPlan';
import { InMemoryCheckpointStore } from '../plan/CheckpointStore';
import { buildDestroyPlan } from '../plan/destroyPlan';
import { resolveRefs } from '../plan/refs';
import { JsonValue, Plan } from '../plan/types';
import { kubernetesExecutors } from './kubernetesExecutors';
import { islandStepKeys, planIsland } from './planIsland';
import { islandInventory, islandSpec } from './__testUtils__/fixtures';

// The kube step of `npm test` builds the plane; a cold build here would take minutes.
jest.setTimeout(15 * 60_000);

/** What the AWS steps of an applied island would have produced. */
const awsOutputs: Record<string, Record<string, JsonValue>> = {
  subnet: { SubnetId: 'subnet-0f1e2d3c4b5a69788', SubnetArn: 'arn:aws:ec2:us-east-1:444444444444:subnet/subnet-0f1e2d3c4b5a69788' },
  'security-group': { GroupId: 'sg-0a1b2c3d4e5f60718', GroupArn: 'arn:aws:ec2:us-east-1:444444444444:security-group/sg-0a1b2c3d4e5f60718' },
  'placement-group': { GroupId: 'pg-0123456789abcdef0', GroupArn: 'arn:aws:ec2:us-east-1:444444444444:placement-group/fabric-island-x' },
};

/** The hub step of a planned island, with its `$ref`s resolved as apply would. */
function hubPlan(spec: ReturnType<typeof islandSpec>, planId: string): Plan {
  const plan = planIsland(spec, { inventory: islandInventory(), owner: 'team-ml', planId });
  const step = plan.steps.find(s => s.key === islandStepKeys(spec.id).karpenter)!;
  const input = resolveRefs(step.input, key => awsOutputs[key.split(':').pop()!]);
  return { ...plan, steps: [{ ...step, dependsOn: [], input }] };
}

describe('island Karpenter objects against a real kube-apiserver with the Karpenter CRDs', () => {
  let plane: ControlPlane;
  let applier: KubernetesApplier;

  beforeAll(async () => {
    plane = await startControlPlane({ waitForScheduler: false });
    applier = new KubernetesApplier({ server: plane.server, token: plane.token, insecureSkipTlsVerify: true });
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('applies each type\'s EC2NodeClass and NodePool through the plan step; the CRDs and their CEL rules accept them', async () => {
    const executors = kubernetesExecutors(applier);
    const checkpoints = new InMemoryCheckpointStore();
    const plan = hubPlan(islandSpec(), 'island-kube-1');
    const result = await applyPlan(plan, { executors, checkpoints });
    expect(result.steps[0]).toMatchObject({ status: 'done', via: 'run' });

    const objects = (plan.steps[0].input as any).objects;
    expect(objects).toHaveLength(4);
    for (const object of objects) {
      const live = await applier.get<any>(object);
      expect(live.metadata.annotations['fabric.cloudspectra.io/step']).toBe('island:train-a:karpenter');
    }
    for (const object of objects.filter((o: any) => o.kind === 'EC2NodeClass')) {
      const live = await applier.get<any>(object);
      // Read back exactly: nothing pruned or rewritten by the schema.
      expect(live.spec.networkInterfaces).toEqual(object.spec.networkInterfaces);
      expect(live.spec.networkInterfaces.filter((n: any) => n.interfaceType === 'efa-only')).toHaveLength(32);
      expect(live.spec.placementGroupSelector).toEqual({ id: 'pg-0123456789abcdef0' });
      expect(live.spec.subnetSelectorTerms).toEqual([{ id: 'subnet-0f1e2d3c4b5a69788' }]);
      expect(live.spec.securityGroupSelectorTerms).toEqual([{ id: 'sg-0a1b2c3d4e5f60718' }]);
      expect(live.spec.capacityReservationSelectorTerms).toEqual(object.spec.capacityReservationSelectorTerms);
    }
    for (const object of objects.filter((o: any) => o.kind === 'NodePool')) {
      const live = await applier.get<any>(object);
      expect(live.spec.template.spec.requirements).toEqual(object.spec.template.spec.requirements);
      expect(live.spec.disruption).toEqual(object.spec.disruption);
      expect(live.spec.template.spec.expireAfter).toBe('Never');
    }

    // Applying again (checkpoints lost) finds the objects, defaults and all: nothing is re-applied.
    const versions = await Promise.all(objects.map(async (o: any) => (await applier.get<any>(o)).metadata.resourceVersion));
    const again = await applyPlan(plan, { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(again.steps[0]).toMatchObject({ status: 'done', via: 'probe', output: { created: true } });
    expect(await Promise.all(objects.map(async (o: any) => (await applier.get<any>(o)).metadata.resourceVersion))).toEqual(versions);

    // Destroy removes them, NodePools first.
    const destroy = await buildDestroyPlan(plan, { executors, checkpoints, planId: 'island-kube-1-destroy' });
    expect((await applyPlan(destroy.plan, { executors, checkpoints })).status).toBe('done');
    for (const object of objects) await expect(applier.get(object)).resolves.toBeUndefined();
  });

  it('accepts the p4d layout (4 cards) and an island without reservations', async () => {
    const plan = hubPlan(
      islandSpec({ id: 'p4d-island', instanceTypes: ['p4d.24xlarge'], capacityReservations: [] }),
      'island-kube-2',
    );
    const result = await applyPlan(plan, { executors: kubernetesExecutors(applier), checkpoints: new InMemoryCheckpointStore() });
    expect(result.status).toBe('done');
    const nodeClass = await applier.get<any>({
      apiVersion: 'karpenter.k8s.aws/v1',
      kind: 'EC2NodeClass',
      metadata: { name: 'fabric-island-p4d-island-p4d.24xlarge' },
    });
    expect(nodeClass.spec.networkInterfaces).toHaveLength(5);
    expect(nodeClass.spec.capacityReservationSelectorTerms).toBeUndefined();
  });
});
