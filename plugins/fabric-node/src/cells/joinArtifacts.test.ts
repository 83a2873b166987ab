import { renderCellJoinArtifacts } from './joinArtifacts';
import { planCellProvisioning } from './planCellProvisioning';

const input = {
  clusterName: 'fabric-hub',
  hubAccountId: '111111111111',
  memberAccountId: '222222222222',
  nodeRoleName: 'KarpenterNodeRole-fabric-hub',
  apiServerEndpoint: 'https://ABCD.gr7.us-east-1.eks.amazonaws.com',
  certificateAuthority: 'LS0tLS1CRUdJTg==',
  serviceCidr: '172.20.0.0/16',
};

describe('renderCellJoinArtifacts', () => {
  it('chains the member instance role to the hub node role that the access entry names', () => {
    const a = renderCellJoinArtifacts(input);
    expect(a.hubNodeRole.arn).toBe('arn:aws:iam::111111111111:role/KarpenterNodeRole-fabric-hub');
    expect(a.accessEntry).toEqual({ clusterName: 'fabric-hub', principalArn: a.hubNodeRole.arn, type: 'EC2_LINUX' });
    expect(a.memberInstanceRole.arn.startsWith('arn:aws:iam::222222222222:role/')).toBe(true);
    expect(JSON.stringify(a.memberInstanceRole.policy)).toContain(a.hubNodeRole.arn);
    expect(JSON.stringify(a.hubNodeRole.trustPolicy)).toContain(a.memberInstanceRole.arn);
  });

  it('renders a nodeadm NodeConfig with the four cluster fields', () => {
    const yaml = renderCellJoinArtifacts(input).nodeadmConfig;
    expect(yaml).toContain('kind: NodeConfig');
    for (const value of ['fabric-hub', input.apiServerEndpoint, input.certificateAuthority, '172.20.0.0/16']) {
      expect(yaml).toContain(value);
    }
  });

  it('says which links AWS documents and which it does not', () => {
    const support = renderCellJoinArtifacts(input).support;
    expect(support.filter(s => s.status === 'undocumented').map(s => s.part)).toEqual([
      'Member instance role assuming the hub node role to authenticate the kubelet',
      'One Karpenter controller launching into several accounts',
    ]);
  });
});

describe('planCellProvisioning', () => {
  const object = (kind: string, name: string) => ({ apiVersion: 'v', kind, metadata: { name } });
  it('applies node classes before the pools that refer to them, in one step', () => {
    const plan = planCellProvisioning({
      planId: 'p',
      owner: 'user:default/a',
      placementId: 'x',
      clusterName: 'fabric-hub',
      ec2NodeClasses: [object('EC2NodeClass', 'a')],
      nodePools: [object('NodePool', 'a')],
    });
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0].type).toBe('kubernetes:ServerSideApply');
    expect((plan.steps[0].input as any).objects.map((o: any) => o.kind)).toEqual(['EC2NodeClass', 'NodePool']);
  });

  it('creates or adopts each given cell\'s subnets and security group before applying the node classes and pools', () => {
    const need = {
      cell: { accountId: '222222222222', region: 'us-west-2' },
      azIds: ['usw2-az3', 'usw2-az2'],
      subnetTags: { 'fabric.cloudspectra.io/cell': '222222222222.us-west-2' },
      securityGroupTags: { 'fabric.cloudspectra.io/cell': '222222222222.us-west-2' },
    };
    const plan = planCellProvisioning({
      planId: 'p',
      owner: 'user:default/a',
      placementId: 'x',
      clusterName: 'fabric-hub',
      ec2NodeClasses: [object('EC2NodeClass', 'a')],
      fabricNodeClasses: [object('FabricNodeClass', 'b')],
      nodePools: [object('NodePool', 'a'), object('NodePool', 'b')],
      networks: [{ need, network: { vpcId: 'vpc-1', subnetCidrs: { 'usw2-az3': '10.0.0.0/20' } } }],
    });
    expect(plan.steps.map(s => [s.type, (s.input as any).AvailabilityZoneId])).toEqual([
      ['cells:EnsureSubnet', 'usw2-az2'],
      ['cells:EnsureSubnet', 'usw2-az3'],
      ['cells:EnsureSecurityGroup', undefined],
      ['ec2:AuthorizeSecurityGroupSelfReference', undefined],
      ['kubernetes:ServerSideApply', undefined],
    ]);
    expect(plan.steps[0].input).toMatchObject({ VpcId: 'vpc-1', SelectorTags: [{ Key: 'fabric.cloudspectra.io/cell', Value: '222222222222.us-west-2' }] });
    expect(plan.steps[0].input).not.toHaveProperty('CidrBlock');
    expect(plan.steps[1].input).toMatchObject({ CidrBlock: '10.0.0.0/20' });
    const apply = plan.steps[4];
    expect(apply.dependsOn).toEqual(plan.steps.slice(0, 4).map(s => s.key));
    expect((apply.input as any).objects.map((o: any) => o.kind)).toEqual(['EC2NodeClass', 'FabricNodeClass', 'NodePool', 'NodePool']);
  });

  it('refuses a placement with nothing to provision', () => {
    expect(() =>
      planCellProvisioning({ planId: 'p', owner: 'o', placementId: 'x', clusterName: 'c', ec2NodeClasses: [], nodePools: [] }),
    ).toThrow('nothing to provision');
  });
});
