import {
  accountIdSchema,
  azIdSchema,
  FABRIC_INTENTS,
  fabricCapacityReadPermission,
  instanceFamilySchema,
  instanceTypeSchema,
  regionSchema,
} from '@internal/backstage-plugin-fabric-common';
import { queryCapacity } from '@internal/backstage-plugin-fabric-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { EstateService } from '../EstateService';
import { parseOrThrow, RouteHelpers } from './routeHelpers';

const capacityQuerySchema = z
  .object({
    gpu: z.string().min(1).max(32).optional(),
    family: instanceFamilySchema.optional(),
    instanceType: instanceTypeSchema.optional(),
    minGpus: z.coerce.number().int().min(1).max(64).optional(),
    region: regionSchema.optional(),
    azId: azIdSchema.optional(),
    accountId: accountIdSchema.optional(),
    capacityType: z.enum(['spot', 'on-demand', 'reserved']).optional(),
    efaOnly: z.enum(['true', 'false']).transform(v => v === 'true').optional(),
    intent: z.enum(FABRIC_INTENTS).optional(),
  })
  .strict();

/** `GET /capacity`: offerings of the newest inventory, filtered and aggregated per AZ-ID. */
export function capacityRoutes(options: { estate: EstateService; helpers: RouteHelpers }): express.Router {
  const { estate, helpers } = options;
  const router = Router();

  router.get('/capacity', async (req, res) => {
    await helpers.requirePermission(req, fabricCapacityReadPermission);
    const query = parseOrThrow(capacityQuerySchema, req.query, 'capacity filter');
    res.json(queryCapacity(await estate.inventory(), query));
  });

  return router;
}
