import { Fragment, memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  Content,
  ContentHeader,
  Header,
  InfoCard,
  Page,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import { alertApiRef, useApi, useRouteRef } from '@backstage/core-plugin-api';
import { useNavigate } from 'react-router-dom';
import { rootRouteRef } from '../../routes';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  CapacityResponse,
  CapacityRow,
  cellId,
  CellStatus,
  EstateAccountView,
} from '@internal/backstage-plugin-fabric-common';
import { fabricApiRef } from '../../api/FabricApi';
import { age, azLabel, usd } from '../shared/format';
import { SourceChip } from '../shared/SourceChip';
import { CapacityHeatMap } from './CapacityHeatMap';
import { IslandsCard } from './IslandsCard';
import { MeshCard } from './MeshCard';
import { PriceChart } from './PriceChart';

// Selecting a region × GPU re-renders the page; the cards that do not depend on it skip that.
const MemoPriceChart = memo(PriceChart);
const MemoMeshCard = memo(MeshCard);
const MemoIslandsCard = memo(IslandsCard);

type RegionGpu = CapacityResponse['byRegionAndGpu'][number] & { id: string };

const summaryColumns: TableColumn<RegionGpu>[] = [
  { title: 'Region', field: 'region' },
  { title: 'GPU', field: 'gpu' },
  { title: 'GPUs within quota', field: 'gpus', type: 'numeric' },
  {
    title: 'Cheapest spot $/GPU-h',
    render: row => usd(row.cheapestSpotPerGpuHour),
    customSort: (a, b) => (a.cheapestSpotPerGpuHour ?? Infinity) - (b.cheapestSpotPerGpuHour ?? Infinity),
  },
  {
    title: 'Cheapest on-demand $/GPU-h',
    render: row => usd(row.cheapestOnDemandPerGpuHour),
    customSort: (a, b) => (a.cheapestOnDemandPerGpuHour ?? Infinity) - (b.cheapestOnDemandPerGpuHour ?? Infinity),
  },
];

const offeringColumns: TableColumn<CapacityRow & { id: string }>[] = [
  { title: 'AZ-ID (account-local name)', render: row => azLabel(row.azId, row.azName), customSort: (a, b) => a.azId.localeCompare(b.azId) },
  { title: 'Account', render: row => `${row.accountName} (${row.accountId})` },
  { title: 'Instance type', field: 'instanceType' },
  { title: 'GPUs/node', field: 'gpuCount', type: 'numeric' },
  { title: 'Capacity', field: 'capacityType' },
  { title: '$/h', render: row => usd(row.pricePerHour), customSort: (a, b) => a.pricePerHour - b.pricePerHour },
  { title: 'Spot score', render: row => row.placementScore ?? '—' },
  { title: 'Quota headroom (nodes)', field: 'quotaHeadroomInstances', type: 'numeric' },
];

type ZoneRow = {
  id: string;
  azId: string;
  gpus: number;
  cheapestSpot?: number;
  cheapestOnDemand?: number;
  names: string;
};

const zoneColumns: TableColumn<ZoneRow>[] = [
  { title: 'AZ-ID', field: 'azId' },
  { title: 'Local AZ name per account', field: 'names' },
  { title: 'GPUs within quota', field: 'gpus', type: 'numeric' },
  { title: 'Cheapest spot $/GPU-h', render: row => usd(row.cheapestSpot) },
  { title: 'Cheapest on-demand $/GPU-h', render: row => usd(row.cheapestOnDemand) },
];

/** One row per physical zone: the same AZ-ID carries a different name in each account. */
function zonesOf(rows: CapacityRow[]): ZoneRow[] {
  const zones = new Map<string, ZoneRow & { namesByAccount: Map<string, string> }>();
  for (const row of rows) {
    const zone = zones.get(row.azId) ?? {
      id: row.azId,
      azId: row.azId,
      gpus: 0,
      names: '',
      namesByAccount: new Map<string, string>(),
    };
    zone.gpus += row.quotaHeadroomInstances * row.gpuCount;
    zone.namesByAccount.set(row.accountName, row.azName);
    if (row.quotaHeadroomInstances > 0) {
      const perGpu = row.pricePerHour / row.gpuCount;
      if (row.capacityType === 'spot') zone.cheapestSpot = Math.min(zone.cheapestSpot ?? Infinity, perGpu);
      if (row.capacityType === 'on-demand') zone.cheapestOnDemand = Math.min(zone.cheapestOnDemand ?? Infinity, perGpu);
    }
    zones.set(row.azId, zone);
  }
  return [...zones.values()]
    .map(({ namesByAccount, ...zone }) => ({
      ...zone,
      names: [...namesByAccount].map(([account, name]) => `${account}: ${name}`).join(' · '),
    }))
    .sort((a, b) => a.azId.localeCompare(b.azId));
}

const accountColumns: TableColumn<EstateAccountView & { id: string }>[] = [
  { title: 'Account', render: row => `${row.name} (${row.id})` },
  { title: 'Role', field: 'role' },
  { title: 'Regions', render: row => row.regions.join(', ') },
  {
    title: 'Health',
    render: row =>
      row.staleCells === 0 ? <StatusOK>all cells fresh</StatusOK> : <StatusError>{row.staleCells} stale cell(s)</StatusError>,
  },
];

const cellColumns: TableColumn<CellStatus & { id: string }>[] = [
  { title: 'Account', render: row => `${row.accountName} (${row.accountId})` },
  { title: 'Region', field: 'region' },
  {
    title: 'Health',
    render: row => (row.fresh ? <StatusOK>fresh</StatusOK> : <StatusError>stale</StatusError>),
  },
  { title: 'Discovered', render: row => age(row.discoveredAt) },
  {
    title: 'AZ names → AZ-IDs',
    render: row =>
      Object.entries(row.azMap)
        .map(([name, id]) => `${name.slice(-1)}→${id}`)
        .join(' '),
  },
  { title: 'Last error / warnings', render: row => [row.error, ...(row.warnings ?? [])].filter(Boolean).join(' · ') },
];

/**
 * The estate page: capacity by region × GPU as a heat map and a table with drill-down to
 * AZ-IDs, spot against on-demand prices, the peering mesh, islands, and cell health.
 */
export const FabricEstatePage = () => {
  const api = useApi(fabricApiRef);
  const alertApi = useApi(alertApiRef);
  const navigate = useNavigate();
  const rootLink = useRouteRef(rootRouteRef);
  const [planning, setPlanning] = useState(false);
  const planMesh = useCallback(async () => {
    setPlanning(true);
    try {
      const plan = await api.planMesh();
      navigate(`${rootLink()}/plans/${plan.id}`);
    } catch (error) {
      alertApi.post({ message: `Could not plan the mesh: ${(error as Error).message}`, severity: 'error' });
    } finally {
      setPlanning(false);
    }
  }, [api, alertApi, navigate, rootLink]);
  const [selected, setSelected] = useState<RegionGpu | undefined>();
  const state = useAsync(async () => {
    const [health, capacity, estate] = await Promise.all([api.health(), api.capacity(), api.estate()]);
    return { health, capacity, estate };
  }, [api]);

  const summary = useMemo<RegionGpu[]>(
    () =>
      (state.value?.capacity.byRegionAndGpu ?? [])
        .map(g => ({ ...g, id: `${g.region}|${g.gpu}` }))
        .sort((a, b) => a.region.localeCompare(b.region) || b.gpus - a.gpus),
    [state.value],
  );

  // A heat-map cell is far above the drill-down: bring it into view once it renders.
  const drillDownRef = useRef<HTMLDivElement>(null);
  const [scrollToDrillDown, setScrollToDrillDown] = useState(false);
  const selectCell = useCallback(
    (region: string, gpu: string) => {
      setSelected(summary.find(g => g.region === region && g.gpu === gpu));
      setScrollToDrillDown(true);
    },
    [summary],
  );
  useEffect(() => {
    if (!scrollToDrillDown) return;
    setScrollToDrillDown(false);
    // jsdom has no scrollIntoView.
    drillDownRef.current?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
  }, [scrollToDrillDown, selected]);

  const drillDown = useMemo(
    () =>
      selected && state.value
        ? state.value.capacity.rows
            .filter(r => r.region === selected.region && r.gpu === selected.gpu)
            .map((r, i) => ({ ...r, id: String(i) }))
        : [],
    [selected, state.value],
  );

  return (
    <Page themeId="tool">
      <Header
        title="GPU Fabric"
        subtitle="GPU capacity across every enrolled AWS account, region and AZ-ID"
      />
      <Content>
        {state.loading && <Progress />}
        {state.error && <ResponseErrorPanel error={state.error} />}
        {state.value && (
          <>
            <ContentHeader title="Estate capacity">
              <SourceChip source={state.value.health.estateSource} mode={state.value.health.mode} />
            </ContentHeader>
            <Typography variant="body2" paragraph>
              {state.value.health.accounts} accounts · {state.value.health.cells} cells · inventory taken{' '}
              {age(state.value.capacity.takenAt)}. Locality is keyed on AZ-IDs, which are the same
              physical zone in every account; each account's own AZ name is shown beside it.
            </Typography>
            {state.value.capacity.staleCells.length > 0 && (
              <WarningPanel
                title={`${state.value.capacity.staleCells.length} cell(s) stale: results are partial`}
                message={state.value.capacity.staleCells.map((c, i) => (
                  // One line per stale cell: a joined string would run them together.
                  <Fragment key={cellId(c)}>
                    {i > 0 && <br />}
                    <span>{`${c.accountName} ${c.region}: ${c.error ?? 'no data'}`}</span>
                  </Fragment>
                ))}
              />
            )}
            <Grid container spacing={3}>
              <Grid item xs={12} lg={6}>
                <InfoCard
                  title="GPUs within quota: region × GPU"
                  subheader="Darker holds more; select a cell for its AZ-IDs and offerings"
                >
                  <CapacityHeatMap groups={summary} selected={selected} onSelect={selectCell} />
                </InfoCard>
              </Grid>
              <Grid item xs={12} lg={6}>
                <InfoCard
                  title="Spot vs on-demand"
                  subheader="Cheapest price per GPU-hour within quota, anywhere in the estate; no bar: none offered"
                >
                  <MemoPriceChart groups={state.value.capacity.byRegionAndGpu} />
                </InfoCard>
              </Grid>
              <Grid item xs={12}>
                <Table<RegionGpu>
                  title="Capacity by region × GPU (select a row for AZ-IDs)"
                  options={{ paging: false, search: false, padding: 'dense' }}
                  columns={summaryColumns}
                  data={summary}
                  onRowClick={(_e, row) => setSelected(row)}
                />
              </Grid>
              {selected && (
                <Grid item xs={12}>
                  <div ref={drillDownRef} />
                  <Table<ZoneRow>
                    title={`${selected.gpu} in ${selected.region} by AZ-ID`}
                    options={{ paging: false, search: false, padding: 'dense' }}
                    columns={zoneColumns}
                    data={zonesOf(drillDown)}
                  />
                </Grid>
              )}
              {selected && (
                <Grid item xs={12}>
                  <Table
                    title={`${selected.gpu} offerings in ${selected.region}`}
                    options={{ paging: true, pageSize: 20, search: false, padding: 'dense' }}
                    columns={offeringColumns}
                    data={drillDown}
                  />
                </Grid>
              )}
              <Grid item xs={12} md={7}>
                <MemoMeshCard estate={state.value.estate} onPlan={planMesh} planning={planning} />
              </Grid>
              <Grid item xs={12} md={5}>
                <MemoIslandsCard />
              </Grid>
              <Grid item xs={12}>
                <InfoCard title="Accounts" noPadding>
                  <Table
                    options={{ paging: false, search: false, toolbar: false, padding: 'dense' }}
                    columns={accountColumns}
                    data={state.value.estate.accounts.map(a => ({ ...a, id: a.id }))}
                  />
                </InfoCard>
              </Grid>
              <Grid item xs={12}>
                <InfoCard title="Cells (account × region)" noPadding>
                  <Table
                    options={{ paging: false, search: false, toolbar: false, padding: 'dense' }}
                    columns={cellColumns}
                    data={state.value.estate.cells.map(c => ({ ...c, id: cellId(c) }))}
                  />
                </InfoCard>
              </Grid>
            </Grid>
          </>
        )}
      </Content>
    </Page>
  );
};
