import { cidrContains, cidrsOverlap, findOverlaps, formatCidr, parseCidr, planCidrs } from './cidr';

describe('IPv4 CIDR math', () => {
  it('parses and formats, across the whole address space', () => {
    expect(parseCidr('10.64.0.0/12')).toEqual({ base: 10 * 2 ** 24 + 64 * 2 ** 16, prefixLength: 12 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ base: 0, prefixLength: 0 });
    expect(parseCidr('255.255.255.255/32')).toEqual({ base: 2 ** 32 - 1, prefixLength: 32 });
    expect(formatCidr(parseCidr('192.168.128.0/17'))).toBe('192.168.128.0/17');
    expect(formatCidr(2 ** 32 - 256, 24)).toBe('255.255.255.0/24');
  });

  it('rejects malformed blocks and host bits, naming the intended block', () => {
    expect(() => parseCidr('10.64.0.0')).toThrow(/not an IPv4 CIDR/);
    expect(() => parseCidr('10.256.0.0/16')).toThrow(/octet above 255/);
    expect(() => parseCidr('10.64.0.0/33')).toThrow(/prefix length above 32/);
    expect(() => parseCidr('10.64.1.0/16')).toThrow("'10.64.1.0/16' has host bits set; the block is 10.64.0.0/16");
  });

  it('decides overlap and containment', () => {
    expect(cidrsOverlap('10.64.0.0/16', '10.65.0.0/16')).toBe(false);
    expect(cidrsOverlap('10.64.0.0/16', '10.64.255.0/24')).toBe(true);
    expect(cidrsOverlap('10.64.0.0/12', '10.79.0.0/16')).toBe(true);
    expect(cidrsOverlap('10.64.0.0/12', '10.80.0.0/16')).toBe(false);
    expect(cidrsOverlap('0.0.0.0/0', '203.0.113.0/24')).toBe(true);
    expect(cidrsOverlap('255.255.255.255/32', '255.255.255.254/31')).toBe(true);
    expect(cidrContains('10.64.0.0/12', '10.79.0.0/16')).toBe(true);
    expect(cidrContains('10.79.0.0/16', '10.64.0.0/12')).toBe(false);
  });
});

describe('findOverlaps', () => {
  it('returns each overlapping pair once, with the reason', () => {
    const vpcs = [
      { cell: 'research/us-east-1', vpcId: 'vpc-a', cidr: '10.64.0.0/16' },
      { cell: 'inference/us-east-1', vpcId: 'vpc-b', cidr: '10.65.0.0/16' },
      { cell: 'batch/us-west-2', vpcId: 'vpc-c', cidr: '10.64.128.0/17' },
      { cell: 'legacy/us-west-2', vpcId: 'vpc-d', cidr: '10.64.0.0/16' },
    ];
    const overlaps = findOverlaps(vpcs);
    expect(overlaps.map(o => [o.a.vpcId, o.b.vpcId])).toEqual([
      ['vpc-a', 'vpc-c'],
      ['vpc-a', 'vpc-d'],
      ['vpc-c', 'vpc-d'],
    ]);
    expect(overlaps[0].reason).toBe(
      'vpc-a (research/us-east-1, 10.64.0.0/16) and vpc-c (batch/us-west-2, 10.64.128.0/17) overlap: ' +
        '10.64.0.0/16 contains 10.64.128.0/17; VPC peering refuses overlapping IPv4 CIDRs, so this pair is not peered',
    );
    expect(overlaps[1].reason).toContain('use the same CIDR');
    expect(overlaps[2].reason).toContain('overlap: 10.64.0.0/16 contains 10.64.128.0/17');
  });
});

describe('planCidrs', () => {
  it('hands new cells the lowest free /16s, around existing VPCs inside and outside the supernet', () => {
    const plan = planCidrs({
      supernet: '10.64.0.0/12',
      prefixLength: 16,
      existing: [
        { cell: 'research/us-east-1', vpcId: 'vpc-a', cidr: '10.64.0.0/16' },
        { cell: 'legacy/us-east-1', vpcId: 'vpc-l', cidr: '10.66.128.0/20' },
        { cell: 'outside/us-east-1', vpcId: 'vpc-o', cidr: '172.16.0.0/16' },
      ],
      newCells: ['inference/us-east-1', 'research/us-east-1', 'batch/us-west-2'],
    });
    expect(plan).toEqual({
      allocations: [
        { cell: 'inference/us-east-1', cidr: '10.65.0.0/16', existing: false },
        { cell: 'research/us-east-1', cidr: '10.64.0.0/16', existing: true },
        { cell: 'batch/us-west-2', cidr: '10.67.0.0/16', existing: false },
      ],
      unallocated: [],
    });
  });

  it('reports cells left over when the supernet is full', () => {
    const plan = planCidrs({
      supernet: '10.64.0.0/15',
      prefixLength: 16,
      existing: [{ cell: 'x', vpcId: 'vpc-x', cidr: '10.65.0.0/16' }],
      newCells: ['a', 'b'],
    });
    expect(plan.allocations).toEqual([{ cell: 'a', cidr: '10.64.0.0/16', existing: false }]);
    expect(plan.unallocated).toEqual([
      { cell: 'b', reason: 'no free /16 left in 10.64.0.0/15: all 2 blocks are allocated or overlap an existing VPC' },
    ]);
  });

  it('never hands out overlapping blocks', () => {
    const cells = Array.from({ length: 16 }, (_, i) => `cell-${i}`);
    const plan = planCidrs({ supernet: '10.64.0.0/12', prefixLength: 16, existing: [], newCells: cells });
    expect(plan.allocations).toHaveLength(16);
    expect(plan.allocations[15].cidr).toBe('10.79.0.0/16');
    expect(findOverlaps(plan.allocations.map(a => ({ ...a, vpcId: a.cell })))).toEqual([]);
  });

  it('refuses a block size the supernet cannot hold', () => {
    expect(() => planCidrs({ supernet: '10.64.0.0/16', prefixLength: 12, existing: [], newCells: [] })).toThrow(
      /A cell block of \/12 does not fit 10.64.0.0\/16/,
    );
  });
});
