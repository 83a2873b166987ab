export { FabricCapacityPicker } from './CapacityPicker';
export { fabricCapacityPickerValidation } from './validation';
export {
  capacityChoices,
  capacityFilterFor,
  checkCapacityChoice,
  needFromForm,
  type CapacityNeed,
  type FabricCapacityPickerValue,
} from './capacityChoices';
