import { useCallback, useMemo, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { alertApiRef, useApi, useRouteRef } from '@backstage/core-plugin-api';
import { CellStatus, EstateResponse } from '@internal/backstage-plugin-fabric-common';
import { fabricApiRef } from '../api/FabricApi';
import { rootRouteRef } from '../routes';

/** Cells that join the mesh: every enrolled cell except the network account's. */
export function meshCells(estate: EstateResponse): CellStatus[] {
  const network = new Set(estate.accounts.filter(a => a.role === 'network').map(a => a.id));
  return estate.cells
    .filter(c => !network.has(c.accountId))
    .sort((a, b) => a.accountName.localeCompare(b.accountName) || a.region.localeCompare(b.region));
}

/** Peerings of a full mesh of `n` VPCs, and how many of them stay within a region. */
export function meshPairs(cells: CellStatus[]): { total: number; sameRegion: number; crossRegion: number } {
  let sameRegion = 0;
  let crossRegion = 0;
  cells.forEach((a, i) =>
    cells.slice(i + 1).forEach(b => (a.region === b.region ? sameRegion++ : crossRegion++)),
  );
  return { total: (cells.length * (cells.length - 1)) / 2, sameRegion, crossRegion };
}

/** One account's row of the mesh matrix: its cell in each region, or nothing there. */
export interface MeshMatrixRow {
  account: string;
  cells: Array<CellStatus | undefined>;
}

/** The mesh the estate implies, as counts and as an accounts × regions matrix. */
export function useMesh(estate: EstateResponse) {
  return useMemo(() => {
    const cells = meshCells(estate);
    const regions = [...new Set(cells.map(c => c.region))].sort();
    const accounts = [...new Set(cells.map(c => c.accountName))].sort();
    const matrix: MeshMatrixRow[] = accounts.map(account => ({
      account,
      cells: regions.map(region => cells.find(c => c.accountName === account && c.region === region)),
    }));
    return { cells, pairs: meshPairs(cells), regions, matrix };
  }, [estate]);
}

/**
 * Plans the peering mesh, or its removal, and opens the plan's page; nothing changes
 * until the plan is applied there. A failure (such as nothing to remove) is an alert.
 */
export function usePlanMesh() {
  const api = useApi(fabricApiRef);
  const alertApi = useApi(alertApiRef);
  const navigate = useNavigate();
  const rootLink = useRouteRef(rootRouteRef);
  const [planning, setPlanning] = useState(false);
  const run = useCallback(
    async (request: () => Promise<{ id: string }>, what: string) => {
      setPlanning(true);
      try {
        const plan = await request();
        navigate(`${rootLink()}/plans/${plan.id}`);
      } catch (error) {
        alertApi.post({ message: `Could not plan ${what}: ${(error as Error).message}`, severity: 'error' });
      } finally {
        setPlanning(false);
      }
    },
    [alertApi, navigate, rootLink],
  );
  const planMesh = useCallback(() => run(() => api.planMesh(), 'the mesh'), [api, run]);
  const planMeshRemoval = useCallback(() => run(() => api.planMeshRemoval(), 'the mesh removal'), [api, run]);
  return { planMesh, planMeshRemoval, planning };
}
