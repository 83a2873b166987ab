export { discoverEstate, DEFAULT_DISCOVERY_CONCURRENCY } from './discoverEstate';
export type { DiscoverEstateOptions } from './discoverEstate';
export { discoverCell, DEFAULT_CELL_TIMEOUT_MS } from './discoverCell';
export type { CellDiscovery, DiscoverCellOptions, DiscoverySettings } from './discoverCell';
export type { DiscoveryClients, DiscoveryLogger } from './types';
export { onDemandListPrices, builtInOnDemandPrice } from './onDemandPrices';
export type { OnDemandPriceLookup } from './onDemandPrices';
export {
  MIN_TYPES_PER_PLACEMENT_QUERY,
  DEFAULT_PLACEMENT_TARGET_CAPACITY,
  placementScoreQueries,
} from './spotPlacementScores';
export type { PlacementScoreQuery } from './spotPlacementScores';
export { SPOT_PRODUCT_DESCRIPTION } from './spotPrices';
