/**
 * IPv4 CIDR arithmetic on plain numbers. Addresses are unsigned 32-bit values held in
 * ordinary numbers (never bitwise-shifted past 31 bits), so /0 and /32 need no special cases.
 */

/** A parsed IPv4 block. */
export interface Ipv4Cidr {
  /** First address, as an unsigned 32-bit number. */
  base: number;
  prefixLength: number;
}

/** Addresses in a block of this prefix length. */
export function blockSize(prefixLength: number): number {
  return 2 ** (32 - prefixLength);
}

/**
 * Parses `a.b.c.d/n`. Host bits must be zero: `10.64.1.0/16` names no block AWS would
 * report and is most likely a typo, so it is an error rather than silently rounded down.
 */
export function parseCidr(text: string): Ipv4Cidr {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not an IPv4 CIDR such as 10.64.0.0/16`);
  const octets = match.slice(1, 5).map(Number);
  const prefixLength = Number(match[5]);
  if (octets.some(o => o > 255)) throw new Error(`'${text}' has an octet above 255`);
  if (prefixLength > 32) throw new Error(`'${text}' has a prefix length above 32`);
  const base = octets.reduce((address, octet) => address * 256 + octet, 0);
  if (base % blockSize(prefixLength) !== 0) {
    throw new Error(`'${text}' has host bits set; the block is ${formatCidr(alignDown(base, prefixLength), prefixLength)}`);
  }
  return { base, prefixLength };
}

/** `10.64.0.0/16`. */
export function formatCidr(base: number, prefixLength: number): string;
export function formatCidr(cidr: Ipv4Cidr): string;
export function formatCidr(baseOrCidr: number | Ipv4Cidr, prefixLength?: number): string {
  const { base, prefixLength: length } =
    typeof baseOrCidr === 'number' ? { base: baseOrCidr, prefixLength: prefixLength! } : baseOrCidr;
  const octets = [24, 16, 8, 0].map(shift => Math.floor(base / 2 ** shift) % 256);
  return `${octets.join('.')}/${length}`;
}

function alignDown(address: number, prefixLength: number): number {
  return address - (address % blockSize(prefixLength));
}

/** The last address of a block. */
export function lastAddress(cidr: Ipv4Cidr): number {
  return cidr.base + blockSize(cidr.prefixLength) - 1;
}

/** Whether two blocks share any address. Two CIDR blocks overlap exactly when one contains the other. */
export function cidrsOverlap(a: Ipv4Cidr | string, b: Ipv4Cidr | string): boolean {
  const x = typeof a === 'string' ? parseCidr(a) : a;
  const y = typeof b === 'string' ? parseCidr(b) : b;
  return x.base <= lastAddress(y) && y.base <= lastAddress(x);
}

/** Whether `outer` contains every address of `inner`. */
export function cidrContains(outer: Ipv4Cidr | string, inner: Ipv4Cidr | string): boolean {
  const o = typeof outer === 'string' ? parseCidr(outer) : outer;
  const i = typeof inner === 'string' ? parseCidr(inner) : inner;
  return o.prefixLength <= i.prefixLength && o.base <= i.base && lastAddress(i) <= lastAddress(o);
}

/** A VPC as the CIDR tools see it. */
export interface CidrHolder {
  cell: string;
  vpcId: string;
  cidr: string;
}

/** Two VPCs that cannot be peered because their address ranges overlap. */
export interface CidrOverlap<V extends CidrHolder = CidrHolder> {
  a: V;
  b: V;
  reason: string;
}

/**
 * Every pair of VPCs whose CIDRs overlap. AWS rejects a peering between them (moto does
 * not, so the fabric must check itself), and even where a peering existed, the routes
 * could not tell the two ranges apart.
 */
export function findOverlaps<V extends CidrHolder>(vpcs: V[]): Array<CidrOverlap<V>> {
  const parsed = vpcs.map(vpc => ({ vpc, cidr: parseCidr(vpc.cidr) }));
  const overlaps: Array<CidrOverlap<V>> = [];
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      const x = parsed[i];
      const y = parsed[j];
      if (!cidrsOverlap(x.cidr, y.cidr)) continue;
      const [outer, inner] = cidrContains(x.cidr, y.cidr) ? [x.vpc, y.vpc] : [y.vpc, x.vpc];
      const how = x.vpc.cidr === y.vpc.cidr ? 'use the same CIDR' : `overlap: ${outer.cidr} contains ${inner.cidr}`;
      overlaps.push({
        a: x.vpc,
        b: y.vpc,
        reason:
          `${x.vpc.vpcId} (${x.vpc.cell}, ${x.vpc.cidr}) and ${y.vpc.vpcId} (${y.vpc.cell}, ${y.vpc.cidr}) ${how}; ` +
          'VPC peering refuses overlapping IPv4 CIDRs, so this pair is not peered',
      });
    }
  }
  return overlaps;
}

export interface PlanCidrsInput {
  /** The range every cell's VPC comes from, e.g. `10.64.0.0/12`. */
  supernet: string;
  /** Size of each cell's block, e.g. 16. */
  prefixLength: number;
  /** VPCs that exist already; their blocks are never handed out again, inside the supernet or not. */
  existing: CidrHolder[];
  /** Cells that need a block, in the order they get one. */
  newCells: string[];
}

export interface CidrAllocation {
  cell: string;
  cidr: string;
  /** True when the cell already had a VPC in `existing` and keeps its block. */
  existing: boolean;
}

export interface CidrPlan {
  allocations: CidrAllocation[];
  /** Cells left without a block, with the reason (the supernet is full). */
  unallocated: Array<{ cell: string; reason: string }>;
}

/**
 * Hands each new cell the lowest free block of `prefixLength` in the supernet. Blocks
 * that touch an existing VPC's range are skipped. A cell that already has a VPC keeps its
 * block, so planning twice gives the same answer.
 */
export function planCidrs(input: PlanCidrsInput): CidrPlan {
  const supernet = parseCidr(input.supernet);
  const { prefixLength } = input;
  if (!Number.isInteger(prefixLength) || prefixLength < supernet.prefixLength || prefixLength > 28) {
    throw new Error(
      `A cell block of /${prefixLength} does not fit ${input.supernet}: use a prefix length between ` +
        `${supernet.prefixLength} and 28 (the smallest VPC AWS allows)`,
    );
  }
  const taken = input.existing.map(vpc => parseCidr(vpc.cidr));
  const allocations: CidrAllocation[] = [];
  const unallocated: CidrPlan['unallocated'] = [];
  const size = blockSize(prefixLength);
  const end = supernet.base + blockSize(supernet.prefixLength);
  let next = supernet.base;

  for (const cell of input.newCells) {
    const current = input.existing.find(vpc => vpc.cell === cell);
    if (current) {
      allocations.push({ cell, cidr: current.cidr, existing: true });
      continue;
    }
    let found: Ipv4Cidr | undefined;
    while (!found && next < end) {
      const candidate = { base: next, prefixLength };
      next += size;
      if (!taken.some(block => cidrsOverlap(block, candidate))) found = candidate;
    }
    if (!found) {
      unallocated.push({
        cell,
        reason:
          `no free /${prefixLength} left in ${input.supernet}: all ${2 ** (prefixLength - supernet.prefixLength)} ` +
          'blocks are allocated or overlap an existing VPC',
      });
      continue;
    }
    taken.push(found);
    allocations.push({ cell, cidr: formatCidr(found), existing: false });
  }
  return { allocations, unallocated };
}
