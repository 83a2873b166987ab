import { CustomFieldValidator } from '@backstage/plugin-scaffolder-react';
import { fabricApiRef } from '../../api/FabricApi';
import {
  capacityFilterFor,
  checkCapacityChoice,
  FabricCapacityPickerValue,
  needFromForm,
} from './capacityChoices';

/**
 * Validation of the `FabricCapacityPicker` field: the chosen AZ-ID must belong to the
 * chosen region, and the choice must hold `totalGpus` for the form's intent on live
 * capacity (a tightly-coupled gang in its one AZ-ID). Reads `intent`, `gpu` and
 * `totalGpus` from the form.
 * @public
 */
export const fabricCapacityPickerValidation: CustomFieldValidator<FabricCapacityPickerValue> = async (
  value,
  validation,
  context,
) => {
  if (!value?.region && !value?.azId) return;
  const api = context.apiHolder.get(fabricApiRef);
  if (!api) {
    validation.addError('Capacity cannot be checked: the fabric API is not available');
    return;
  }
  const need = needFromForm(context.formData);
  let capacity;
  try {
    capacity = await api.capacity(capacityFilterFor(need));
  } catch (error) {
    validation.addError(`Capacity could not be checked: ${(error as Error).message}`);
    return;
  }
  const problem = checkCapacityChoice(value, need, capacity);
  if (problem) validation.addError(problem);
};
