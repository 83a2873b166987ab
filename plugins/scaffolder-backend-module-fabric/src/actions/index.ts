export { createFabricCapacityQueryAction } from './capacityQuery';
export { FabricApiClient } from './FabricApiClient';
