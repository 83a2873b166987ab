import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { PlacementsCard } from './PlacementsCard';
import { HubClusterSection } from '../HubCluster';
import {
  CapacityRow,
  FABRIC_INTENTS,
  FABRIC_WORKLOAD_ANNOTATION,
  FabricIntent,
} from '@internal/backstage-plugin-fabric-common';
import { useWorkloadCapacity } from '../../hooks/useWorkloadCapacity';
import { azLabel, usd } from '../shared/format';
import { SourceChip } from '../shared/SourceChip';

/** `throughput, tightly-coupled or balanced` */
const knownIntents = `${FABRIC_INTENTS.slice(0, -1).join(', ')} or ${FABRIC_INTENTS[FABRIC_INTENTS.length - 1]}`;

const intentText: Record<FabricIntent, string> = {
  throughput:
    'spread across cells and AZ-IDs, spot first: the cheapest capacity with a good placement score',
  'tightly-coupled':
    'one AZ-ID, EFA-capable types only, inside an EFA training island; never over the peering mesh',
  balanced:
    'one preferred region spread over its AZ-IDs, mixing spot and on-demand',
};

const columns: TableColumn<CapacityRow & { id: string }>[] = [
  { title: 'Region', field: 'region' },
  {
    title: 'AZ-ID (account-local name)',
    render: row => azLabel(row.azId, row.azName),
  },
  { title: 'Account', field: 'accountName' },
  { title: 'Instance type', field: 'instanceType' },
  { title: 'GPU', render: row => `${row.gpuCount}× ${row.gpu}` },
  { title: 'Capacity', field: 'capacityType' },
  { title: '$/GPU-h', render: row => usd(row.pricePerHour / row.gpuCount) },
  { title: 'Spot score', render: row => row.placementScore ?? '—' },
  {
    title: 'Nodes within quota',
    field: 'quotaHeadroomInstances',
    type: 'numeric',
  },
];

/** The "GPU Fabric" tab: capacity available now for the workload's declared intent. */
export const EntityFabricContent = () => {
  const { entity } = useEntity();
  const { annotation, intent, gpu, entityRef, state } = useWorkloadCapacity(entity);

  if (!annotation) {
    return (
      <MissingAnnotationEmptyState annotation={FABRIC_WORKLOAD_ANNOTATION} />
    );
  }
  if (!intent) {
    return (
      <WarningPanel
        title="Unknown fabric intent"
        message={`The annotation ${FABRIC_WORKLOAD_ANNOTATION} is "${annotation}"; use ${knownIntents}.`}
      />
    );
  }
  if (state.loading) return <Progress />;
  if (state.error) return <ResponseErrorPanel error={state.error} />;

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <PlacementsCard entityRef={entityRef} />
      </Grid>
      <Grid item xs={12}>
        <Typography variant="h6" component="h2" gutterBottom>
          Nodes for this workload
        </Typography>
        <HubClusterSection entityRef={entityRef} />
      </Grid>
      <Grid item xs={12}>
        <InfoCard
          title={`Capacity for a ${intent} workload${gpu ? ` (${gpu})` : ''}`}
          subheader={intentText[intent]}
          action={state.value && <SourceChip source={state.value.capacity.source} />}
        >
          {state.value && state.value.capacity.staleCells.length > 0 && (
            <Typography variant="body2" color="textSecondary" paragraph>
              {state.value.capacity.staleCells.length} cell(s) could not be discovered;
              capacity there is not shown.
            </Typography>
          )}
          <Table
            options={{
              paging: true,
              pageSize: 10,
              search: false,
              toolbar: false,
              padding: 'dense',
            }}
            columns={columns}
            data={state.value?.rows ?? []}
            emptyContent={
              <Typography style={{ padding: 16 }}>
                No capacity within quota matches this intent now.
              </Typography>
            }
          />
        </InfoCard>
      </Grid>
    </Grid>
  );
};
