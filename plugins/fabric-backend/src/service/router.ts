import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import {
  fabricCapacityReadPermission,
  fabricEstateRefreshPermission,
  fabricIslandManagePermission,
  fabricMeshManagePermission,
  fabricPlacementCreatePermission,
  meshEndpointSchema,
  PLAN_KINDS,
} from '@internal/backstage-plugin-fabric-common';
import { JsonObject } from '@backstage/types';
import { MeshPlanRequest, Planning } from './plans';
import { PlacementStore } from '../database/FabricStore';
import { PlacementService } from './PlacementService';
import { queryCapacity } from '@internal/backstage-plugin-fabric-node';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { EstateService } from './EstateService';
import { DatabaseWorkloadStore } from '../database/DatabaseWorkloadStore';
import { refusalErrors } from './routes/refusalErrors';

const capacityQuerySchema = z
  .object({
    gpu: z.string().min(1).max(32).optional(),
    family: z.string().regex(/^[a-z]+\d+[a-z]*$/, 'must be an instance family such as p5').optional(),
    instanceType: z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, 'must be an instance type such as p5.48xlarge').optional(),
    minGpus: z.coerce.number().int().min(1).max(64).optional(),
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be a region such as us-east-1').optional(),
    azId: z.string().regex(/^[a-z]{2,5}\d-az\d+$/, 'must be an AZ-ID such as use1-az4 (not an AZ name)').optional(),
    accountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id').optional(),
    capacityType: z.enum(['spot', 'on-demand', 'reserved']).optional(),
    efaOnly: z.enum(['true', 'false']).transform(v => v === 'true').optional(),
    intent: z.enum(['throughput', 'tightly-coupled', 'balanced']).optional(),
  })
  .strict();

/** The user (or service) behind a request, as stored with what it created. */
function principalRef(credentials: BackstageCredentials): string {
  const principal = credentials.principal as { type: string; userEntityRef?: string; subject?: string };
  return principal.userEntityRef ?? principal.subject ?? principal.type;
}

/** Turns the first zod issue into a 400 that names the parameter. */
function parseOrThrow<T>(schema: z.ZodType<T, any, any>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key =
    issue.code === z.ZodIssueCode.unrecognized_keys
      ? issue.keys.join(', ')
      : issue.path.join('.');
  const message =
    issue.code === z.ZodIssueCode.unrecognized_keys ? 'unknown parameter' : issue.message;
  throw new InputError(`Invalid ${what} '${key}': ${message}`);
}

const placementListSchema = z
  .object({
    entityRef: z
      .string()
      .regex(/^[a-z][a-z0-9-]*:[a-z0-9][-a-z0-9_.]*\/[a-z0-9][-a-z0-9_.]*$/i, 'must be an entity ref such as component:default/llm-pretraining')
      .optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict();

const placementIdSchema = z.string().uuid('must be a placement id (UUID)');

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
    intent: z.enum(['throughput', 'tightly-coupled', 'balanced']),
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

/** The body of `POST /mesh/plan` and `POST /mesh/apply`. */
const meshPlanRequestSchema = z
  .object({
    /** Expected traffic between cells, for the peering vs Transit Gateway estimate. */
    traffic: z
      .array(
        z
          .object({
            from: meshEndpointSchema,
            to: meshEndpointSchema,
            gbPerMonth: z.number().nonnegative(),
          })
          .strict(),
      )
      .max(500)
      .optional(),
  })
  .strict();

const parseMeshPlanRequest = (body: unknown): MeshPlanRequest =>
  parseOrThrow(meshPlanRequestSchema, body ?? {}, 'mesh plan request');

export interface RouterOptions {
  estate: EstateService;
  placements: PlacementService;
  planning: Planning;
  store: PlacementStore;
  workloads: DatabaseWorkloadStore;
  auditor: AuditorService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  logger: LoggerService;
}

/** The fabric REST API, mounted at /api/fabric. */
export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { estate, httpAuth, permissions, auditor, placements, planning, store, workloads } = options;
  const { mesh, islands, cells, runner } = planning;
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  const authorize = async (req: Request, permission: BasicPermission) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const [decision] = await permissions.authorize([{ permission }], { credentials });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`Not allowed: ${permission.name} is required`);
    }
    return credentials;
  };

  /** Runs a mutation under an audit event that records who, what and the outcome. */
  const audited = async <T>(req: Request, eventId: string, meta: JsonObject, fn: () => Promise<T>) => {
    const event = await auditor.createEvent({ eventId, severityLevel: 'medium', request: req, meta });
    try {
      const result = await fn();
      await event.success();
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  };

  router.get('/health', async (_req, res) => {
    res.json(await estate.health());
  });

  router.get('/capacity', async (req, res) => {
    await authorize(req, fabricCapacityReadPermission);
    const query = parseOrThrow(capacityQuerySchema, req.query, 'capacity filter');
    res.json(queryCapacity(await estate.inventory(), query));
  });

  router.get('/estate', async (req, res) => {
    await authorize(req, fabricCapacityReadPermission);
    res.json(await estate.view());
  });

  router.post('/refresh', async (req, res) => {
    await authorize(req, fabricEstateRefreshPermission);
    const inventory = await audited(req, 'estate-refresh', {}, () => estate.refresh());
    res.status(200).json({
      snapshot: inventory.id,
      takenAt: inventory.takenAt,
      cells: inventory.cells.length,
      staleCells: inventory.cells.filter(c => !c.fresh).length,
    });
  });

  router.post('/placements', async (req, res) => {
    const credentials = await authorize(req, fabricPlacementCreatePermission);
    const entityRef = typeof req.body?.entityRef === 'string' ? req.body.entityRef : null;
    const record = await audited(req, 'placement-plan', { entityRef }, () =>
      placements.plan(req.body, principalRef(credentials)),
    );
    res.status(201).json(record);
  });

  router.post('/placements/:id/provision', async (req, res) => {
    const credentials = await authorize(req, fabricPlacementCreatePermission);
    const id = parseOrThrow(placementIdSchema, req.params.id, 'placement id');
    const record = await store.getPlacement(id);
    if (!record) throw new NotFoundError(`No placement ${id}`);
    const plan = await audited(req, 'cells-plan', { placement: id }, async () =>
      cells.plan(record, await estate.inventory(), principalRef(credentials)),
    );
    res.status(201).json(plan);
  });

  router.get('/placements', async (req, res) => {
    await authorize(req, fabricCapacityReadPermission);
    const filter = parseOrThrow(placementListSchema, req.query, 'placement filter');
    res.json({ items: await store.listPlacements(filter) });
  });

  router.get('/placements/:id', async (req, res) => {
    await authorize(req, fabricCapacityReadPermission);
    const id = parseOrThrow(placementIdSchema, req.params.id, 'placement id');
    const record = await store.getPlacement(id);
    if (!record) throw new NotFoundError(`No placement ${id}`);
    res.json(record);
  });

  // Workload components the fabric was asked to create. The `fabric-workloads` catalog
  // entity provider reads them here and registers them in the catalog.
  router.post('/workloads', async (req, res) => {
    const credentials = await authorize(req, fabricPlacementCreatePermission);
    const body = parseOrThrow(workloadSchema, req.body, 'workload');
    const entityRef = `component:${body.namespace}/${body.name}`;
    const entity = workloadEntity(body);
    const created = await audited(req, 'workload-register', { entityRef }, async () => {
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
    await authorize(req, fabricCapacityReadPermission);
    res.json({ items: await workloads.list() });
  });

  router.post('/mesh/plan', async (req, res) => {
    const credentials = await authorize(req, fabricMeshManagePermission);
    const record = await audited(req, 'mesh-plan', {}, () => mesh.plan(parseMeshPlanRequest(req.body), principalRef(credentials)));
    res.status(201).json(record);
  });

  router.post('/mesh/apply', async (req, res) => {
    const credentials = await authorize(req, fabricMeshManagePermission);
    const view = await audited(req, 'mesh-apply', {}, async () => {
      const record = await mesh.plan(parseMeshPlanRequest(req.body), principalRef(credentials));
      return runner.startApply(record.id);
    });
    res.status(202).json(view);
  });

  const islandIdSchema = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be an island id (a DNS label)').max(24);

  router.post('/islands', async (req, res) => {
    const credentials = await authorize(req, fabricIslandManagePermission);
    const record = await audited(req, 'island-plan', {}, async () => {
      const placementId = req.body?.placementId;
      let placement;
      if (placementId !== undefined) {
        const id = parseOrThrow(placementIdSchema, placementId, 'placementId');
        const stored = await store.getPlacement(id);
        if (!stored) throw new NotFoundError(`No placement ${id}`);
        placement = stored.placement;
      }
      return islands.plan(req.body, principalRef(credentials), await estate.inventory(), placement);
    });
    res.status(201).json(record);
  });

  router.post('/islands/:id/apply', async (req, res) => {
    await authorize(req, fabricIslandManagePermission);
    const islandId = parseOrThrow(islandIdSchema, req.params.id, 'island id');
    const view = await audited(req, 'island-apply', { island: islandId }, async () => {
      const latest = await islands.latest(islandId);
      return runner.startApply(latest.id);
    });
    res.status(202).json(view);
  });

  router.delete('/islands/:id', async (req, res) => {
    const credentials = await authorize(req, fabricIslandManagePermission);
    const islandId = parseOrThrow(islandIdSchema, req.params.id, 'island id');
    const record = await audited(req, 'island-destroy-plan', { island: islandId }, () =>
      islands.planDestroy(islandId, principalRef(credentials)),
    );
    res.status(201).json(record);
  });

  const planListSchema = z
    .object({
      kind: z.enum(PLAN_KINDS).optional(),
      subject: z.string().min(1).max(256).optional(),
    })
    .strict();

  router.get('/plans', async (req, res) => {
    await authorize(req, fabricCapacityReadPermission);
    const filter = parseOrThrow(planListSchema, req.query, 'plan filter');
    res.json({ items: await runner.list(filter) });
  });

  router.get('/plans/:id', async (req, res) => {
    await authorize(req, fabricCapacityReadPermission);
    const id = parseOrThrow(placementIdSchema, req.params.id, 'plan id');
    res.json(await runner.view(id));
  });

  router.post('/plans/:id/apply', async (req, res) => {
    const id = parseOrThrow(placementIdSchema, req.params.id, 'plan id');
    const record = await runner.view(id);
    // The permission follows what the plan changes.
    // Islands need fabric.island.manage; the mesh and cells change shared infrastructure.
    await authorize(req, record.kind.startsWith('island') ? fabricIslandManagePermission : fabricMeshManagePermission);
    const view = await audited(req, 'plan-apply', { plan: id, kind: record.kind }, () => runner.startApply(id));
    res.status(202).json(view);
  });

  // Unknown fabric routes answer in JSON like every other error, not with the app's HTML.
  router.use((req, _res) => {
    throw new NotFoundError(`No fabric route for ${req.method} ${req.path}`);
  });
  router.use(refusalErrors);

  return router;
}
