import { z } from 'zod';
import {
  accountIdSchema,
  azIdSchema,
  EFA_LOCALITY_RULE,
  FabricRefusal,
  Inventory,
  InstanceTypeInfo,
  instanceTypeSchema,
  Placement,
  REFUSAL_RULES,
  RefusalRule,
  regionSchema,
} from '@internal/backstage-plugin-fabric-common';
import { cidrContains, parseCidr } from '../network/cidr';

/** A DNS label, short enough that `fabric-island-<id>-<instance type>` stays a 63-character label value. */
const ISLAND_ID = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_ISLAND_ID_LENGTH = 24;

const reservationSchema = z
  .object({
    /** `cr-…`: an On-Demand Capacity Reservation or a Capacity Block (the Karpenter CRD's pattern). */
    id: z.string().regex(/^cr-[0-9a-z]+$/, 'must look like cr-0123456789abcdef0'),
    /** The one instance type the reservation holds. */
    instanceType: instanceTypeSchema,
    /**
     * A Capacity Block for ML: launches must also say `InstanceMarketOptions.MarketType =
     * capacity-block` (docs/aws-facts.md §7). An ODCR must not.
     */
    capacityBlock: z.boolean().optional(),
    /**
     * The member account that launches into it. Omitted: every member (the reservation is
     * owned by one and shared with the others, docs/aws-facts.md §3.3).
     */
    accountId: accountIdSchema.optional(),
  })
  .strict();

/** What an EFA training island is made of; validated by {@link validateIsland}. */
export const islandSpecSchema = z
  .object({
    id: z
      .string()
      .max(MAX_ISLAND_ID_LENGTH, `must be at most ${MAX_ISLAND_ID_LENGTH} characters`)
      .regex(ISLAND_ID, 'must be lower-case letters, digits and inner dashes (a DNS label)'),
    /** The region of the AZ-ID; every account of the island works in it. */
    region: regionSchema,
    /** The one physical zone, e.g. `use1-az4`: never a zone name. */
    azId: azIdSchema,
    /** Owns the shared VPC, the island's subnet, security group and placement group. */
    networkAccountId: accountIdSchema,
    /** The shared VPC in the network account. */
    vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, 'must look like vpc-0123456789abcdef0'),
    /** The VPC's CIDR when known, so a subnet outside it is refused before anything is applied. */
    vpcCidr: z.string().optional(),
    /** The island's one subnet (docs/aws-facts.md §2.1: one subnet per island). */
    subnetCidr: z.string(),
    /** Accounts that launch instances into the island; each gets the RAM shares and launch templates. */
    memberAccountIds: z.array(accountIdSchema).min(1, 'needs at least one member account'),
    /** EFA-capable instance types; each gets its own NIC layout, launch template and node class. */
    instanceTypes: z.array(instanceTypeSchema).min(1, 'needs at least one instance type'),
    capacityReservations: z.array(reservationSchema).optional(),
    /** The hub cluster whose Karpenter launches the island's nodes. */
    hub: z.object({ clusterName: z.string().min(1), nodeRoleName: z.string().min(1) }).strict(),
  })
  .strict();

export type IslandSpec = z.infer<typeof islandSpecSchema>;
export type IslandCapacityReservation = z.infer<typeof reservationSchema>;

/**
 * The island is fine (`spec` parsed), or it is refused with every reason and the rule
 * that refuses it: `invalid-request` when any input is wrong, else the EFA rule the
 * island breaks (see {@link islandRefusalRule}).
 */
export type IslandValidation = { ok: true; spec: IslandSpec } | { ok: false; rule: RefusalRule; reasons: string[] };

/** One reason an island is refused, with the rule behind it. */
interface IslandRefusalReason {
  rule: RefusalRule;
  reason: string;
}

/**
 * The one rule a refused island answers with. Wrong inputs come first: until they are
 * fixed, whether the island could ever exist is not the question (400). An island whose
 * every reason is a rule of EFA is a conflict with what AWS can do (409), named by its
 * first reason.
 */
export function islandRefusalRule(reasons: Array<{ rule: RefusalRule }>): RefusalRule {
  const conflicts = reasons.filter(r => REFUSAL_RULES[r.rule] === 'conflict');
  return conflicts.length && conflicts.length === reasons.length ? conflicts[0].rule : 'invalid-request';
}

function refused(reasons: IslandRefusalReason[]): IslandValidation {
  return { ok: false, rule: islandRefusalRule(reasons), reasons: reasons.map(r => r.reason) };
}

const invalid = (reason: string): IslandRefusalReason => ({ rule: 'invalid-request', reason });

/**
 * A refused island, thrown by the planner: the reasons are meant for people, the rule
 * tells the backend how to answer (a {@link FabricRefusal}).
 */
export class IslandRefusedError extends FabricRefusal {
  constructor(readonly reasons: string[], rule: RefusalRule = 'invalid-request') {
    super(rule, `The island is refused: ${reasons.join('; ')}`);
  }
}


/** Families that carry no EFA traffic to any other type (docs/aws-facts.md §2.1). */
const EFA_ISOLATED_FAMILIES = ['p4d', 'p4de', 'dl1'];

/**
 * Checks an island against the schema and the inventory before anything is planned:
 * the AZ-ID must exist in the network account's map of the region, every instance type
 * must be EFA-capable, the subnet must sit inside the VPC (when its CIDR is known), the
 * reservations must fit the types and members. Every reason is returned at once.
 */
export function validateIsland(input: unknown, inventory: Pick<Inventory, 'cells' | 'instanceTypes'>): IslandValidation {
  const parsed = islandSpecSchema.safeParse(input);
  if (!parsed.success) {
    return refused(
      parsed.error.issues.map(issue => invalid(`${issue.path.length ? issue.path.join('.') : 'island'} ${issue.message}`)),
    );
  }
  const spec = parsed.data;
  const reasons: IslandRefusalReason[] = [];

  const networkCell = inventory.cells.find(c => c.accountId === spec.networkAccountId && c.region === spec.region);
  if (!networkCell) {
    reasons.push(
      invalid(`the network account ${spec.networkAccountId} has no discovered cell in ${spec.region}, so its AZ-IDs are unknown`),
    );
  } else if (!Object.values(networkCell.azMap).includes(spec.azId)) {
    const known = [...new Set(Object.values(networkCell.azMap))].sort().join(', ') || 'none';
    reasons.push(invalid(`${spec.azId} is not an AZ-ID of ${spec.region} in the network account ${spec.networkAccountId} (it has ${known})`));
  }
  for (const member of spec.memberAccountIds) {
    if (!inventory.cells.some(c => c.accountId === member && c.region === spec.region)) {
      reasons.push(invalid(`member account ${member} is not enrolled in ${spec.region}`));
    }
  }
  const duplicates = spec.memberAccountIds.filter((id, i) => spec.memberAccountIds.indexOf(id) !== i);
  if (duplicates.length) reasons.push(invalid(`member accounts listed twice: ${[...new Set(duplicates)].join(', ')}`));

  reasons.push(...subnetReasons(spec).map(invalid));
  reasons.push(...instanceTypeReasons(spec, inventory.instanceTypes));
  reasons.push(...reservationReasons(spec).map(invalid));

  return reasons.length ? refused(reasons) : { ok: true, spec };
}

function subnetReasons(spec: IslandSpec): string[] {
  try {
    const subnet = parseCidr(spec.subnetCidr);
    // EC2's own bounds for a subnet's IPv4 block.
    if (subnet.prefixLength < 16 || subnet.prefixLength > 28) {
      return [`subnet ${spec.subnetCidr} must be between /16 and /28`];
    }
  } catch (error) {
    return [`subnet CIDR: ${(error as Error).message}`];
  }
  if (spec.vpcCidr === undefined) return [];
  try {
    return cidrContains(spec.vpcCidr, spec.subnetCidr)
      ? []
      : [`subnet ${spec.subnetCidr} is not inside ${spec.vpcId}'s CIDR ${spec.vpcCidr}`];
  } catch (error) {
    return [`VPC CIDR: ${(error as Error).message}`];
  }
}

function instanceTypeReasons(spec: IslandSpec, types: InstanceTypeInfo[]): IslandRefusalReason[] {
  const reasons: IslandRefusalReason[] = [];
  const known = new Map(types.map(t => [t.instanceType, t]));
  for (const type of new Set(spec.instanceTypes)) {
    const info = known.get(type);
    if (!info) reasons.push(invalid(`instance type ${type} is not in the inventory, so its EFA support is unknown`));
    else if (!info.efaSupported || info.maxEfaInterfaces < 1) {
      reasons.push({
        rule: 'efa-unsupported-type',
        reason: `${type} does not support EFA; an island only takes EFA-capable instance types`,
      });
    }
  }
  const families = [...new Set(spec.instanceTypes.map(t => t.split('.')[0]))];
  const isolated = families.filter(f => EFA_ISOLATED_FAMILIES.includes(f));
  if (isolated.length && families.length > 1) {
    reasons.push({
      rule: 'efa-isolated-family',
      reason: `EFA carries no traffic between ${isolated.join('/')} and other instance types (${families.join(', ')}); give them separate islands`,
    });
  }
  return reasons;
}

function reservationReasons(spec: IslandSpec): string[] {
  const reasons: string[] = [];
  const seen = new Map<string, string>();
  for (const reservation of spec.capacityReservations ?? []) {
    if (!spec.instanceTypes.includes(reservation.instanceType)) {
      reasons.push(`reservation ${reservation.id} holds ${reservation.instanceType}, which is not one of the island's instance types`);
    }
    if (reservation.accountId && !spec.memberAccountIds.includes(reservation.accountId)) {
      reasons.push(`reservation ${reservation.id} is for account ${reservation.accountId}, which is not a member of the island`);
    }
    // A launch template targets one reservation; two for the same type and account would be ambiguous.
    const accounts = reservation.accountId ? [reservation.accountId] : spec.memberAccountIds;
    for (const account of accounts) {
      const key = `${account}|${reservation.instanceType}`;
      const other = seen.get(key);
      if (other && other !== reservation.id) {
        reasons.push(
          `reservations ${other} and ${reservation.id} both target ${reservation.instanceType} in account ${account}; a launch template targets one`,
        );
      }
      seen.set(key, reservation.id);
    }
  }
  return reasons;
}

/** What a placement does not say about its island. */
export interface IslandFromPlacementOptions {
  /** Default: the placement's id, else its AZ-ID. */
  id?: string;
  networkAccountId: string;
  vpcId: string;
  vpcCidr?: string;
  subnetCidr: string;
  hub: IslandSpec['hub'];
  /** Which of the placement's reservation ids are Capacity Blocks (the others are ODCRs). */
  capacityBlockIds?: string[];
}

/**
 * The island a tightly-coupled placement needs: its one AZ-ID, its accounts as members,
 * its instance types and reservations. A placement whose chosen offerings span AZ-IDs
 * (or regions) is refused: EFA cannot join them.
 */
export function islandFromPlacement(
  placement: Placement,
  inventory: Pick<Inventory, 'cells' | 'instanceTypes'>,
  options: IslandFromPlacementOptions,
): IslandValidation {
  if (placement.status !== 'placed' || placement.chosen.length === 0) {
    return refused([
      { rule: 'placement-not-placed', reason: `only a placed placement has an island; this one is ${placement.status}` },
    ]);
  }
  const sorted = (values: string[]) => [...new Set(values)].sort();
  const azIds = sorted(placement.chosen.map(c => c.azId));
  const regions = sorted(placement.chosen.map(c => c.region));
  if (azIds.length > 1 || regions.length > 1) {
    return refused([{ rule: 'efa-locality', reason: `${EFA_LOCALITY_RULE}; the placement chose ${azIds.join(', ')}` }]);
  }
  const blocks = new Set(options.capacityBlockIds ?? []);
  const reservations = new Map<string, IslandCapacityReservation>();
  for (const chosen of placement.chosen) {
    if (!chosen.reservationId) continue;
    const previous = reservations.get(chosen.reservationId);
    reservations.set(chosen.reservationId, {
      id: chosen.reservationId,
      instanceType: chosen.instanceType,
      ...(blocks.has(chosen.reservationId) ? { capacityBlock: true } : {}),
      // The account that holds it in the inventory; used by every member when several chose it.
      ...(previous && previous.accountId !== chosen.accountId ? {} : { accountId: chosen.accountId }),
    });
  }
  return validateIsland(
    {
      id: options.id ?? islandIdFor(placement.id, azIds[0]),
      region: regions[0],
      azId: azIds[0],
      networkAccountId: options.networkAccountId,
      vpcId: options.vpcId,
      ...(options.vpcCidr ? { vpcCidr: options.vpcCidr } : {}),
      subnetCidr: options.subnetCidr,
      memberAccountIds: sorted(placement.chosen.map(c => c.accountId)),
      instanceTypes: sorted(placement.chosen.map(c => c.instanceType)),
      ...(reservations.size ? { capacityReservations: [...reservations.values()] } : {}),
      hub: options.hub,
    },
    inventory,
  );
}

function islandIdFor(placementId: string | undefined, azId: string): string {
  const slug = (placementId ?? '').toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
  return (slug || azId).slice(0, MAX_ISLAND_ID_LENGTH).replace(/-+$/, '');
}
