/**
 * Scaffolder actions of CloudSpectra Fabric.
 *
 * @packageDocumentation
 */
export { scaffolderModuleFabric as default } from './module';
export { createFabricCapacityQueryAction, FabricApiClient } from './actions';
