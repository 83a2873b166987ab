import { memo, useCallback, useEffect, useRef, useState } from 'react';
import {
  Content,
  ContentHeader,
  Header,
  InfoCard,
  Page,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { Estate, RegionGpu, useEstate } from '../../hooks/useEstate';
import { usePlanMesh } from '../../hooks/useMesh';
import { HubClusterSection } from '../HubCluster';
import { age, usd } from '../shared/format';
import { SourceChip } from '../shared/SourceChip';
import { CapacityDrillDown } from './CapacityDrillDown';
import { CapacityHeatMap } from './CapacityHeatMap';
import { AccountsCard, CellsCard } from './EstateCards';
import { IslandsCard } from './IslandsCard';
import { MeshCard } from './MeshCard';
import { PriceChart } from './PriceChart';
import { StaleCellsWarning } from './StaleCellsWarning';

// Selecting a region × GPU re-renders the page; the cards that do not depend on it skip that.
const MemoPriceChart = memo(PriceChart);
const MemoMeshCard = memo(MeshCard);
const MemoIslandsCard = memo(IslandsCard);
const MemoAccountsCard = memo(AccountsCard);
const MemoCellsCard = memo(CellsCard);
const MemoHubClusterSection = memo(HubClusterSection);

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

/** The loaded page: capacity as a heat map, prices and tables, then the mesh, islands and health. */
const EstateContent = ({ value }: { value: Estate }) => {
  const { health, capacity, estate, regionGpus } = value;
  const { planMesh, planMeshRemoval, planning } = usePlanMesh();
  const [selected, setSelected] = useState<RegionGpu | undefined>();

  // A heat-map cell is far above the drill-down: bring it into view once it renders.
  const drillDownRef = useRef<HTMLDivElement>(null);
  const [scrollToDrillDown, setScrollToDrillDown] = useState(false);
  const selectCell = useCallback(
    (region: string, gpu: string) => {
      setSelected(regionGpus.find(g => g.region === region && g.gpu === gpu));
      setScrollToDrillDown(true);
    },
    [regionGpus],
  );
  useEffect(() => {
    if (!scrollToDrillDown) return;
    setScrollToDrillDown(false);
    // jsdom has no scrollIntoView.
    drillDownRef.current?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
  }, [scrollToDrillDown, selected]);

  return (
    <>
      <ContentHeader title="Estate capacity">
        <SourceChip source={health.estateSource} mode={health.mode} />
      </ContentHeader>
      <Typography variant="body2" paragraph>
        {estate.accounts.length} accounts · {estate.cells.length} cells · inventory taken {age(capacity.takenAt)}.
        Locality is keyed on AZ-IDs, which are the same physical zone in every account; each
        account's own AZ name is shown beside it.
      </Typography>
      <StaleCellsWarning cells={capacity.staleCells} />
      <Grid container spacing={3}>
        <Grid item xs={12} lg={6}>
          <InfoCard
            title="GPUs within quota: region × GPU"
            subheader="Darker holds more; select a cell for its AZ-IDs and offerings"
          >
            <CapacityHeatMap groups={regionGpus} selected={selected} onSelect={selectCell} />
          </InfoCard>
        </Grid>
        <Grid item xs={12} lg={6}>
          <InfoCard
            title="Spot vs on-demand"
            subheader="Cheapest price per GPU-hour within quota, anywhere in the estate; no bar: none offered"
          >
            <MemoPriceChart groups={capacity.byRegionAndGpu} />
          </InfoCard>
        </Grid>
        <Grid item xs={12}>
          <Table<RegionGpu>
            title="Capacity by region × GPU (select a row for AZ-IDs)"
            options={{ paging: false, search: false, padding: 'dense' }}
            columns={summaryColumns}
            data={regionGpus}
            onRowClick={(_e, row) => setSelected(row)}
          />
        </Grid>
        {selected && <CapacityDrillDown ref={drillDownRef} selection={selected} />}
        <Grid item xs={12} md={7}>
          <MemoMeshCard estate={estate} onPlan={planMesh} onPlanRemoval={planMeshRemoval} planning={planning} />
        </Grid>
        <Grid item xs={12} md={5}>
          <MemoIslandsCard />
        </Grid>
        <Grid item xs={12}>
          <Typography variant="h5" component="h2" gutterBottom>
            Nodes
          </Typography>
          <MemoHubClusterSection />
        </Grid>
        <Grid item xs={12}>
          <MemoAccountsCard accounts={estate.accounts} />
        </Grid>
        <Grid item xs={12}>
          <MemoCellsCard cells={estate.cells} />
        </Grid>
      </Grid>
    </>
  );
};

/**
 * The estate page: capacity by region × GPU as a heat map and a table with drill-down to
 * AZ-IDs, spot against on-demand prices, the peering mesh, islands, and cell health.
 */
export const FabricEstatePage = () => {
  const state = useEstate();
  return (
    <Page themeId="tool">
      <Header
        title="GPU Fabric"
        subtitle="GPU capacity across every enrolled AWS account, region and AZ-ID"
      />
      <Content>
        {state.loading && <Progress />}
        {state.error && <ResponseErrorPanel error={state.error} />}
        {state.value && <EstateContent value={state.value} />}
      </Content>
    </Page>
  );
};
