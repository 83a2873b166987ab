import {
  AuditorService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { HubClusterReader } from '@internal/backstage-plugin-fabric-node';
import express from 'express';
import Router from 'express-promise-router';
import { DatabaseWorkloadStore } from '../database/DatabaseWorkloadStore';
import { PlacementStore } from '../database/FabricStore';
import { EstateService } from './EstateService';
import { PlacementService } from './PlacementService';
import { Planning } from './plans';
import { capacityRoutes } from './routes/capacityRoutes';
import { estateRoutes } from './routes/estateRoutes';
import { hubClusterRoutes } from './routes/hubClusterRoutes';
import { islandsRoutes } from './routes/islandsRoutes';
import { meshRoutes } from './routes/meshRoutes';
import { placementsRoutes } from './routes/placementsRoutes';
import { plansRoutes } from './routes/plansRoutes';
import { refusalErrors } from './routes/refusalErrors';
import { createRouteHelpers, deferBodyErrors } from './routes/routeHelpers';
import { workloadsRoutes } from './routes/workloadsRoutes';

export interface RouterOptions {
  estate: EstateService;
  placements: PlacementService;
  planning: Planning;
  store: PlacementStore;
  workloads: DatabaseWorkloadStore;
  auditor: AuditorService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  logger: LoggerService;
  /** Reads the provisioner's state from the hub cluster; absent without `fabric.hub.kubernetes`. */
  hubCluster?: HubClusterReader;
}

/** The fabric REST API, mounted at /api/fabric. */
export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { estate, placements, planning, store, workloads } = options;
  const { mesh, islands, cells, runner } = planning;
  const helpers = createRouteHelpers(options);
  const router = Router();
  router.use(express.json({ limit: '1mb' }));
  router.use(deferBodyErrors);

  router.use(estateRoutes({ estate, helpers }));
  router.use(capacityRoutes({ estate, helpers }));
  router.use(placementsRoutes({ estate, placements, cells, store, helpers }));
  router.use(workloadsRoutes({ workloads, helpers }));
  router.use(meshRoutes({ mesh, runner, helpers }));
  router.use(islandsRoutes({ estate, islands, runner, store, helpers }));
  router.use(plansRoutes({ runner, helpers }));
  router.use(hubClusterRoutes({ reader: options.hubCluster, store, helpers }));

  // Unknown fabric routes answer in JSON like every other error, not with the app's HTML.
  router.use((req, _res) => {
    throw new NotFoundError(`No fabric route for ${req.method} ${req.path}`);
  });
  router.use(refusalErrors);

  return router;
}
