import { NotFoundError } from '@backstage/errors';
import {
  entityRefSchema,
  fabricCapacityReadPermission,
  fabricPlacementCreatePermission,
  PlacementRecord,
} from '@internal/backstage-plugin-fabric-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { PlacementStore } from '../../database/FabricStore';
import { EstateService } from '../EstateService';
import { PlacementService } from '../PlacementService';
import { CellPlanner } from '../plans';
import { parseOrThrow, principalRef, recordIdSchema, RouteHelpers, jsonBody } from './routeHelpers';

const placementListSchema = z
  .object({
    entityRef: entityRefSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict();

export const placementIdSchema = recordIdSchema('placement');

/** A stored placement by id, or 404. The id is checked first (400 when malformed). */
export async function findPlacement(store: PlacementStore, rawId: unknown, what: string): Promise<PlacementRecord> {
  const id = parseOrThrow(placementIdSchema, rawId, what);
  const record = await store.getPlacement(id);
  if (!record) throw new NotFoundError(`No placement ${id}`);
  return record;
}

/** Placement decisions: plan one, read them, and provision a placed one's cells. */
export function placementsRoutes(options: {
  estate: EstateService;
  placements: PlacementService;
  cells: CellPlanner;
  store: PlacementStore;
  helpers: RouteHelpers;
}): express.Router {
  const { estate, placements, cells, store, helpers } = options;
  const router = Router();

  router.post('/placements', async (req, res) => {
    const credentials = await helpers.requirePermission(req, fabricPlacementCreatePermission);
    const body = jsonBody(req) as { entityRef?: unknown } | undefined;
    const entityRef = typeof body?.entityRef === 'string' ? body.entityRef : null;
    const record = await helpers.audited(req, 'placement-plan', { entityRef }, () =>
      placements.plan(body, principalRef(credentials)),
    );
    res.status(201).json(record);
  });

  router.post('/placements/:id/provision', async (req, res) => {
    const credentials = await helpers.requirePermission(req, fabricPlacementCreatePermission);
    const record = await findPlacement(store, req.params.id, 'placement id');
    const plan = await helpers.audited(req, 'cells-plan', { placement: record.id }, async () =>
      cells.plan(record, await estate.inventory(), principalRef(credentials)),
    );
    res.status(201).json(plan);
  });

  router.get('/placements', async (req, res) => {
    await helpers.requirePermission(req, fabricCapacityReadPermission);
    const filter = parseOrThrow(placementListSchema, req.query, 'placement filter');
    res.json({ items: await store.listPlacements(filter) });
  });

  router.get('/placements/:id', async (req, res) => {
    await helpers.requirePermission(req, fabricCapacityReadPermission);
    res.json(await findPlacement(store, req.params.id, 'placement id'));
  });

  return router;
}
