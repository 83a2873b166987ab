import { useMemo } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { useApi } from '@backstage/core-plugin-api';
import { CapacityFilter, fabricApiRef } from '../api/FabricApi';
import {
  CapacityNeed,
  capacityChoices,
  capacityFilterFor,
} from '../components/CapacityPicker/capacityChoices';

/**
 * Live capacity for a need, as regions and AZ-IDs to choose from. Queried again only
 * when the filter the need implies changes, not on every keystroke elsewhere in the form.
 */
export function useCapacityChoices(need: CapacityNeed) {
  const api = useApi(fabricApiRef);
  const filterKey = JSON.stringify(capacityFilterFor(need));
  const state = useAsync(() => api.capacity(JSON.parse(filterKey) as CapacityFilter), [api, filterKey]);
  const choices = useMemo(
    () => (state.value ? capacityChoices(state.value, need.intent) : []),
    [state.value, need.intent],
  );
  return { state, choices };
}
