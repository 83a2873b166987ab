import {
  fabricCapacityReadPermission,
  fabricEstateRefreshPermission,
} from '@internal/backstage-plugin-fabric-common';
import express from 'express';
import Router from 'express-promise-router';
import { EstateService } from '../EstateService';
import { RouteHelpers } from './routeHelpers';

/** Health, the enrolled estate, and discovery on request. */
export function estateRoutes(options: { estate: EstateService; helpers: RouteHelpers }): express.Router {
  const { estate, helpers } = options;
  const router = Router();

  // Open to unauthenticated callers (see the plugin's auth policy): it says nothing private.
  router.get('/health', async (_req, res) => {
    res.json(await estate.health());
  });

  router.get('/estate', async (req, res) => {
    await helpers.requirePermission(req, fabricCapacityReadPermission);
    res.json(await estate.view());
  });

  router.post('/refresh', async (req, res) => {
    await helpers.requirePermission(req, fabricEstateRefreshPermission);
    const inventory = await helpers.audited(req, 'estate-refresh', {}, () => estate.refresh());
    res.status(200).json({
      snapshot: inventory.id,
      takenAt: inventory.takenAt,
      cells: inventory.cells.length,
      staleCells: inventory.cells.filter(c => !c.fresh).length,
    });
  });

  return router;
}
