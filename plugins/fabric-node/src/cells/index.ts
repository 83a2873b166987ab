export { planCellProvisioning } from './planCellProvisioning';
export { renderCellJoinArtifacts } from './joinArtifacts';
export type { CellJoinArtifacts, CellJoinInput, SupportStatus } from './joinArtifacts';
