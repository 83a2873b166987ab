import { forwardRef } from 'react';
import { Progress, ResponseErrorPanel, Table, TableColumn } from '@backstage/core-components';
import Grid from '@material-ui/core/Grid';
import {
  OfferingRow,
  RegionGpuSelection,
  useCapacityDrillDown,
  ZoneRow,
} from '../../hooks/useCapacityDrillDown';
import { azLabel, usd } from '../shared/format';

const zoneColumns: TableColumn<ZoneRow>[] = [
  { title: 'AZ-ID', field: 'azId' },
  { title: 'Local AZ name per account', field: 'names' },
  { title: 'GPUs within quota', field: 'gpus', type: 'numeric' },
  { title: 'Cheapest spot $/GPU-h', render: row => usd(row.cheapestSpot) },
  { title: 'Cheapest on-demand $/GPU-h', render: row => usd(row.cheapestOnDemand) },
];

const offeringColumns: TableColumn<OfferingRow>[] = [
  { title: 'AZ-ID (account-local name)', render: row => azLabel(row.azId, row.azName), customSort: (a, b) => a.azId.localeCompare(b.azId) },
  { title: 'Account', render: row => `${row.accountName} (${row.accountId})` },
  { title: 'Instance type', field: 'instanceType' },
  { title: 'GPUs/node', field: 'gpuCount', type: 'numeric' },
  { title: 'Capacity', field: 'capacityType' },
  { title: '$/h', render: row => usd(row.pricePerHour), customSort: (a, b) => a.pricePerHour - b.pricePerHour },
  { title: 'Spot score', render: row => row.placementScore ?? '—' },
  { title: 'Quota headroom (nodes)', field: 'quotaHeadroomInstances', type: 'numeric' },
];

/**
 * A selected region × GPU by AZ-ID, then offering by offering. The ref marks its top, so
 * the page can bring it into view.
 */
export const CapacityDrillDown = forwardRef<HTMLDivElement, { selection: RegionGpuSelection }>(
  ({ selection }, ref) => {
    const state = useCapacityDrillDown(selection);
    const { region, gpu } = selection;
    return (
      <>
        <Grid item xs={12}>
          <div ref={ref} />
          {state.loading && <Progress />}
          {state.error && <ResponseErrorPanel error={state.error} />}
          {!state.loading && state.value && (
            <Table<ZoneRow>
              title={`${gpu} in ${region} by AZ-ID`}
              options={{ paging: false, search: false, padding: 'dense' }}
              columns={zoneColumns}
              data={state.value.zones}
            />
          )}
        </Grid>
        {!state.loading && state.value && (
          <Grid item xs={12}>
            <Table<OfferingRow>
              title={`${gpu} offerings in ${region}`}
              options={{ paging: true, pageSize: 20, search: false, padding: 'dense' }}
              columns={offeringColumns}
              data={state.value.offerings}
            />
          </Grid>
        )}
      </>
    );
  },
);
