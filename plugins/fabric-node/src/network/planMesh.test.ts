import { cellId } from '@internal/backstage-plugin-fabric-common';
import { validatePlan } from '../plan/validatePlan';
import { MeshVpc, MESH_STEP_TYPES, planMesh } from './planMesh';
import { defaultMeshQuotas } from './meshQuotas';

const accounts = ['222222222222', '333333333333', '444444444444'];
const regions = ['us-east-1', 'us-west-2'];

function vpc(i: number, overrides: Partial<MeshVpc> = {}): MeshVpc {
  const accountId = accounts[Math.floor(i / 2) % 3];
  const region = regions[i % 2];
  return {
    cell: cellId({ accountId, region }),
    accountId,
    region,
    vpcId: `vpc-${i}`,
    cidr: `10.${64 + i}.0.0/16`,
    routeTableIds: [`rtb-${i}`],
    ...overrides,
  };
}
const six = () => Array.from({ length: 6 }, (_, i) => vpc(i));

describe('planMesh', () => {
  it('plans N(N−1)/2 peerings, requested by the smaller cell, accepted in the peer account and region', () => {
    const mesh = planMesh({ vpcs: six().reverse(), ownerTag: 'platform', planId: 'p1' });
    expect(mesh.planned).toHaveLength(15);
    expect(mesh.refused).toEqual([]);
    for (const { requester, accepter } of mesh.planned) expect(requester.cell < accepter.cell).toBe(true);
    validatePlan(mesh.plan);

    const pair = mesh.plan.steps.filter(s => s.key.startsWith('mesh:vpc-0:vpc-3:'));
    expect(pair.map(s => [s.key, s.type, s.cell && cellId(s.cell)])).toEqual([
      ['mesh:vpc-0:vpc-3:create', MESH_STEP_TYPES.createPeering, '222222222222/us-east-1'],
      ['mesh:vpc-0:vpc-3:accept', MESH_STEP_TYPES.acceptPeering, '333333333333/us-west-2'],
      ['mesh:vpc-0:vpc-3:active', MESH_STEP_TYPES.waitPeeringActive, '222222222222/us-east-1'],
      ['mesh:vpc-0:vpc-3:dns-requester', MESH_STEP_TYPES.peeringOptions, '222222222222/us-east-1'],
      ['mesh:vpc-0:vpc-3:dns-accepter', MESH_STEP_TYPES.peeringOptions, '333333333333/us-west-2'],
      ['mesh:vpc-0:vpc-3:route:rtb-0', MESH_STEP_TYPES.createRoute, '222222222222/us-east-1'],
      ['mesh:vpc-0:vpc-3:route:rtb-3', MESH_STEP_TYPES.createRoute, '333333333333/us-west-2'],
    ]);
    const pcx = { $ref: 'mesh:vpc-0:vpc-3:create.output.VpcPeeringConnectionId' };
    expect(pair[0].input).toEqual({
      VpcId: 'vpc-0',
      PeerVpcId: 'vpc-3',
      PeerOwnerId: '333333333333',
      PeerRegion: 'us-west-2',
    });
    expect(pair[1].input).toEqual({ VpcPeeringConnectionId: pcx });
    expect(pair[4].input).toEqual({ VpcPeeringConnectionId: pcx, side: 'accepter', AllowDnsResolutionFromRemoteVpc: true });
    expect(pair[5].input).toEqual({ RouteTableId: 'rtb-0', DestinationCidrBlock: '10.67.0.0/16', VpcPeeringConnectionId: pcx });
    expect(pair[6].input).toEqual({ RouteTableId: 'rtb-3', DestinationCidrBlock: '10.64.0.0/16', VpcPeeringConnectionId: pcx });
    expect(mesh.plan).toMatchObject({ id: 'p1', owner: 'platform', title: 'Peering mesh: 15 new peerings among 6 VPCs' });
  });

  it('keeps step keys stable across re-planning, with a fresh plan id', () => {
    const first = planMesh({ vpcs: six(), ownerTag: 'platform' });
    const second = planMesh({ vpcs: six().reverse(), ownerTag: 'platform' });
    expect(second.plan.steps.map(s => s.key)).toEqual(first.plan.steps.map(s => s.key));
    expect(second.plan.id).not.toBe(first.plan.id);
    expect(first.plan.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('plans only the new cell’s peerings when the others are already peered', () => {
    const existingPeerings = planMesh({ vpcs: six(), ownerTag: 'platform' }).planned.map((p, i) => ({
      vpcPeeringConnectionId: `pcx-${i}`,
      requesterVpcId: p.requester.vpcId,
      accepterVpcId: p.accepter.vpcId,
      status: 'active',
      managedByFabric: true,
    }));
    const seventh = vpc(6, { cell: '555555555555/us-east-1', accountId: '555555555555', cidr: '10.70.0.0/16' });
    const mesh = planMesh({ vpcs: [...six(), seventh], existingPeerings, ownerTag: 'platform' });
    expect(mesh.planned).toHaveLength(6);
    expect(mesh.planned.every(p => p.accepter.vpcId === 'vpc-6')).toBe(true);
    expect(mesh.existing).toHaveLength(15);
    expect(mesh.existing[0].reason).toBe('already peered by pcx-0 (active)');
    expect(mesh.plan.steps.filter(s => s.type === MESH_STEP_TYPES.createPeering)).toHaveLength(6);
  });

  it('plans a pending peering again, so its create step adopts it and the accept finishes the handshake', () => {
    const mesh = planMesh({
      vpcs: [vpc(0), vpc(1)],
      existingPeerings: [
        { vpcPeeringConnectionId: 'pcx-1', requesterVpcId: 'vpc-0', accepterVpcId: 'vpc-1', status: 'pending-acceptance', managedByFabric: true },
      ],
      ownerTag: 'platform',
    });
    expect(mesh.planned).toHaveLength(1);
  });

  it('refuses overlapping pairs and pairs whose routes would be ambiguous, with the reason', () => {
    const vpcs = [
      vpc(0),
      vpc(1, { cidr: '10.64.128.0/17' }), // inside vpc-0
      vpc(2),
    ];
    const mesh = planMesh({ vpcs, ownerTag: 'platform' });
    expect(mesh.planned.map(p => [p.requester.vpcId, p.accepter.vpcId])).toEqual([['vpc-0', 'vpc-2']]);
    expect(mesh.refused.map(r => [r.a, r.b, r.rule])).toEqual([
      ['vpc-0', 'vpc-1', 'cidr-overlap'],
      ['vpc-1', 'vpc-2', 'cidr-overlap'],
    ]);
    expect(mesh.refused[0].reason).toMatch(/overlap: 10.64.0.0\/16 contains 10.64.128.0\/17; VPC peering refuses overlapping/);
    expect(mesh.refused[1].reason).toMatch(
      /a route to one of them would overlap the route to 10.64.0.0\/16 \(vpc-0\) already planned on the other side/,
    );
  });

  it('refuses every new pair of a VPC that would pass the active-peerings quota', () => {
    // vpc-0's account raised its quota to the maximum, 125, and vpc-0 already has 123 active
    // peerings to VPCs outside the mesh: two more fit, three do not, and no increase helps.
    const quotas = { '222222222222/us-east-1': { ...defaultMeshQuotas(), activePeeringsPerVpc: { value: 125, source: 'applied' as const } } };
    const existingPeerings = Array.from({ length: 123 }, (_, i) => ({
      vpcPeeringConnectionId: `pcx-${i}`,
      requesterVpcId: 'vpc-0',
      accepterVpcId: `vpc-outside-${i}`,
      status: 'active',
      managedByFabric: false,
    }));
    const fits = planMesh({ vpcs: [vpc(0), vpc(1), vpc(2)], existingPeerings, ownerTag: 'p', quotas });
    expect(fits.refused).toEqual([]);
    const over = planMesh({ vpcs: [vpc(0), vpc(1), vpc(2), vpc(3)], existingPeerings, ownerTag: 'p', quotas });
    expect(over.planned.map(p => `${p.requester.vpcId}-${p.accepter.vpcId}`)).toEqual(['vpc-1-vpc-2', 'vpc-1-vpc-3', 'vpc-2-vpc-3']);
    expect(over.refused).toHaveLength(3);
    expect(over.refused.map(r => r.rule)).toEqual(['mesh-quota', 'mesh-quota', 'mesh-quota']);
    expect(over.refused[0].reason).toBe(
      '222222222222/us-east-1 vpc-0 (10.64.0.0/16) would have 126 active peerings: it would need 126, but ' +
        'Active VPC peering connections per VPC (L-7E9ECCDB) is 125 in 222222222222/us-east-1; ' +
        'more than AWS allows (125): split the mesh or use a Transit Gateway',
    );
  });

  it('plans against the AWS default of 50 peerings when the account has no other quota, naming the increase', () => {
    const existingPeerings = Array.from({ length: 48 }, (_, i) => ({
      vpcPeeringConnectionId: `pcx-${i}`,
      requesterVpcId: 'vpc-0',
      accepterVpcId: `vpc-outside-${i}`,
      status: 'active',
      managedByFabric: false,
    }));
    const over = planMesh({ vpcs: [vpc(0), vpc(1), vpc(2), vpc(3)], existingPeerings, ownerTag: 'p' });
    expect(over.refused.map(r => r.reason)).toContain(
      '222222222222/us-east-1 vpc-0 (10.64.0.0/16) would have 51 active peerings: it would need 51, but ' +
        'Active VPC peering connections per VPC (L-7E9ECCDB) is 50 in 222222222222/us-east-1 (assumed: the AWS default); ' +
        'request an increase of Active VPC peering connections per VPC to at least 51 in Service Quotas (up to 125)',
    );
    const raised = planMesh({
      vpcs: [vpc(0), vpc(1), vpc(2), vpc(3)],
      existingPeerings,
      ownerTag: 'p',
      quotas: { '222222222222/us-east-1': { ...defaultMeshQuotas(), activePeeringsPerVpc: { value: 60, source: 'applied' } } },
    });
    expect(raised.refused).toEqual([]);
  });

  it('refuses the pairs of a VPC whose route table would pass its routes quota', () => {
    const mesh = planMesh({
      vpcs: [vpc(0), vpc(1), vpc(2)],
      routeCounts: { 'rtb-2': 49 },
      ownerTag: 'p',
    });
    expect(mesh.planned.map(p => [p.requester.vpcId, p.accepter.vpcId])).toEqual([['vpc-0', 'vpc-1']]);
    expect(mesh.refused.map(r => r.reason)).toEqual([
      'route table rtb-2 of 333333333333/us-east-1 vpc-2 (10.66.0.0/16) would hold 51 routes: it would need 51, but Routes per route table (L-93826ACB) is 50 in 333333333333/us-east-1 (assumed: the AWS default); request an increase of Routes per route table to at least 51 in Service Quotas (up to 1000)',
      'route table rtb-2 of 333333333333/us-east-1 vpc-2 (10.66.0.0/16) would hold 51 routes: it would need 51, but Routes per route table (L-93826ACB) is 50 in 333333333333/us-east-1 (assumed: the AWS default); request an increase of Routes per route table to at least 51 in Service Quotas (up to 1000)',
    ]);
  });

  it('routes every route table of both sides, and can leave DNS options out', () => {
    const mesh = planMesh({
      vpcs: [vpc(0, { routeTableIds: ['rtb-0a', 'rtb-0b'] }), vpc(1)],
      ownerTag: 'p',
      dnsResolution: false,
    });
    expect(mesh.plan.steps.map(s => s.key)).toEqual([
      'mesh:vpc-0:vpc-1:create',
      'mesh:vpc-0:vpc-1:accept',
      'mesh:vpc-0:vpc-1:active',
      'mesh:vpc-0:vpc-1:route:rtb-0a',
      'mesh:vpc-0:vpc-1:route:rtb-0b',
      'mesh:vpc-0:vpc-1:route:rtb-1',
    ]);
  });

  it('rejects a VPC listed twice', () => {
    expect(() => planMesh({ vpcs: [vpc(0), vpc(0)], ownerTag: 'p' })).toThrow('VPC vpc-0 is listed twice in the mesh');
  });
});
