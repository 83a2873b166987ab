import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
  StatusWarning,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { rootRouteRef } from '../../routes';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { cellId, PlacementRecord } from '@internal/backstage-plugin-fabric-common';
import { PlacementRow, usePlacements } from '../../hooks/usePlacements';
import { usePlans } from '../../hooks/usePlans';
import { usd } from '../shared/format';

const statusOf = (record: PlacementRecord) => {
  switch (record.placement.status) {
    case 'placed':
      return <StatusOK>placed</StatusOK>;
    case 'cannot-place-now':
      return <StatusWarning>cannot place now</StatusWarning>;
    default:
      return <StatusError>{record.placement.status}</StatusError>;
  }
};

const columns: TableColumn<PlacementRow>[] = [
  { title: 'Planned', render: r => new Date(r.createdAt).toLocaleString() },
  { title: 'Intent', render: r => r.placement.intent },
  { title: 'Status', render: statusOf },
  { title: 'GPUs', render: r => `${r.placement.totals.gpus} / ${r.placement.request.gpu.totalGpus}` },
  {
    title: 'Where (AZ-ID · cell)',
    render: r =>
      [...new Set(r.placement.chosen.map(c => `${c.azId} (${c.azName}) · ${cellId(c)}`))].join(', ') || '—',
  },
  { title: 'Compute $/h', render: r => usd(r.placement.cost.computePerHour) },
  { title: 'Network $/month', render: r => usd(r.placement.cost.networkPerMonth) },
  { title: 'Spot share', render: r => `${Math.round(r.placement.cost.spotShare * 100)}%` },
];

/** Plans made for a placement (its cells on the hub cluster), with links to follow them. */
const PlacementPlans = ({ placementId }: { placementId: string }) => {
  const fabricRoot = useRouteRef(rootRouteRef);
  const plans = usePlans({ kind: 'cells', subject: placementId });
  if (!plans.value || plans.value.length === 0) return null;
  return (
    <>
      <Typography variant="subtitle2">Plans</Typography>
      <ul>
        {plans.value.map(plan => (
          <li key={plan.id}>
            <Link to={`${fabricRoot()}/plans/${plan.id}`}>{plan.plan.title}</Link> — {plan.status}
          </li>
        ))}
      </ul>
    </>
  );
};

/** A placement's reasons, rejected alternatives and compiled artifacts. */
const PlacementDetail = ({ record }: { record: PlacementRecord }) => (
  <Box padding={2}>
    <PlacementPlans placementId={record.id} />
    <Typography variant="subtitle2">Why</Typography>
    <ul>
      {record.placement.reasons.map((reason, i) => (
        <li key={i}>
          <Typography variant="body2">{reason}</Typography>
        </li>
      ))}
    </ul>
    {record.placement.largestFeasibleGpus !== undefined && (
      <Typography variant="body2" paragraph>
        Largest size that fits now: {record.placement.largestFeasibleGpus} GPUs.
      </Typography>
    )}
    {record.placement.rejected.length > 0 && (
      <>
        <Typography variant="subtitle2">Not chosen ({record.placement.rejected.length})</Typography>
        <ul>
          {record.placement.rejected.slice(0, 8).map((r, i) => (
            <li key={i}>
              <Typography variant="body2">
                {r.instanceType} {r.capacityType} in {r.azId} ({cellId(r)}): {r.reason}
              </Typography>
            </li>
          ))}
        </ul>
      </>
    )}
    {record.artifacts && (
      <>
        <Typography variant="subtitle2">Karpenter objects for the hub cluster</Typography>
        <pre style={{ maxHeight: 320, overflow: 'auto', fontSize: 12 }}>{record.artifacts.yaml}</pre>
      </>
    )}
  </Box>
);

/** The workload's placements: where it can run and where it does, with reasons and cost. */
export const PlacementsCard = ({ entityRef }: { entityRef: string }) => {
  const state = usePlacements(entityRef);
  if (state.loading) return <Progress />;
  if (state.error) return <ResponseErrorPanel error={state.error} />;
  return (
    <InfoCard title="Placements" subheader="Decisions for this workload, newest first; select one for its reasons and artifacts">
      <Table<PlacementRow>
        options={{ paging: false, search: false, toolbar: false, padding: 'dense' }}
        columns={columns}
        data={state.value ?? []}
        detailPanel={({ rowData }) => <PlacementDetail record={rowData} />}
        emptyContent={
          <Typography style={{ padding: 16 }}>
            No placement yet. Request one with the “GPU workload” template or POST /api/fabric/placements.
          </Typography>
        }
      />
    </InfoCard>
  );
};
