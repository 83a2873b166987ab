import { useEffect, useRef } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { useApi } from '@backstage/core-plugin-api';
import {
  NodeClaimRow,
  NodeClaimsResponse,
  ProvisionerHealthResponse,
} from '@internal/backstage-plugin-fabric-common';
import { fabricApiRef } from '../api/FabricApi';

/** How often the live view of the hub cluster is read again. */
export const HUB_CLUSTER_POLL_MS = 15_000;

/** What the hub cluster shows: the provisioner's claims, the pods it is placing, and its health. */
export interface HubClusterView {
  nodeClaims: NodeClaimsResponse;
  provisioner: ProvisionerHealthResponse;
  /** The claims cell by cell, in cell order. */
  cells: CellNodes[];
}

/** The fabric's nodes in one cell (account × region). */
export interface CellNodes {
  /** `<account>.<region>`, or `unknown cell` for a claim without the cell label. */
  cell: string;
  accountId?: string;
  region?: string;
  rows: Array<NodeClaimRow & { id: string }>;
  /** Sum of the known $/h of its nodes. */
  pricePerHour: number;
}

/** Groups claims by cell, cells in order, each cell's claims as the API ordered them. */
export function nodesByCell(items: NodeClaimRow[]): CellNodes[] {
  const cells = new Map<string, CellNodes>();
  for (const item of items) {
    const key = item.cell ?? 'unknown cell';
    let cell = cells.get(key);
    if (!cell) {
      cell = { cell: key, accountId: item.accountId, region: item.region, rows: [], pricePerHour: 0 };
      cells.set(key, cell);
    }
    cell.rows.push({ ...item, id: item.name });
    cell.pricePerHour += item.pricePerHour ?? 0;
  }
  return [...cells.values()].sort((a, b) => a.cell.localeCompare(b.cell));
}

/**
 * The hub cluster's live state, for the whole estate or one entity, read again every
 * {@link HUB_CLUSTER_POLL_MS} so nodes show as they launch and pods as they wait. The last
 * answer stays on screen while the next is read.
 */
export function useHubCluster(entityRef?: string) {
  const api = useApi(fabricApiRef);
  const state = useAsyncRetry(async (): Promise<HubClusterView> => {
    const [nodeClaims, provisioner] = await Promise.all([
      api.nodeClaims(entityRef ? { entityRef } : {}),
      api.provisioner(),
    ]);
    return { nodeClaims, provisioner, cells: nodesByCell(nodeClaims.items) };
  }, [api, entityRef]);
  const { retry } = state;
  // A failed refresh drops the value; keep the last answer (of this entity) on screen.
  const last = useRef<{ entityRef?: string; value: HubClusterView }>();
  if (state.value) last.current = { entityRef, value: state.value };
  const value = state.value ?? (last.current?.entityRef === entityRef ? last.current?.value : undefined);
  const configured = value?.nodeClaims.configured;
  useEffect(() => {
    // Nothing changes without a hub cluster; the page is reloaded after configuring one.
    if (configured === false) return undefined;
    const timer = setInterval(retry, HUB_CLUSTER_POLL_MS);
    return () => clearInterval(timer);
  }, [retry, configured]);
  return { ...state, value };
}
