export {
  islandSpecSchema,
  validateIsland,
  islandFromPlacement,
  IslandRefusedError,
  islandRefusalRule,
  MAX_ISLAND_ID_LENGTH,
} from './IslandSpec';
export type { IslandSpec, IslandCapacityReservation, IslandValidation, IslandFromPlacementOptions } from './IslandSpec';
export { islandNetworkInterfaces, launchTemplateNetworkInterfaces } from './nicLayout';
export type { LaunchTemplateNetworkInterface } from './nicLayout';
export { islandKarpenterObjects, islandObjectName } from './islandKarpenter';
export type { IslandResourceIds, IslandNodeClass, IslandKarpenterObjects } from './islandKarpenter';
export {
  planIsland,
  ISLAND_STEP_TYPES,
  islandStepKeys,
  islandResourceName,
  islandLaunchTemplateName,
} from './planIsland';
export type { PlanIslandContext } from './planIsland';
export { islandExecutors, launchTemplateDrift } from './islandExecutors';
export type { IslandExecutorOptions } from './islandExecutors';
export { kubernetesExecutors, containsFields } from './kubernetesExecutors';
export type { IslandKubernetesApplier } from './kubernetesExecutors';
