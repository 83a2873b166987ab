import { NotFoundError } from '@backstage/errors';
import {
  accountIdSchema,
  azIdSchema,
  entityRefSchema,
  FabricRefusal,
  fabricCapacityReadPermission,
  fabricPlacementCreatePermission,
  PlacementRecord,
  regionSchema,
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

/** `POST /placements/:id/provision` body: where each cell's subnets and security group live. */
const provisionSchema = z
  .object({
    networks: z
      .array(
        z
          .object({
            accountId: accountIdSchema,
            region: regionSchema,
            vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id such as vpc-0123456789abcdef0'),
            /** CIDR per AZ-ID of subnets to create; AZ-IDs left out adopt the VPC's subnet there. */
            subnetCidrs: z
              .record(azIdSchema, z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'must be an IPv4 CIDR'))
              .optional(),
          })
          .strict(),
      )
      .max(200)
      .optional(),
  })
  .strict();

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
    const body = parseOrThrow(provisionSchema, jsonBody(req) ?? {}, 'provision request');
    const plan = await helpers.audited(req, 'cells-plan', { placement: record.id }, async () => {
      // Compile what the person reviewed: the placement's own snapshot, never a newer one.
      const inventory = record.inventorySnapshot ? await estate.snapshot(record.inventorySnapshot) : undefined;
      if (!inventory) {
        throw new FabricRefusal(
          'inventory-snapshot-gone',
          `The inventory snapshot ${record.inventorySnapshot ?? '(none)'} placement ${record.id} was planned on ` +
            `(taken ${record.placement.inventoryTakenAt}) is no longer stored; plan the placement again and provision the new one`,
        );
      }
      return cells.plan(record, inventory, principalRef(credentials), body.networks ?? []);
    });
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
