/**
 * CloudSpectra Fabric frontend plugin.
 *
 * @packageDocumentation
 */
export {
  fabricPlugin,
  FabricEstatePage,
  EntityFabricContent,
  FabricCapacityPickerFieldExtension,
  isFabricAvailable,
} from './plugin';
export {
  fabricCapacityPickerValidation,
  type FabricCapacityPickerValue,
} from './components/CapacityPicker';
export { fabricApiRef, type FabricApi, type CapacityFilter, type NodeClaimFilter } from './api/FabricApi';
// The wire types the client returns, defined once in the common package.
export type {
  EstateResponse,
  PlanFilter,
  PlanSummary,
  PlanView,
  PlanStepView,
} from '@internal/backstage-plugin-fabric-common';
export { FabricClient } from './api/FabricClient';
