import { useParams } from 'react-router-dom';
import {
  Content,
  Header,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { PlanStepView } from '@internal/backstage-plugin-fabric-common';
import { StepRow, usePlan } from '../../hooks/usePlans';
import { usd } from '../shared/format';

const stepStatus = (step: PlanStepView) => {
  switch (step.status) {
    case 'done':
      return <StatusOK>{step.via === 'probe' ? 'done (found)' : 'done'}</StatusOK>;
    case 'running':
      return <StatusRunning>running</StatusRunning>;
    case 'failed':
      return <StatusError>failed</StatusError>;
    default:
      return <StatusPending>pending</StatusPending>;
  }
};

const columns: TableColumn<StepRow>[] = [
  { title: '#', field: 'index', width: '4%' },
  { title: 'Step', field: 'title' },
  { title: 'Call', field: 'type' },
  { title: 'Cell', field: 'cell' },
  { title: 'Status', render: stepStatus },
  { title: 'Result', render: row => row.error ?? (row.output ? summarize(row.output) : '') },
];

/** The ids a step produced, without the engine's bookkeeping fields. */
function summarize(output: Record<string, unknown>): string {
  return Object.entries(output)
    .filter(([key, value]) => key !== 'created' && key !== 'runStarted' && typeof value !== 'object')
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ');
}

/** A plan's steps, shown before anything changes, with live progress while it applies. */
export const PlanPage = () => {
  const { planId = '' } = useParams();
  const { state, plan, steps: rows, apply, applying } = usePlan(planId);

  if (state.loading && !plan) return <Progress />;
  if (state.error && !plan) return <ResponseErrorPanel error={state.error} />;
  if (!plan) return null;

  const done = rows.filter(r => r.status === 'done').length;
  const details = plan.details ?? {};

  return (
    <>
      <Header title={plan.plan.title} subtitle={`${plan.kind} plan ${plan.id} · planned by ${plan.createdBy}`} />
      <Content>
        <Box mb={2}>
          <Typography variant="body1" data-testid="plan-status">
            Status: <b>{plan.status}</b> · {done} of {rows.length} steps done
          </Typography>
          {plan.status === 'applying' && <LinearProgress variant="determinate" value={(100 * done) / Math.max(rows.length, 1)} />}
          {plan.status !== 'applying' && plan.status !== 'applied' && (
            <Box mt={1}>
              <Button variant="contained" color="primary" onClick={apply} disabled={applying}>
                Apply plan
              </Button>
            </Box>
          )}
        </Box>
        {Array.isArray(details.refused) && details.refused.length > 0 && (
          <WarningPanel
            title={`${details.refused.length} pair(s) refused`}
            message={details.refused.map((r: any) => `${r.a} ↔ ${r.b}: ${r.reason}`).join('\n')}
          />
        )}
        {details.cost && (
          <InfoCard title="Monthly network cost of the stated traffic">
            <Typography variant="body2">
              Peering mesh {usd(details.cost.peering?.totalUsd)} · Transit Gateway {usd(details.cost.transitGateway?.totalUsd)}
            </Typography>
          </InfoCard>
        )}
        <Box mt={2}>
          <Table<StepRow>
            title="Steps (each idempotent; apply resumes from the last finished step)"
            options={{ paging: rows.length > 50, pageSize: 50, search: false, padding: 'dense' }}
            columns={columns}
            data={rows}
          />
        </Box>
      </Content>
    </>
  );
};
