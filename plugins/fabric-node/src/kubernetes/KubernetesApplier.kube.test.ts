import { startControlPlane, ControlPlane } from '@internal/fabric-test-tooling';
import { KubernetesApiError, KubernetesApplier, KubernetesObject } from './KubernetesApplier';

// The build is done by `npm test`'s kube step; a cold build here would take minutes.
jest.setTimeout(15 * 60_000);

const nodeClass = (name: string): KubernetesObject => ({
  apiVersion: 'karpenter.k8s.aws/v1',
  kind: 'EC2NodeClass',
  metadata: { name, labels: { 'fabric.cloudspectra.io/cell': '222222222222.us-east-1' } },
  spec: {
    role: 'KarpenterNodeRole-fabric',
    amiSelectorTerms: [{ alias: 'al2023@latest' }],
    subnetSelectorTerms: [{ tags: { 'fabric.cloudspectra.io/cell': '222222222222.us-east-1' } }],
    securityGroupSelectorTerms: [{ tags: { 'fabric.cloudspectra.io/cell': '222222222222.us-east-1' } }],
  },
});

const nodePool = (name: string, requirements: unknown[]): KubernetesObject => ({
  apiVersion: 'karpenter.sh/v1',
  kind: 'NodePool',
  metadata: { name },
  spec: {
    template: {
      spec: {
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name },
        requirements,
        taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }],
      },
    },
    limits: { cpu: '384', 'nvidia.com/gpu': '16' },
    weight: 50,
  },
});

const gpuRequirements = [
  { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] },
  { key: 'topology.k8s.aws/zone-id', operator: 'In', values: ['use1-az4'] },
  { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['p5.48xlarge'] },
];

describe('KubernetesApplier against a real kube-apiserver with the Karpenter CRDs', () => {
  let plane: ControlPlane;
  let applier: KubernetesApplier;

  beforeAll(async () => {
    plane = await startControlPlane();
    applier = new KubernetesApplier({ server: plane.server, token: plane.token, insecureSkipTlsVerify: true });
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('server-side applies an EC2NodeClass and a NodePool that pass the CRDs\' validation', async () => {
    const appliedClass = await applier.apply(nodeClass('cell-research-use1'));
    const appliedPool = await applier.apply(nodePool('cell-research-use1', gpuRequirements));

    const readClass = await applier.get<any>(appliedClass);
    const readPool = await applier.get<any>(appliedPool);
    expect(readClass.spec.amiSelectorTerms).toEqual([{ alias: 'al2023@latest' }]);
    expect(readPool.spec.template.spec.requirements).toEqual(gpuRequirements);
    expect(readPool.spec.limits).toEqual({ cpu: '384', 'nvidia.com/gpu': '16' });
    // The API server defaulted the disruption block: the CRD schema was really applied.
    expect(readPool.spec.disruption).toMatchObject({ consolidationPolicy: expect.any(String) });
    expect(readPool.metadata.managedFields.map((f: any) => f.manager)).toContain('cloudspectra-fabric');
  });

  it('is idempotent: applying the same object again changes nothing', async () => {
    const first = await applier.apply<any>(nodePool('idempotent-pool', gpuRequirements));
    const second = await applier.apply<any>(nodePool('idempotent-pool', gpuRequirements));
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
  });

  it('surfaces a CEL rejection from the NodePool CRD and creates nothing', async () => {
    // Karpenter forbids requirements on its own karpenter.sh/nodepool label (a CEL rule).
    const invalid = nodePool('invalid-pool', [{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['x'] }]);
    const error = await applier.apply(invalid).catch(e => e);
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error.statusCode).toBe(422);
    expect(error.message).toMatch(/karpenter\.sh\/nodepool/);
    await expect(applier.get(invalid)).resolves.toBeUndefined();
  });

  it('dry-run validates without persisting', async () => {
    const object = nodeClass('dry-run-class');
    await applier.apply(object, { dryRun: true });
    await expect(applier.get(object)).resolves.toBeUndefined();
  });
});
