import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { FABRIC_WORKLOAD_ANNOTATION } from '@internal/backstage-plugin-fabric-common';
import { fabricApiRef } from './api/FabricApi';
import { FabricClient } from './api/FabricClient';
import { entityContentRouteRef, rootRouteRef } from './routes';

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
