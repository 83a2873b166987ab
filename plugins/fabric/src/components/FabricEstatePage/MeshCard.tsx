import { InfoCard, Link, StatusOK, StatusWarning } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import { makeStyles } from '@material-ui/core/styles';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { CellStatus, EstateResponse } from '@internal/backstage-plugin-fabric-common';
import { useMesh } from '../../hooks/useMesh';
import { useLatestPlan } from '../../hooks/usePlans';
import { rootRouteRef } from '../../routes';
import { age } from '../shared/format';

const useStyles = makeStyles({
  matrix: { width: 'auto' },
});

/** Whether an account's cell in a region joins the mesh, and whether its data is fresh. */
const MembershipStatus = ({ cell }: { cell?: CellStatus }) => {
  if (!cell) return <>—</>;
  return cell.fresh ? <StatusOK>joins</StatusOK> : <StatusWarning>joins, stale</StatusWarning>;
};

/**
 * The peering mesh as the estate implies it: one VPC per cell, each peered with every
 * other, N(N−1)/2 peerings, and the latest stored mesh plan. Planning is free and changes
 * nothing; a plan's page shows what is already peered, what is refused, and applies it.
 */
export const MeshCard = ({
  estate,
  onPlan,
  onPlanRemoval,
  planning,
}: {
  estate: EstateResponse;
  onPlan: () => void;
  /** Plans removing what the fabric's mesh created; applied on the plan's page. */
  onPlanRemoval: () => void;
  planning: boolean;
}) => {
  const classes = useStyles();
  const { cells, pairs, regions, matrix } = useMesh(estate);
  const planLink = useRouteRef(rootRouteRef);
  // A failure here leaves the rest of the card: the matrix does not depend on it.
  const latest = useLatestPlan({ kind: 'mesh' });
  return (
    <InfoCard
      title="Peering mesh"
      subheader="Every cell's VPC peered with every other, so workers and data reach each other across accounts and regions (never EFA traffic)"
      actions={
        <>
          <Button variant="outlined" color="primary" onClick={onPlan} disabled={planning || cells.length < 2}>
            Plan the peering mesh
          </Button>
          <Button variant="outlined" onClick={onPlanRemoval} disabled={planning}>
            Plan mesh removal
          </Button>
        </>
      }
    >
      <Typography variant="body2" paragraph data-testid="fabric-mesh-summary">
        {cells.length} cells → {pairs.total} peerings (N(N−1)/2): {pairs.sameRegion} within a region,{' '}
        {pairs.crossRegion} across regions.
      </Typography>
      <Typography variant="body2" paragraph data-testid="fabric-mesh-latest">
        {latest.loading && 'Looking for earlier mesh plans…'}
        {latest.error && `Earlier mesh plans could not be listed: ${latest.error.message}`}
        {!latest.loading && !latest.error && !latest.value && 'No mesh plan yet.'}
        {latest.value && (
          <>
            Latest mesh plan:{' '}
            <Link to={`${planLink()}/plans/${latest.value.id}`}>{latest.value.plan.title}</Link>,{' '}
            {latest.value.status}, by {latest.value.createdBy}, {age(latest.value.createdAt)}.
          </>
        )}
      </Typography>
      {cells.length > 0 && (
        <div style={{ overflowX: 'auto' }}>
          <Table size="small" className={classes.matrix} aria-label="Cells of the mesh by account and region">
            <TableHead>
              <TableRow>
                <TableCell>Account</TableCell>
                {regions.map(region => (
                  <TableCell key={region}>{region}</TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {matrix.map(({ account, cells: byRegion }) => (
                <TableRow key={account}>
                  <TableCell component="th" scope="row" role="rowheader">
                    {account}
                  </TableCell>
                  {byRegion.map((cell, i) => (
                    <TableCell key={regions[i]}>
                      <MembershipStatus cell={cell} />
                    </TableCell>
                  ))}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
      <Typography variant="body2" color="textSecondary" style={{ marginTop: 8 }}>
        Counted here: every discovered cell except the network account's, which holds the shared
        VPC of the EFA islands. The plan itself peers the VPCs tagged fabric.cloudspectra.io/mesh =
        true (one per cell in the demo estate), skips pairs already peered and refuses pairs whose
        CIDRs overlap, so its count can differ. Planning changes nothing; applying is a separate step
        on the plan's page. Removal undoes only the peerings and routes the fabric created; peerings
        made by hand stay.
      </Typography>
    </InfoCard>
  );
};
