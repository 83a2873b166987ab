import {
  fabricCapacityReadPermission,
  fabricIslandManagePermission,
  fabricMeshManagePermission,
  PLAN_KINDS,
  PlanKind,
} from '@internal/backstage-plugin-fabric-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { PlanRunner } from '../plans';
import { parseOrThrow, recordIdSchema, RouteHelpers } from './routeHelpers';

const planListSchema = z
  .object({
    kind: z.enum(PLAN_KINDS).optional(),
    subject: z.string().min(1).max(256).optional(),
  })
  .strict();

const planIdSchema = recordIdSchema('plan');

/** Islands need fabric.island.manage; the mesh and cells change shared infrastructure. */
function permissionToApply(kind: PlanKind) {
  return kind === 'island' || kind === 'island-destroy' ? fabricIslandManagePermission : fabricMeshManagePermission;
}

/** Stored plans of every kind: list, view with step status, apply. */
export function plansRoutes(options: { runner: PlanRunner; helpers: RouteHelpers }): express.Router {
  const { runner, helpers } = options;
  const router = Router();

  router.get('/plans', async (req, res) => {
    await helpers.requirePermission(req, fabricCapacityReadPermission);
    const filter = parseOrThrow(planListSchema, req.query, 'plan filter');
    res.json({ items: await runner.list(filter) });
  });

  router.get('/plans/:id', async (req, res) => {
    await helpers.requirePermission(req, fabricCapacityReadPermission);
    const id = parseOrThrow(planIdSchema, req.params.id, 'plan id');
    res.json(await runner.view(id));
  });

  router.post('/plans/:id/apply', async (req, res) => {
    // Which permission applies depends on the plan's kind, known only after the lookup;
    // a caller who may apply no kind of plan is refused before anything is read.
    const access = await helpers.requireAnyPermission(req, [fabricIslandManagePermission, fabricMeshManagePermission]);
    const id = parseOrThrow(planIdSchema, req.params.id, 'plan id');
    const record = await runner.view(id);
    await access.require(permissionToApply(record.kind));
    const view = await helpers.audited(req, 'plan-apply', { plan: id, kind: record.kind }, () => runner.startApply(id));
    res.status(202).json(view);
  });

  return router;
}
