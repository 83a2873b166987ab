export { HubClusterReader, HubClusterUnavailableError, nodeClaimState } from './HubClusterReader';
export type { HubClusterReaderOptions, NodeClaimFilter } from './HubClusterReader';
