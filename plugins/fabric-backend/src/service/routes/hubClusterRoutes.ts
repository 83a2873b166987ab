import { ServiceUnavailableError } from '@backstage/errors';
import {
  entityRefSchema,
  fabricCapacityReadPermission,
  NodeClaimsResponse,
  ProvisionerHealthResponse,
} from '@internal/backstage-plugin-fabric-common';
import {
  HubClusterReader,
  HubClusterUnavailableError,
  placementShortName,
} from '@internal/backstage-plugin-fabric-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { PlacementStore } from '../../database/FabricStore';
import { parseOrThrow, RouteHelpers } from './routeHelpers';

const nodeClaimsQuerySchema = z
  .object({
    cell: z
      .string()
      .regex(/^\d{12}\.[a-z]{2}(-[a-z]+)+-\d$/, 'must be a cell as `<account>.<region>`, e.g. 123456789012.us-east-1')
      .optional(),
    entityRef: entityRefSchema.optional(),
    nodePool: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a NodePool name')
      .optional(),
  })
  .strict();

/**
 * What the fabric's provisioner is doing in the hub cluster: its NodeClaims and nodes, the
 * pods it is still finding capacity for, and its own health. Without a hub cluster these
 * answer `configured: false`, so the portal can say how to get one instead of failing.
 */
export function hubClusterRoutes(options: {
  reader?: HubClusterReader;
  store: PlacementStore;
  helpers: RouteHelpers;
}): express.Router {
  const { reader, store, helpers } = options;
  const router = Router();

  router.get('/nodeclaims', async (req, res) => {
    await helpers.requirePermission(req, fabricCapacityReadPermission);
    const filter = parseOrThrow(nodeClaimsQuerySchema, req.query, 'query parameter');
    if (!reader) {
      const body: NodeClaimsResponse = { configured: false, items: [], pendingPods: [] };
      res.json(body);
      return;
    }
    // The entity's pods wait under its placements' names before any node is theirs.
    const placements = filter.entityRef
      ? (await store.listPlacements({ entityRef: filter.entityRef, limit: 200 })).map(r => placementShortName(r.placement))
      : undefined;
    res.json(await answering(() => reader.nodeClaims({ ...filter, placements })));
  });

  router.get('/provisioner', async (req, res) => {
    await helpers.requirePermission(req, fabricCapacityReadPermission);
    if (!reader) {
      const body: ProvisionerHealthResponse = { configured: false };
      res.json(body);
      return;
    }
    res.json(await answering(() => reader.provisionerHealth()));
  });

  return router;
}

/** An unreachable or refusing hub cluster is a 503 that says why, not a 500. */
async function answering<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof HubClusterUnavailableError) throw new ServiceUnavailableError(error.message);
    throw error;
  }
}
