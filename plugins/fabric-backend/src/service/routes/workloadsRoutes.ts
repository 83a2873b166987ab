import { ConflictError } from '@backstage/errors';
import {
  FABRIC_INTENTS,
  fabricCapacityReadPermission,
  fabricPlacementCreatePermission,
} from '@internal/backstage-plugin-fabric-common';
import { JsonObject } from '@backstage/types';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { DatabaseWorkloadStore } from '../../database/DatabaseWorkloadStore';
import { parseOrThrow, principalRef, RouteHelpers, jsonBody } from './routeHelpers';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENTITY_REF_OR_NAME =
  /^(?:[a-z][a-z0-9-]*:)?(?:[a-z0-9][-a-z0-9_.]*\/)?[a-z0-9][-a-z0-9_.]*$/i;

/** The body of `POST /workloads`: what a new workload component is made of. */
const workloadSchema = z
  .object({
    name: z.string().max(63, 'must be at most 63 characters').regex(DNS_LABEL, 'must be a DNS-1123 label such as llm-finetune'),
    namespace: z
      .string()
      .max(63, 'must be at most 63 characters')
      .regex(DNS_LABEL, 'must be a DNS-1123 label such as default')
      .default('default'),
    title: z.string().min(1).max(256).optional(),
    description: z.string().max(4096).optional(),
    owner: z.string().max(512).regex(ENTITY_REF_OR_NAME, 'must be an entity ref such as group:default/ml-research or a name'),
    system: z.string().max(512).regex(ENTITY_REF_OR_NAME, 'must be an entity ref such as system:default/ml or a name').optional(),
    intent: z.enum(FABRIC_INTENTS),
    gpu: z.string().trim().min(1, 'must not be empty').max(64),
  })
  .strict();

/** Where the catalog says the fabric's workload components come from. */
const WORKLOADS_LOCATION = 'fabric:workloads';

/** The Component entity of a workload. */
function workloadEntity(body: z.infer<typeof workloadSchema>): JsonObject {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: body.name,
      namespace: body.namespace,
      ...(body.title ? { title: body.title } : {}),
      ...(body.description ? { description: body.description } : {}),
      annotations: {
        'cloudspectra.io/fabric-workload': body.intent,
        'cloudspectra.io/fabric-gpu': body.gpu,
        'backstage.io/managed-by-location': WORKLOADS_LOCATION,
        'backstage.io/managed-by-origin-location': WORKLOADS_LOCATION,
      },
    },
    spec: {
      type: 'service',
      lifecycle: 'experimental',
      owner: body.owner,
      ...(body.system ? { system: body.system } : {}),
    },
  };
}

/**
 * Workload components the fabric was asked to create. The `fabric-workloads` catalog
 * entity provider reads them here and registers them in the catalog.
 */
export function workloadsRoutes(options: { workloads: DatabaseWorkloadStore; helpers: RouteHelpers }): express.Router {
  const { workloads, helpers } = options;
  const router = Router();

  router.post('/workloads', async (req, res) => {
    const credentials = await helpers.requirePermission(req, fabricPlacementCreatePermission);
    const body = parseOrThrow(workloadSchema, jsonBody(req), 'workload');
    const entityRef = `component:${body.namespace}/${body.name}`;
    const entity = workloadEntity(body);
    const created = await helpers.audited(req, 'workload-register', { entityRef }, async () => {
      const existing = await workloads.get(entityRef);
      const existingOwner = (existing?.entity.spec as JsonObject | undefined)?.owner;
      if (existing && existingOwner !== body.owner) {
        throw new ConflictError(
          `Workload ${entityRef} already exists with owner ${existingOwner}; pick another name`,
        );
      }
      await workloads.upsert({
        entityRef,
        entity,
        createdBy: principalRef(credentials),
        createdAt: new Date().toISOString(),
      });
      return !existing;
    });
    res.status(created ? 201 : 200).json({ entityRef, entity });
  });

  router.get('/workloads', async (req, res) => {
    await helpers.requirePermission(req, fabricCapacityReadPermission);
    res.json({ items: await workloads.list() });
  });

  return router;
}
