/**
 * CloudSpectra Fabric frontend plugin.
 *
 * @packageDocumentation
 */
export { fabricPlugin, FabricEstatePage, EntityFabricContent, isFabricAvailable } from './plugin';
export { fabricApiRef, type FabricApi, type CapacityFilter, type EstateResponse } from './api/FabricApi';
export { FabricClient } from './api/FabricClient';
