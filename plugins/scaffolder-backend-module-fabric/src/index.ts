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
  createFabricWorkloadRegisterAction,
  FabricApiClient,
} from './actions';
