import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StructuredMetadataTable,
  Table,
  TableColumn,
} from '@backstage/core-components';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  NodeClaimRow,
  PendingPodRow,
  ProvisionerHealthResponse,
} from '@internal/backstage-plugin-fabric-common';
import { CellNodes, useHubCluster } from '../../hooks/useHubCluster';
import { age, elapsed, usd } from '../shared/format';

const stateOf = (row: NodeClaimRow) => {
  const label = (() => {
    switch (row.state) {
      case 'Ready':
        return <StatusOK>Ready</StatusOK>;
      case 'Registered':
        return <StatusRunning>Registered</StatusRunning>;
      case 'Launching':
        return <StatusPending>Launching</StatusPending>;
      case 'Terminating':
        return <StatusAborted>Terminating</StatusAborted>;
      default:
        return <StatusError>{row.state}</StatusError>;
    }
  })();
  return (
    <>
      {label}
      {row.reason && (
        <Typography variant="caption" display="block" color="textSecondary">
          {row.reason}
        </Typography>
      )}
    </>
  );
};

const nodeColumns: TableColumn<CellNodes['rows'][number]>[] = [
  { title: 'Node claim', field: 'name' },
  { title: 'State', render: stateOf },
  {
    title: 'Instance',
    render: row => [row.instanceType, row.instanceId].filter(Boolean).join(' · ') || '—',
  },
  { title: 'Node', render: row => row.nodeName ?? '—' },
  { title: 'AZ-ID', render: row => row.azId ?? '—' },
  { title: 'Capacity', render: row => row.capacityType ?? '—' },
  { title: 'Age', render: row => elapsed(row.ageSeconds), customSort: (a, b) => a.ageSeconds - b.ageSeconds },
  { title: '$/h', render: row => usd(row.pricePerHour) },
];

const podColumns: TableColumn<PendingPodRow & { id: string }>[] = [
  { title: 'Pod', render: row => `${row.namespace}/${row.name}` },
  { title: 'Placement', render: row => row.placement ?? '—' },
  { title: "The fabric's reason", render: row => row.reason ?? 'waiting for the provisioner' },
  { title: 'Waiting since', render: row => age(row.since) },
];

/** One cell's fabric nodes, titled by the cell's account and region. */
export const CellNodesTable = ({ cell }: { cell: CellNodes }) => (
  <Table
    title={`Nodes in ${cell.accountId && cell.region ? `${cell.accountId} · ${cell.region}` : cell.cell}`}
    subtitle={`${cell.rows.length} node${cell.rows.length === 1 ? '' : 's'} · ${usd(cell.pricePerHour)}/h`}
    options={{ paging: false, search: false, padding: 'dense' }}
    columns={nodeColumns}
    data={cell.rows}
  />
);

/** Pods still waiting for a fabric node, with what the fabric last said about each. */
export const PendingPodsTable = ({ pods }: { pods: PendingPodRow[] }) => (
  <Table
    title="Pending pods"
    subtitle="Fabric pods not yet bound to a node"
    options={{ paging: pods.length > 20, pageSize: 20, search: false, padding: 'dense' }}
    columns={podColumns}
    data={pods.map(pod => ({ ...pod, id: `${pod.namespace}/${pod.name}` }))}
    emptyContent={<Typography style={{ padding: 16 }}>No fabric pod is waiting for a node.</Typography>}
  />
);

/** Who is provisioning, when it last decided, how fast, and how much is waiting. */
export const ProvisionerHealthCard = ({ health }: { health: ProvisionerHealthResponse }) => {
  let status;
  if (!health.leader) status = <StatusPending>no provisioner has run on this cluster</StatusPending>;
  else if (health.leaseExpired) status = <StatusError>leader lease expired: nothing is provisioning</StatusError>;
  else status = <StatusOK>leading</StatusOK>;
  return (
    <InfoCard title="Provisioner" subheader="The one active loop per hub cluster, from its leader-election Lease">
      <StructuredMetadataTable
        metadata={{
          Status: status,
          Leader: health.leader ?? '—',
          'Lease renewed': health.renewedAt ? age(health.renewedAt) : '—',
          'Last batch': health.lastBatchAt ? age(health.lastBatchAt) : '—',
          'Decisions/s': health.decisionsPerSecond ?? '—',
          'Pending pods': health.pendingPods ?? '—',
        }}
      />
    </InfoCard>
  );
};

/** Says there is no hub cluster to show, and how to get one. */
export const NoHubClusterCard = () => (
  <InfoCard title="Nodes and provisioner" subheader="No hub cluster is configured">
    <Typography variant="body2" paragraph>
      The fabric shows the nodes its provisioner launches and the pods it is placing once it can read the hub
      cluster. Set <code>fabric.hub.kubernetes</code> (API server URL and a service-account token) in the
      backend&apos;s configuration.
    </Typography>
    <Typography variant="body2">
      To watch it work without AWS, run <code>npm run sandbox</code>: a local hub cluster, moto accounts and the
      provisioner on one machine.
    </Typography>
  </InfoCard>
);

/**
 * The fabric's live nodes per cell, the pods still waiting with the fabric's reason, and the
 * provisioner's health; for the whole estate, or only one entity's when `entityRef` is set.
 */
export const HubClusterSection = ({ entityRef }: { entityRef?: string }) => {
  const { value, error, loading } = useHubCluster(entityRef);
  if (!value && loading) return <Progress />;
  if (!value && error) return <ResponseErrorPanel title="The hub cluster could not be read" error={error} />;
  if (!value) return null;
  if (!value.nodeClaims.configured) return <NoHubClusterCard />;
  return (
    <Grid container spacing={3}>
      {/* A failed refresh keeps the last answer on screen and says so. */}
      {error && (
        <Grid item xs={12}>
          <ResponseErrorPanel title="The hub cluster could not be read again; showing the last answer" error={error} />
        </Grid>
      )}
      <Grid item xs={12} md={4}>
        <ProvisionerHealthCard health={value.provisioner} />
      </Grid>
      <Grid item xs={12} md={8}>
        <PendingPodsTable pods={value.nodeClaims.pendingPods} />
      </Grid>
      {value.cells.length === 0 && (
        <Grid item xs={12}>
          <Typography variant="body2">
            {entityRef ? 'The fabric has launched no node for this entity.' : 'The fabric has launched no node yet.'}
          </Typography>
        </Grid>
      )}
      {value.cells.map(cell => (
        <Grid item xs={12} key={cell.cell}>
          <CellNodesTable cell={cell} />
        </Grid>
      ))}
    </Grid>
  );
};
