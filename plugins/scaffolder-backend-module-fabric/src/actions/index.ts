export { createFabricCapacityQueryAction } from './capacityQuery';
export { createFabricPlacementRequestAction } from './placementRequest';
export { createFabricIslandCreateAction } from './islandCreate';
export { createFabricMeshApplyAction } from './meshApply';
export { createFabricManifestsRenderAction } from './manifestsRender';
export { FabricApiClient } from './FabricApiClient';
