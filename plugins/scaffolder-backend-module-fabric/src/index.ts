/**
 * Scaffolder actions of CloudSpectra Fabric.
 *
 * @packageDocumentation
 */
export { scaffolderModuleFabric as default } from './module';
export {
  createFabricCapacityQueryAction,
  createFabricPlacementRequestAction,
  createFabricIslandCreateAction,
  createFabricMeshApplyAction,
  createFabricManifestsRenderAction,
  FabricApiClient,
} from './actions';
