import { isAzId } from '@internal/backstage-plugin-fabric-common';
import { HOURS_PER_MONTH, NETWORK_PRICES } from '../placement/networkCost';

/** USD per hour of one Transit Gateway VPC attachment (e.g. us-east-2; docs/aws-facts.md §4, verify). */
export const TRANSIT_GATEWAY_ATTACHMENT_PER_HOUR = 0.05;

/** Traffic between two cells in a month. Endpoints read `<cell>/<AZ-ID>`, e.g. `222222222222/us-east-1/use1-az4`. */
export interface MeshTrafficFlow {
  from: string;
  to: string;
  gb: number;
}

export interface EstimateMeshCostInput {
  trafficGbPerMonth: MeshTrafficFlow[];
  /** VPC attachments a Transit Gateway design needs; defaults to the distinct cells in the traffic. */
  vpcAttachments?: number;
  hoursPerMonth?: number;
}

/** How one flow crosses the network. */
export type MeshPath = 'intra-vpc' | 'same-az-id' | 'cross-az' | 'inter-region';

export interface MeshFlowCost extends MeshTrafficFlow {
  path: MeshPath;
  peeringUsd: number;
  transitGatewayUsd: number;
}

export interface MeshCostEstimate {
  flows: MeshFlowCost[];
  peering: { transferUsd: number; totalUsd: number };
  transitGateway: {
    attachments: number;
    processingUsd: number;
    attachmentUsd: number;
    interRegionTransferUsd: number;
    totalUsd: number;
  };
  /** Transit Gateway total over peering total; `null` when peering costs nothing. */
  transitGatewayToPeeringRatio: number | null;
  cheaper: 'peering' | 'transit-gateway' | 'equal';
}

interface Endpoint {
  cell: string;
  azId: string;
  /** The AZ-ID's region code (`use1` of `use1-az4`): AZ-IDs are the same in every account. */
  regionCode: string;
}

function parseEndpoint(text: string): Endpoint {
  const slash = text.lastIndexOf('/');
  const azId = text.slice(slash + 1);
  if (slash <= 0 || !isAzId(azId)) {
    throw new Error(`Traffic endpoint '${text}' must read '<cell>/<AZ-ID>', e.g. '222222222222/us-east-1/use1-az4'`);
  }
  return { cell: text.slice(0, slash), azId, regionCode: azId.slice(0, azId.lastIndexOf('-az')) };
}

const cents = (usd: number) => Math.round(usd * 100) / 100;

function cheaperOf(peeringUsd: number, transitGatewayUsd: number): MeshCostEstimate['cheaper'] {
  if (peeringUsd === transitGatewayUsd) return 'equal';
  return transitGatewayUsd < peeringUsd ? 'transit-gateway' : 'peering';
}

/**
 * Monthly cost of moving the given traffic over the peering mesh versus a Transit Gateway
 * (docs/aws-facts.md §4). Peering: $0 within one AZ-ID (across accounts too), $0.01/GB each way
 * across AZs of a region, inter-region transfer between regions. Transit Gateway: $0.02/GB
 * processed for every GB between VPCs, attachment-hours per VPC, and the same inter-region
 * transfer. Traffic inside one cell's VPC costs the same either way and is left out of both.
 */
export function estimateMeshCost(input: EstimateMeshCostInput): MeshCostEstimate {
  const hours = input.hoursPerMonth ?? HOURS_PER_MONTH;
  const cells = new Set<string>();
  let transferUsd = 0;
  let processingUsd = 0;
  let interRegionTransferUsd = 0;

  const flows = input.trafficGbPerMonth.map((flow): MeshFlowCost => {
    if (!(flow.gb >= 0)) throw new Error(`Traffic from ${flow.from} to ${flow.to} must be a non-negative GB figure`);
    const from = parseEndpoint(flow.from);
    const to = parseEndpoint(flow.to);
    cells.add(from.cell);
    cells.add(to.cell);
    let path: MeshPath;
    let peering = 0;
    let processing = 0;
    let interRegion = 0;
    if (from.cell === to.cell) {
      path = 'intra-vpc';
    } else {
      processing = flow.gb * NETWORK_PRICES.transitGatewayProcessingPerGb;
      if (from.regionCode !== to.regionCode) {
        path = 'inter-region';
        interRegion = flow.gb * NETWORK_PRICES.interRegionPerGb;
        peering = interRegion;
      } else if (from.azId !== to.azId) {
        path = 'cross-az';
        peering = flow.gb * NETWORK_PRICES.crossAzPerGbEachWay * 2;
      } else {
        path = 'same-az-id';
        peering = flow.gb * NETWORK_PRICES.sameAzIdPerGb;
      }
    }
    transferUsd += peering;
    processingUsd += processing;
    interRegionTransferUsd += interRegion;
    return { ...flow, path, peeringUsd: cents(peering), transitGatewayUsd: cents(processing + interRegion) };
  });

  const attachments = input.vpcAttachments ?? cells.size;
  const attachmentUsd = attachments * TRANSIT_GATEWAY_ATTACHMENT_PER_HOUR * hours;
  const peeringTotal = cents(transferUsd);
  const tgwTotal = cents(processingUsd + attachmentUsd + interRegionTransferUsd);
  return {
    flows,
    peering: { transferUsd: peeringTotal, totalUsd: peeringTotal },
    transitGateway: {
      attachments,
      processingUsd: cents(processingUsd),
      attachmentUsd: cents(attachmentUsd),
      interRegionTransferUsd: cents(interRegionTransferUsd),
      totalUsd: tgwTotal,
    },
    transitGatewayToPeeringRatio: peeringTotal > 0 ? Math.round((tgwTotal / peeringTotal) * 100) / 100 : null,
    cheaper: cheaperOf(peeringTotal, tgwTotal),
  };
}
