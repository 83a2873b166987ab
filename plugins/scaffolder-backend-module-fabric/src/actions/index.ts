export { createFabricCapacityQueryAction } from './capacityQuery';
export { createFabricPlacementRequestAction } from './placementRequest';
export { createFabricIslandCreateAction } from './islandCreate';
export { createFabricMeshApplyAction } from './meshApply';
export { createFabricManifestsRenderAction } from './manifestsRender';
export { createFabricWorkloadRegisterAction } from './workloadRegister';
export { FabricApiClient } from './FabricApiClient';
export { createFabricActions } from './fabricActions';
