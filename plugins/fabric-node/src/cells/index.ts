export { planCellProvisioning } from './planCellProvisioning';
export { renderCellJoinArtifacts } from './joinArtifacts';
export type { CellJoinArtifacts, CellJoinInput, SupportStatus } from './joinArtifacts';
export { CELL_STEP_TYPES, cellNetworkExecutors, cellNetworkName, cellNetworkNeeds, cellNetworkSteps } from './cellNetwork';
export type { CellNetworkInput, CellNetworkNeed } from './cellNetwork';
