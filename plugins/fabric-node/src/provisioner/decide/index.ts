export { decide, NODEPOOL_LABEL } from './decide';
export type { DecideInput, InFlightClaim, NodeClassView } from './decide';
export { allocatableOf, capacityOf, MAX_PODS_PER_NODE } from './scheduling';
