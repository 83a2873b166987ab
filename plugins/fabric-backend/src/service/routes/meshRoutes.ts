import { fabricMeshManagePermission, meshEndpointSchema } from '@internal/backstage-plugin-fabric-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { MeshPlanner, MeshPlanRequest, PlanRunner } from '../plans';
import { jsonBody, parseOrThrow, principalRef, RouteHelpers } from './routeHelpers';

const meshPlanRequestSchema = z
  .object({
    /** Expected traffic between cells, for the peering vs Transit Gateway estimate. */
    traffic: z
      .array(
        z
          .object({
            from: meshEndpointSchema,
            to: meshEndpointSchema,
            gbPerMonth: z
              .number({ invalid_type_error: 'must be a number of GB per month' })
              .nonnegative({ message: 'must not be negative' })
              .finite({ message: 'must be a finite number of GB per month' })
              .max(1e12, { message: 'must be at most 1e12 GB per month' }),
          })
          .strict(),
      )
      .max(500)
      .optional(),
  })
  .strict();

const parseMeshPlanRequest = (body: unknown): MeshPlanRequest =>
  parseOrThrow(meshPlanRequestSchema, body ?? {}, 'mesh plan request');

/** The peering mesh: plan it, plan and apply it in one call, or plan its removal. */
export function meshRoutes(options: { mesh: MeshPlanner; runner: PlanRunner; helpers: RouteHelpers }): express.Router {
  const { mesh, runner, helpers } = options;
  const router = Router();

  router.post('/mesh/plan', async (req, res) => {
    const credentials = await helpers.requirePermission(req, fabricMeshManagePermission);
    const record = await helpers.audited(req, 'mesh-plan', {}, () =>
      mesh.plan(parseMeshPlanRequest(jsonBody(req)), principalRef(credentials)),
    );
    res.status(201).json(record);
  });

  router.post('/mesh/apply', async (req, res) => {
    const credentials = await helpers.requirePermission(req, fabricMeshManagePermission);
    const view = await helpers.audited(req, 'mesh-apply', {}, async () => {
      const request = parseMeshPlanRequest(jsonBody(req));
      // Refuse before planning: a refused request stores nothing.
      runner.assertCanApply();
      const record = await mesh.plan(request, principalRef(credentials));
      return runner.startApply(record.id);
    });
    res.status(202).json(view);
  });

  // Plans the removal of what the fabric's mesh applies created; apply it through
  // POST /plans/:id/apply like any other plan, after reviewing it.
  router.delete('/mesh', async (req, res) => {
    const credentials = await helpers.requirePermission(req, fabricMeshManagePermission);
    const record = await helpers.audited(req, 'mesh-destroy-plan', {}, () => mesh.planDestroy(principalRef(credentials)));
    res.status(201).json(record);
  });

  return router;
}
