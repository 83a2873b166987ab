import { demoPlacements } from '../compile/__testUtils__/demoPlacements';
import { EFA_LOCALITY_RULE } from '@internal/backstage-plugin-fabric-common';
import { islandFromPlacement, validateIsland } from './IslandSpec';
import { INFERENCE, islandInventory, islandSpec, NETWORK, RESEARCH } from './__testUtils__/fixtures';

const reasonsOf = (input: unknown, inventory = islandInventory()) => {
  const result = validateIsland(input, inventory);
  return result.ok ? [] : result.reasons;
};

describe('validateIsland', () => {
  it('accepts a well-formed island and returns the parsed spec', () => {
    const result = validateIsland(islandSpec(), islandInventory());
    expect(result).toEqual({ ok: true, spec: expect.objectContaining({ id: 'train-a', azId: 'use1-az4' }) });
  });

  it('refuses an instance type without EFA, naming it', () => {
    expect(reasonsOf(islandSpec({ instanceTypes: ['p5.48xlarge', 'g6e.xlarge'], capacityReservations: [] }))).toEqual([
      'g6e.xlarge does not support EFA; an island only takes EFA-capable instance types',
    ]);
  });

  it('refuses an instance type the inventory does not know', () => {
    expect(reasonsOf(islandSpec({ instanceTypes: ['x9.huge'], capacityReservations: [] }))).toEqual([
      'instance type x9.huge is not in the inventory, so its EFA support is unknown',
    ]);
  });

  it('refuses to mix p4d with other types: EFA carries no traffic between them', () => {
    expect(reasonsOf(islandSpec({ instanceTypes: ['p4d.24xlarge', 'p5.48xlarge'], capacityReservations: [] }))).toEqual([
      expect.stringMatching(/^EFA carries no traffic between p4d and other instance types/),
    ]);
  });

  it('names the rule that refuses it: an EFA rule only when nothing else is wrong', () => {
    const ruleOf = (input: unknown) => {
      const result = validateIsland(input, islandInventory());
      return result.ok ? undefined : result.rule;
    };
    expect(ruleOf(islandSpec({ instanceTypes: ['g6e.xlarge'], capacityReservations: [] }))).toBe('efa-unsupported-type');
    expect(ruleOf(islandSpec({ instanceTypes: ['p4d.24xlarge', 'p5.48xlarge'], capacityReservations: [] }))).toBe(
      'efa-isolated-family',
    );
    expect(ruleOf(islandSpec({ instanceTypes: ['x9.huge'], capacityReservations: [] }))).toBe('invalid-request');
    expect(ruleOf(islandSpec({ instanceTypes: ['g6e.xlarge'], capacityReservations: [], subnetCidr: '10.81.0.0/20' }))).toBe(
      'invalid-request',
    );
    expect(ruleOf(islandSpec({ azId: 'us-east-1d' }))).toBe('invalid-request');
  });

  it('refuses an AZ-ID that is not in the network account\'s map of the region', () => {
    expect(reasonsOf(islandSpec({ azId: 'usw2-az1' }))).toEqual([
      `usw2-az1 is not an AZ-ID of us-east-1 in the network account ${NETWORK} (it has use1-az1, use1-az2, use1-az3, use1-az4, use1-az5, use1-az6)`,
    ]);
  });

  it('refuses an AZ name where an AZ-ID belongs', () => {
    expect(reasonsOf(islandSpec({ azId: 'us-east-1d' }))).toEqual([
      'azId must be an AZ-ID such as use1-az4 (not an AZ name)',
    ]);
  });

  it('refuses when the network account has no cell in the region', () => {
    const inventory = islandInventory();
    inventory.cells = inventory.cells.filter(c => c.accountId !== NETWORK);
    expect(reasonsOf(islandSpec(), inventory)).toEqual([
      `the network account ${NETWORK} has no discovered cell in us-east-1, so its AZ-IDs are unknown`,
    ]);
  });

  it('refuses a subnet outside the VPC CIDR, and accepts it when the VPC CIDR is unknown', () => {
    expect(reasonsOf(islandSpec({ subnetCidr: '10.81.0.0/20' }))).toEqual([
      "subnet 10.81.0.0/20 is not inside vpc-0a1b2c3d4e5f60718's CIDR 10.80.0.0/16",
    ]);
    const { vpcCidr, ...withoutVpcCidr } = islandSpec({ subnetCidr: '10.81.0.0/20' });
    expect(vpcCidr).toBeDefined();
    expect(reasonsOf(withoutVpcCidr)).toEqual([]);
  });

  it('refuses malformed CIDRs and subnets EC2 cannot hold', () => {
    expect(reasonsOf(islandSpec({ subnetCidr: '10.80.16.1/20' }))).toEqual([
      "subnet CIDR: '10.80.16.1/20' has host bits set; the block is 10.80.16.0/20",
    ]);
    expect(reasonsOf(islandSpec({ subnetCidr: '10.80.16.0/29' }))).toEqual(['subnet 10.80.16.0/29 must be between /16 and /28']);
  });

  it('refuses ids that are not DNS labels, unknown fields and members outside the region', () => {
    expect(reasonsOf(islandSpec({ id: 'Train_A' }))).toEqual([
      'id must be lower-case letters, digits and inner dashes (a DNS label)',
    ]);
    expect(reasonsOf(islandSpec({ zone: 'x' }))).toEqual([expect.stringMatching(/Unrecognized key/)]);
    expect(reasonsOf(islandSpec({ memberAccountIds: [RESEARCH, '555555555555'] }))).toEqual([
      'member account 555555555555 is not enrolled in us-east-1',
    ]);
    expect(reasonsOf(islandSpec({ memberAccountIds: [RESEARCH, RESEARCH] }))).toEqual([
      `member accounts listed twice: ${RESEARCH}`,
    ]);
  });

  it('refuses reservations that do not fit the island', () => {
    expect(
      reasonsOf(
        islandSpec({
          capacityReservations: [
            { id: 'cr-0aaa', instanceType: 'p5en.48xlarge' },
            { id: 'cr-0bbb', instanceType: 'p5.48xlarge', accountId: '555555555555' },
            { id: 'cr-0ccc', instanceType: 'p5e.48xlarge' },
            { id: 'cr-0ddd', instanceType: 'p5e.48xlarge', accountId: INFERENCE },
          ],
        }),
      ),
    ).toEqual([
      "reservation cr-0aaa holds p5en.48xlarge, which is not one of the island's instance types",
      'reservation cr-0bbb is for account 555555555555, which is not a member of the island',
      `reservations cr-0ccc and cr-0ddd both target p5e.48xlarge in account ${INFERENCE}; a launch template targets one`,
    ]);
  });
});

describe('islandFromPlacement', () => {
  const { inventory, placements } = demoPlacements();
  const options = {
    networkAccountId: '444444444444',
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidr: '10.80.0.0/16',
    subnetCidr: '10.80.16.0/20',
    hub: { clusterName: 'fabric-hub', nodeRoleName: 'KarpenterNodeRole-fabric-hub' },
    capacityBlockIds: ['cr-0demo5b1ock00001'],
  };

  it('turns a tightly-coupled placement into its island: one AZ-ID, its accounts, types and reservations', () => {
    const placement = placements['tightly-coupled'];
    const result = islandFromPlacement(placement, inventory, { ...options, id: 'gang-1' });
    if (!result.ok) throw new Error(result.reasons.join('; '));
    const azIds = new Set(placement.chosen.map(c => c.azId));
    expect([...azIds]).toEqual([result.spec.azId]);
    expect(result.spec).toMatchObject({
      id: 'gang-1',
      region: 'us-east-1',
      memberAccountIds: [...new Set(placement.chosen.map(c => c.accountId))].sort(),
      instanceTypes: ['p5.48xlarge'],
      capacityReservations: [
        { id: 'cr-0demo5b1ock00001', instanceType: 'p5.48xlarge', capacityBlock: true, accountId: '111111111111' },
      ],
    });
  });

  it('refuses a placement whose chosen offerings span AZ-IDs, with the EFA reason', () => {
    const placement = placements.throughput;
    const azIds = [...new Set(placement.chosen.map(c => c.azId))].sort();
    expect(azIds.length).toBeGreaterThan(1);
    expect(islandFromPlacement(placement, inventory, options)).toEqual({
      ok: false,
      rule: 'efa-locality',
      reasons: [`${EFA_LOCALITY_RULE}; the placement chose ${azIds.join(', ')}`],
    });
  });

  it('refuses a placement that was not placed', () => {
    const refused = { ...placements['tightly-coupled'], status: 'refused' as const, chosen: [] };
    expect(islandFromPlacement(refused, inventory, options)).toEqual({
      ok: false,
      rule: 'placement-not-placed',
      reasons: ['only a placed placement has an island; this one is refused'],
    });
  });
});
