export { HubClusterSection, ProvisionerHealthCard, PendingPodsTable, CellNodesTable, NoHubClusterCard } from './HubClusterSection';
