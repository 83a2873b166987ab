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
export {
  fabricApiRef,
  type FabricApi,
  type CapacityFilter,
  type EstateResponse,
  type PlanFilter,
  type PlanSummary,
  type PlanView,
  type PlanStepView,
} from './api/FabricApi';
export { FabricClient } from './api/FabricClient';
