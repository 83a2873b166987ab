import { startControlPlane, ControlPlane } from '@internal/fabric-test-tooling';
import { KubernetesApiError } from './KubernetesApplier';
import { KubernetesClient, RESOURCES } from './KubernetesClient';

// The build is done by `npm test`'s kube step; a cold build here would take minutes.
jest.setTimeout(15 * 60_000);

const goodSpec = () => ({
  accountId: '222222222222',
  region: 'us-east-1',
  azIds: ['use1-az4', 'use1-az6'],
  subnetSelectorTerms: [{ tags: { 'fabric.cloudspectra.io/cell': '222222222222.us-east-1' } }, { id: 'subnet-0abc123' }],
  securityGroupSelectorTerms: [{ tags: { 'fabric.cloudspectra.io/cell': '222222222222.us-east-1' } }],
  role: 'KarpenterNodeRole-fabric',
  tags: { team: 'research' },
});

const fabricNodeClass = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'fabric.cloudspectra.io/v1alpha1',
  kind: 'FabricNodeClass',
  metadata: { name },
  spec,
});

describe('the FabricNodeClass CRD on a real kube-apiserver', () => {
  let plane: ControlPlane;
  let client: KubernetesClient;

  beforeAll(async () => {
    plane = await startControlPlane();
    client = new KubernetesClient({ server: plane.server, token: plane.token, insecureSkipTlsVerify: true });
  });

  afterAll(async () => {
    await plane?.stop();
  });

  const refusal = async (name: string, spec: Record<string, unknown>) => {
    const error = await client.create(RESOURCES.fabricNodeClasses, fabricNodeClass(name, spec)).catch(e => e);
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error.statusCode).toBe(422);
    await expect(client.get(RESOURCES.fabricNodeClasses, name)).resolves.toBeUndefined();
    return error.message as string;
  };

  it('is installed by the test plane and accepts a member cell and an EFA island class', async () => {
    expect(plane.crds).toContain('fabricnodeclasses.fabric.cloudspectra.io');
    const cell = await client.create<any>(RESOURCES.fabricNodeClasses, fabricNodeClass('cell-research-use1', goodSpec()));
    expect(cell.spec.azIds).toEqual(['use1-az4', 'use1-az6']);
    const island = await client.create<any>(
      RESOURCES.fabricNodeClasses,
      fabricNodeClass('island-research-use1-az4', {
        ...goodSpec(),
        azIds: ['use1-az4'],
        island: 'use1-az4',
        placementGroupId: 'pg-0123abcd',
        launchTemplate: { name: 'fabric-efa-p5', version: '$Latest' },
      }),
    );
    expect(island.spec.placementGroupId).toBe('pg-0123abcd');

    // The status subresource takes what the provisioner resolved.
    const withStatus = await client.patch<any>(
      RESOURCES.fabricNodeClasses,
      'cell-research-use1',
      {
        status: {
          subnets: [{ id: 'subnet-0abc123', azId: 'use1-az4', azName: 'us-east-1b' }],
          securityGroups: [{ id: 'sg-0abc' }],
          ready: true,
          conditions: [{ type: 'Ready', status: 'True', reason: 'Resolved', message: '', lastTransitionTime: new Date().toISOString() }],
        },
      },
      { subresource: 'status' },
    );
    expect(withStatus.status.subnets[0].azId).toBe('use1-az4');
  });

  it('refuses bad identifiers with the CEL message', async () => {
    expect(await refusal('bad-account', { ...goodSpec(), accountId: '2222' })).toMatch(/accountId must be a 12-digit AWS account id/);
    expect(await refusal('bad-region', { ...goodSpec(), region: 'useast1' })).toMatch(/region must be a region name such as us-east-1/);
    expect(await refusal('az-name', { ...goodSpec(), azIds: ['us-east-1a'] })).toMatch(/azIds must be AZ-IDs such as use1-az4/);
    expect(await refusal('no-azs', { ...goodSpec(), azIds: [] })).toMatch(/azIds must name at least one AZ-ID/);
  });

  it('refuses ambiguous selectors, launch templates and islands without a placement group', async () => {
    expect(await refusal('both', { ...goodSpec(), subnetSelectorTerms: [{ id: 'subnet-1', tags: { a: 'b' } }] })).toMatch(
      /each subnet selector term needs exactly one of id or tags/,
    );
    expect(await refusal('neither', { ...goodSpec(), securityGroupSelectorTerms: [{}] })).toMatch(
      /each security group selector term needs exactly one of id or tags/,
    );
    expect(await refusal('lt-both', { ...goodSpec(), launchTemplate: { id: 'lt-0abc', name: 'efa' } })).toMatch(
      /launchTemplate needs exactly one of id or name/,
    );
    expect(await refusal('pg-name', { ...goodSpec(), placementGroupId: 'my-group' })).toMatch(/placementGroupId must be a placement group id/);
    expect(await refusal('island-no-pg', { ...goodSpec(), island: 'use1-az4' })).toMatch(
      /an island needs its cluster placement group \(placementGroupId\)/,
    );
  });

  it('keeps the account and region immutable but lets the AZ-IDs change', async () => {
    await client.create(RESOURCES.fabricNodeClasses, fabricNodeClass('immutable', goodSpec()));
    const moved = await client
      .patch(RESOURCES.fabricNodeClasses, 'immutable', { spec: { accountId: '333333333333', region: 'us-west-2' } })
      .catch(e => e);
    expect(moved).toBeInstanceOf(KubernetesApiError);
    expect(moved.message).toMatch(/accountId is immutable/);
    expect(moved.message).toMatch(/region is immutable/);
    const narrowed = await client.patch<any>(RESOURCES.fabricNodeClasses, 'immutable', { spec: { azIds: ['use1-az6'] } });
    expect(narrowed.spec.azIds).toEqual(['use1-az6']);
  });

  it('is referenced by Karpenter v1 NodePools and NodeClaims: the pinned Karpenter CRDs accept the fabric group and kind', async () => {
    const nodeClassRef = { group: 'fabric.cloudspectra.io', kind: 'FabricNodeClass', name: 'cell-research-use1' };
    const requirements = [
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] },
      { key: 'topology.k8s.aws/zone-id', operator: 'In', values: ['use1-az4'] },
      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['g6e.xlarge'] },
    ];
    const pool = await client.create<any>(RESOURCES.nodePools, {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: 'cell-research-use1' },
      spec: { template: { spec: { nodeClassRef, requirements } }, limits: { 'nvidia.com/gpu': '16' } },
    });
    expect(pool.spec.template.spec.nodeClassRef).toEqual(nodeClassRef);
    const claim = await client.create<any>(RESOURCES.nodeClaims, {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodeClaim',
      metadata: { name: 'cell-research-use1-abcde', labels: { 'karpenter.sh/nodepool': 'cell-research-use1' } },
      spec: { nodeClassRef, requirements, resources: { requests: { cpu: '2', 'nvidia.com/gpu': '1' } } },
    });
    expect(claim.spec.nodeClassRef).toEqual(nodeClassRef);
    // ... and the nodeClassRef cannot later be pointed at another kind.
    const swapped = await client
      .patch(RESOURCES.nodePools, 'cell-research-use1', {
        spec: { template: { spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'x' } } } },
      })
      .catch(e => e);
    expect(swapped.message).toMatch(/nodeClassRef.group is immutable/);
  });
});
