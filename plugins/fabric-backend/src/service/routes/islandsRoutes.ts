import { accountIdSchema, fabricIslandManagePermission } from '@internal/backstage-plugin-fabric-common';
import { MAX_ISLAND_ID_LENGTH } from '@internal/backstage-plugin-fabric-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { PlacementStore } from '../../database/FabricStore';
import { EstateService } from '../EstateService';
import { IslandPlanner, PlanRunner } from '../plans';
import { findPlacement } from './placementsRoutes';
import { jsonBody, parseOrThrow, principalRef, RouteHelpers } from './routeHelpers';

const islandIdSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be an island id (a DNS label)')
  .max(MAX_ISLAND_ID_LENGTH);

/** What an island from a placement may say besides the placement: where it goes. */
const islandFromPlacementSchema = z
  .object({
    placementId: z.string({ invalid_type_error: 'must be a placement id (UUID)' }),
    id: islandIdSchema.optional(),
    networkAccountId: accountIdSchema,
    vpcId: z.string({ required_error: 'is required', invalid_type_error: 'must be a VPC id' }).regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id such as vpc-0a1b2c3d4e5f60718'),
    vpcCidr: z.string({ invalid_type_error: 'must be an IPv4 CIDR' }).max(18).optional(),
    subnetCidr: z.string({ required_error: 'is required', invalid_type_error: 'must be an IPv4 CIDR' }).max(18),
    capacityBlockIds: z
      .array(z.string().regex(/^cr-[0-9a-f]{8,17}$/, 'must be a capacity reservation id'), {
        invalid_type_error: 'must be a list of capacity reservation ids',
      })
      .max(100)
      .optional(),
  })
  .strict();


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
      const body = jsonBody(req) as { placementId?: unknown } | undefined;
      if (body?.placementId === undefined) {
        return islands.plan(body, principalRef(credentials), await estate.inventory());
      }
      // From a placement: the options are checked here as strictly as a spec is.
      const fromPlacement = parseOrThrow(islandFromPlacementSchema, body, 'island from a placement');
      const placement = (await findPlacement(store, fromPlacement.placementId, 'placementId')).placement;
      return islands.plan(fromPlacement, principalRef(credentials), await estate.inventory(), placement);
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
