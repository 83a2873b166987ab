import { fabricIslandManagePermission } from '@internal/backstage-plugin-fabric-common';
import { MAX_ISLAND_ID_LENGTH } from '@internal/backstage-plugin-fabric-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { PlacementStore } from '../../database/FabricStore';
import { EstateService } from '../EstateService';
import { IslandPlanner, PlanRunner } from '../plans';
import { findPlacement } from './placementsRoutes';
import { parseOrThrow, principalRef, RouteHelpers } from './routeHelpers';

const islandIdSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be an island id (a DNS label)')
  .max(MAX_ISLAND_ID_LENGTH);

/** EFA training islands: plan one, apply its newest plan, plan its removal. */
export function islandsRoutes(options: {
  estate: EstateService;
  islands: IslandPlanner;
  runner: PlanRunner;
  store: PlacementStore;
  helpers: RouteHelpers;
}): express.Router {
  const { estate, islands, runner, store, helpers } = options;
  const router = Router();

  router.post('/islands', async (req, res) => {
    const credentials = await helpers.requirePermission(req, fabricIslandManagePermission);
    const record = await helpers.audited(req, 'island-plan', {}, async () => {
      const placementId = req.body?.placementId;
      const placement =
        placementId === undefined ? undefined : (await findPlacement(store, placementId, 'placementId')).placement;
      return islands.plan(req.body, principalRef(credentials), await estate.inventory(), placement);
    });
    res.status(201).json(record);
  });

  router.post('/islands/:id/apply', async (req, res) => {
    await helpers.requirePermission(req, fabricIslandManagePermission);
    const islandId = parseOrThrow(islandIdSchema, req.params.id, 'island id');
    const view = await helpers.audited(req, 'island-apply', { island: islandId }, async () =>
      runner.startApply((await islands.latest(islandId)).id),
    );
    res.status(202).json(view);
  });

  router.delete('/islands/:id', async (req, res) => {
    const credentials = await helpers.requirePermission(req, fabricIslandManagePermission);
    const islandId = parseOrThrow(islandIdSchema, req.params.id, 'island id');
    const record = await helpers.audited(req, 'island-destroy-plan', { island: islandId }, () =>
      islands.planDestroy(islandId, principalRef(credentials)),
    );
    res.status(201).json(record);
  });

  return router;
}
