import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import { FABRIC_WORKLOAD_ANNOTATION } from '@internal/backstage-plugin-fabric-common';
import { fabricApiRef } from './api/FabricApi';
import { FabricClient } from './api/FabricClient';
import { entityContentRouteRef, rootRouteRef } from './routes';
import {
  FabricCapacityPicker,
  FabricCapacityPickerValue,
  fabricCapacityPickerValidation,
} from './components/CapacityPicker';

/** @public */
export const fabricPlugin = createPlugin({
  id: 'fabric',
  routes: { root: rootRouteRef, entityContent: entityContentRouteRef },
  apis: [
    createApiFactory({
      api: fabricApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new FabricClient(deps),
    }),
  ],
});

/** The estate page: capacity across every account, region and AZ-ID. @public */
export const FabricEstatePage = fabricPlugin.provide(
  createRoutableExtension({
    name: 'FabricEstatePage',
    component: () => import('./components/FabricRouter').then(m => m.FabricRouter),
    mountPoint: rootRouteRef,
  }),
);

/** The "GPU Fabric" tab of a component. @public */
export const EntityFabricContent = fabricPlugin.provide(
  createRoutableExtension({
    name: 'EntityFabricContent',
    component: () =>
      import('./components/EntityFabricContent').then(m => m.EntityFabricContent),
    mountPoint: entityContentRouteRef,
  }),
);

/** True when the entity opted into the fabric with its workload annotation. @public */
export const isFabricAvailable = (entity: Entity): boolean =>
  Boolean(entity.metadata.annotations?.[FABRIC_WORKLOAD_ANNOTATION]);

/**
 * Scaffolder field `FabricCapacityPicker` (`ui:field: FabricCapacityPicker` on an object
 * property): pick a region and optionally an AZ-ID from live capacity for the form's
 * `intent`, `gpu` and `totalGpus`. Stores `{ region?, azId? }`. Mount it inside
 * `<ScaffolderFieldExtensions>` under the scaffolder route.
 * @public
 */
export const FabricCapacityPickerFieldExtension = fabricPlugin.provide(
  createScaffolderFieldExtension<FabricCapacityPickerValue>({
    name: 'FabricCapacityPicker',
    component: FabricCapacityPicker,
    validation: fabricCapacityPickerValidation,
    schema: {
      returnValue: {
        type: 'object',
        properties: {
          region: { type: 'string', description: 'Region, e.g. us-east-1' },
          azId: { type: 'string', description: 'AZ-ID of the region, e.g. use1-az4' },
        },
      },
    },
  }),
);
