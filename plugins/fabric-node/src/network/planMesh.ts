import { randomUUID } from 'node:crypto';
import { CellRef, RefusalRule } from '@internal/backstage-plugin-fabric-common';
import { outputRef } from '../plan/refs';
import { Plan, PlanStep } from '../plan/types';
import { cidrsOverlap, findOverlaps, parseCidr } from './cidr';
import { ExistingPeering } from './peerings';
import { defaultMeshQuotas, meshQuotaRefusal, MeshQuotas } from './meshQuotas';

/** Step types of the mesh; the executors in `meshExecutors.ts` perform them. */
export const MESH_STEP_TYPES = {
  createPeering: 'ec2:CreateVpcPeeringConnection',
  acceptPeering: 'ec2:AcceptVpcPeeringConnection',
  waitPeeringActive: 'ec2:WaitVpcPeeringConnectionActive',
  peeringOptions: 'ec2:ModifyVpcPeeringConnectionOptions',
  createRoute: 'ec2:CreateRoute',
  deleteRoute: 'ec2:DeleteRoute',
  deletePeering: 'ec2:DeleteVpcPeeringConnection',
} as const;


/** One VPC of the mesh: a cell's VPC and the route tables that must reach every peer. */
export interface MeshVpc {
  /** The cell's name; the lexicographically smaller cell of a pair requests the peering. */
  cell: string;
  accountId: string;
  region: string;
  vpcId: string;
  cidr: string;
  routeTableIds: string[];
}

export interface PlanMeshInput {
  vpcs: MeshVpc[];
  /** Live peerings touching these VPCs (`lookupMeshPeerings`): active pairs are not planned again. */
  existingPeerings?: ExistingPeering[];
  /** `fabric.cloudspectra.io/owner` on every peering the plan creates. */
  ownerTag: string;
  /** Defaults to a fresh UUID, so a destroyed plan's checkpoints never shadow a new one. */
  planId?: string;
  /**
   * Each cell's mesh quotas (`<account>/<region>` → quotas), as `readMeshQuotas` read them
   * from Service Quotas. A cell not listed is planned against AWS's defaults (50 and 50),
   * which is what an account that never asked for more has (docs/aws-facts.md §4).
   */
  quotas?: Record<string, MeshQuotas>;
  /** Routes each table holds today; a table not listed holds only its local route. */
  routeCounts?: Record<string, number>;
  /** Let each side resolve the other's private DNS names (default true). */
  dnsResolution?: boolean;
}

/** A pair the plan peers. */
export interface PlannedPair {
  requester: MeshVpc;
  accepter: MeshVpc;
  /** Key of the create step; its output carries `VpcPeeringConnectionId`. */
  createStepKey: string;
}

/** A pair the plan leaves alone, and why. */
export interface MeshPairNote {
  a: string;
  b: string;
  reason: string;
  vpcPeeringConnectionId?: string;
}

/** A pair the plan refuses to peer, with the rule: `cidr-overlap` or `mesh-quota`. */
export interface MeshRefusedPair extends MeshPairNote {
  rule: Extract<RefusalRule, 'cidr-overlap' | 'mesh-quota'>;
}

export interface MeshPlan {
  plan: Plan;
  planned: PlannedPair[];
  /** Pairs already peered (an active peering between the two VPC ids): not re-planned. */
  existing: MeshPairNote[];
  /** Pairs that cannot or must not be peered: overlapping CIDRs, ambiguous routes, quotas. */
  refused: MeshRefusedPair[];
}

const pairId = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

function orderPair(x: MeshVpc, y: MeshVpc): [MeshVpc, MeshVpc] {
  if (x.cell !== y.cell) return x.cell < y.cell ? [x, y] : [y, x];
  return x.vpcId < y.vpcId ? [x, y] : [y, x];
}

const cellOf = (vpc: MeshVpc): CellRef => ({ accountId: vpc.accountId, region: vpc.region });
const label = (vpc: MeshVpc) => `${vpc.cell} ${vpc.vpcId} (${vpc.cidr})`;

/**
 * Plans the full mesh, N(N−1)/2 peerings, across accounts and regions. For each new pair:
 * request from the smaller cell in its region (with the peer's owner, region and VPC),
 * accept from the peer's account in the peer's region, wait until active, enable DNS
 * resolution on each side in its own region, and route the peer's CIDR through the
 * peering in every route table on both sides.
 *
 * Refused before anything is applied, with the reason: overlapping CIDRs, a peer CIDR
 * that would overlap a route the VPC already has to another peer, a VPC that would pass
 * the active-peerings quota, a route table that would pass its routes quota. A VPC over a
 * quota gets none of its new pairs: half a mesh is not a mesh.
 */
export function planMesh(input: PlanMeshInput): MeshPlan {
  const quotasOf = (vpc: MeshVpc) => input.quotas?.[vpc.cell] ?? defaultMeshQuotas();
  const vpcs = [...input.vpcs].sort((x, y) => (orderPair(x, y)[0] === x ? -1 : 1));
  const seenVpcs = new Set<string>();
  for (const vpc of vpcs) {
    if (seenVpcs.has(vpc.vpcId)) throw new Error(`VPC ${vpc.vpcId} is listed twice in the mesh`);
    seenVpcs.add(vpc.vpcId);
    parseCidr(vpc.cidr);
  }

  const existing: MeshPairNote[] = [];
  const refused: MeshRefusedPair[] = [];
  const activeCount = new Map<string, number>();
  const activePairs = new Map<string, string>();
  for (const peering of input.existingPeerings ?? []) {
    if (peering.status !== 'active') continue;
    for (const vpcId of [peering.requesterVpcId, peering.accepterVpcId]) {
      activeCount.set(vpcId, (activeCount.get(vpcId) ?? 0) + 1);
    }
    activePairs.set(pairId(peering.requesterVpcId, peering.accepterVpcId), peering.vpcPeeringConnectionId);
  }
  const overlapping = new Map(findOverlaps(vpcs).map(o => [pairId(o.a.vpcId, o.b.vpcId), o.reason]));

  // CIDRs each VPC routes to a peer, to catch a new peer whose range would shadow another's.
  const routed = new Map<string, Array<{ cidr: string; via: string }>>();
  const addRouted = (from: MeshVpc, to: MeshVpc) => routed.set(from.vpcId, [...(routed.get(from.vpcId) ?? []), { cidr: to.cidr, via: to.vpcId }]);
  const byVpcId = new Map(vpcs.map(vpc => [vpc.vpcId, vpc]));
  for (const key of activePairs.keys()) {
    const [a, b] = key.split('|').map(id => byVpcId.get(id));
    if (a && b) {
      addRouted(a, b);
      addRouted(b, a);
    }
  }
  const shadowing = (from: MeshVpc, to: MeshVpc) => routed.get(from.vpcId)?.find(r => cidrsOverlap(r.cidr, to.cidr));

  let candidates: Array<[MeshVpc, MeshVpc]> = [];
  for (let i = 0; i < vpcs.length; i++) {
    for (let j = i + 1; j < vpcs.length; j++) {
      const [requester, accepter] = orderPair(vpcs[i], vpcs[j]);
      const id = pairId(requester.vpcId, accepter.vpcId);
      const note = { a: requester.vpcId, b: accepter.vpcId };
      const pcx = activePairs.get(id);
      if (pcx) {
        existing.push({ ...note, vpcPeeringConnectionId: pcx, reason: `already peered by ${pcx} (active)` });
        continue;
      }
      const overlap = overlapping.get(id);
      if (overlap) {
        refused.push({ ...note, rule: 'cidr-overlap', reason: overlap });
        continue;
      }
      const clash = shadowing(requester, accepter) ?? shadowing(accepter, requester);
      if (clash) {
        // Routes that could not tell the peers apart are an overlap one hop away.
        refused.push({
          ...note,
          rule: 'cidr-overlap',
          reason:
            `${label(requester)} and ${label(accepter)}: a route to one of them would overlap the route ` +
            `to ${clash.cidr} (${clash.via}) already planned on the other side, and traffic could not tell the peers apart`,
        });
        continue;
      }
      addRouted(requester, accepter);
      addRouted(accepter, requester);
      candidates.push([requester, accepter]);
    }
  }

  // Quotas: a VPC that would pass one loses all of its new pairs.
  const newCount = new Map<string, number>();
  for (const [a, b] of candidates) {
    newCount.set(a.vpcId, (newCount.get(a.vpcId) ?? 0) + 1);
    newCount.set(b.vpcId, (newCount.get(b.vpcId) ?? 0) + 1);
  }
  const overQuota = new Map<string, string>();
  for (const vpc of vpcs) {
    const added = newCount.get(vpc.vpcId) ?? 0;
    if (added === 0) continue;
    const quotas = quotasOf(vpc);
    const peerings = (activeCount.get(vpc.vpcId) ?? 0) + added;
    if (peerings > quotas.activePeeringsPerVpc.value) {
      overQuota.set(
        vpc.vpcId,
        meshQuotaRefusal({
          quota: 'activePeeringsPerVpc',
          value: quotas.activePeeringsPerVpc,
          cell: vpc.cell,
          what: `${label(vpc)} would have ${peerings} active peerings: it`,
          needed: peerings,
        }),
      );
      continue;
    }
    for (const table of vpc.routeTableIds) {
      const routes = (input.routeCounts?.[table] ?? 1) + added;
      if (routes > quotas.routesPerTable.value) {
        overQuota.set(
          vpc.vpcId,
          meshQuotaRefusal({
            quota: 'routesPerTable',
            value: quotas.routesPerTable,
            cell: vpc.cell,
            what: `route table ${table} of ${label(vpc)} would hold ${routes} routes: it`,
            needed: routes,
          }),
        );
        break;
      }
    }
  }
  candidates = candidates.filter(([a, b]) => {
    const reason = overQuota.get(a.vpcId) ?? overQuota.get(b.vpcId);
    if (reason) refused.push({ a: a.vpcId, b: b.vpcId, rule: 'mesh-quota', reason });
    return !reason;
  });

  const steps: PlanStep[] = [];
  const planned: PlannedPair[] = [];
  for (const [requester, accepter] of candidates) {
    const pair = pairSteps(requester, accepter, input.dnsResolution ?? true);
    steps.push(...pair.steps);
    planned.push({ requester, accepter, createStepKey: pair.createKey });
  }
  const plan: Plan = {
    id: input.planId ?? randomUUID(),
    owner: input.ownerTag,
    title: `Peering mesh: ${planned.length} new peering${planned.length === 1 ? '' : 's'} among ${vpcs.length} VPCs`,
    steps,
  };
  return { plan, planned, existing, refused };
}

function pairSteps(requester: MeshVpc, accepter: MeshVpc, dns: boolean): { createKey: string; steps: PlanStep[] } {
  const prefix = `mesh:${requester.vpcId}:${accepter.vpcId}`;
  const createKey = `${prefix}:create`;
  const pcx = outputRef(createKey, 'VpcPeeringConnectionId');
  const pairTitle = `${requester.vpcId} ↔ ${accepter.vpcId}`;
  const steps: PlanStep[] = [
    {
      key: createKey,
      title: `Request peering from ${label(requester)} to ${label(accepter)}`,
      kind: 'aws',
      type: MESH_STEP_TYPES.createPeering,
      cell: cellOf(requester),
      input: {
        VpcId: requester.vpcId,
        PeerVpcId: accepter.vpcId,
        PeerOwnerId: accepter.accountId,
        PeerRegion: accepter.region,
      },
    },
    {
      key: `${prefix}:accept`,
      title: `Accept peering ${pairTitle} in ${accepter.cell} (${accepter.accountId}, ${accepter.region})`,
      kind: 'aws',
      type: MESH_STEP_TYPES.acceptPeering,
      cell: cellOf(accepter),
      dependsOn: [createKey],
      input: { VpcPeeringConnectionId: pcx },
    },
    {
      key: `${prefix}:active`,
      title: `Wait until peering ${pairTitle} is active`,
      kind: 'aws',
      type: MESH_STEP_TYPES.waitPeeringActive,
      cell: cellOf(requester),
      dependsOn: [createKey, `${prefix}:accept`],
      input: { VpcPeeringConnectionId: pcx },
    },
  ];
  const activeKey = `${prefix}:active`;
  if (dns) {
    for (const [side, vpc, peer] of [
      ['requester', requester, accepter],
      ['accepter', accepter, requester],
    ] as const) {
      steps.push({
        key: `${prefix}:dns-${side}`,
        title: `Let ${label(vpc)} resolve private DNS names of ${peer.vpcId} over the peering`,
        kind: 'aws',
        type: MESH_STEP_TYPES.peeringOptions,
        cell: cellOf(vpc),
        dependsOn: [createKey, activeKey],
        input: { VpcPeeringConnectionId: pcx, side, AllowDnsResolutionFromRemoteVpc: true },
      });
    }
  }
  for (const [vpc, peer] of [
    [requester, accepter],
    [accepter, requester],
  ]) {
    for (const table of vpc.routeTableIds) {
      steps.push({
        key: `${prefix}:route:${table}`,
        title: `Route ${peer.cidr} (${peer.cell} ${peer.vpcId}) from ${table} of ${vpc.vpcId} through the peering`,
        kind: 'aws',
        type: MESH_STEP_TYPES.createRoute,
        cell: cellOf(vpc),
        dependsOn: [createKey, activeKey],
        input: { RouteTableId: table, DestinationCidrBlock: peer.cidr, VpcPeeringConnectionId: pcx },
      });
    }
  }
  return { createKey, steps };
}
