import { InfoCard, Link } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';

/**
 * What an EFA training island is and where one is made. There is no list of islands in
 * the REST API, so the card explains and links rather than listing.
 */
export const IslandsCard = () => (
  <InfoCard
    title="EFA training islands"
    subheader="Where tightly-coupled gangs run: one AZ-ID, one EFA-capable instance type"
  >
    <Typography variant="body2" paragraph>
      EFA traffic does not cross AZ-IDs, VPCs or regions and never rides the peering mesh, so a
      tightly-coupled gang runs inside an island: one subnet in one AZ-ID of the network account's
      shared VPC, a security group that allows all traffic between its members, and a cluster
      placement group, all three shared with the member accounts through AWS RAM; per instance type,
      a launch template in each member account and a Karpenter node class and node pool on the hub
      cluster.
    </Typography>
    <Typography variant="body2">
      Islands are created from the training-island template: it plans the island for review,
      then applies it step by step.{' '}
      <Link to="/create">Create a training island</Link>
    </Typography>
  </InfoCard>
);
