/*
 * The one table of every fabric REST route: who may call it and what each kind of caller
 * gets back. The authorization matrix test (packages/backend) sends every route as every
 * caller and expects these statuses; README.md's REST section is rendered from it
 * (`node scripts/render-rest-table.mjs`), and a test fails when the two differ.
 *
 * This file imports nothing, so the render script can load it with Node's type stripping;
 * a test checks every permission named here is one the fabric registers.
 */

/** The callers the matrix is checked for. */
export const FABRIC_CALLERS = [
  'unauthenticated',
  'guest',
  'platformTeam',
  'pipelineToken',
  'serviceToken',
] as const;
export type FabricCaller = (typeof FABRIC_CALLERS)[number];

/** How each caller is named in the README's columns. */
export const FABRIC_CALLER_TITLES: Record<FabricCaller, string> = {
  unauthenticated: 'no token',
  guest: 'guest',
  platformTeam: 'platform team',
  pipelineToken: 'pipeline token',
  serviceToken: 'service token',
};

export interface FabricRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Under /api/fabric, with `:id` for a path id. */
  path: string;
  /** Shown after the path in the README (query parameters), not part of the route. */
  query?: string;
  /** The permission the route requires, or `none` for a route anyone may call. */
  permission: string | 'none';
  /** Shown instead of `permission` when the route needs one of several. */
  permissionText?: string;
  /** What the route does, for the README. */
  what: string;
  /**
   * The status each caller gets for a well-formed minimal request on the demo estate in
   * plan-only mode: 401 without a token, 403 where the policy or the token's access
   * restrictions deny, otherwise the route's own answer.
   */
  expected: Record<FabricCaller, number>;
}

const READ = 'fabric.capacity.read';
const PLACE = 'fabric.placement.create';
const REFRESH = 'fabric.estate.refresh';
const MESH = 'fabric.mesh.manage';
const ISLAND = 'fabric.island.manage';

/** Anyone signed in, and both tokens, get `status`. */
const everyCaller = (status: number): Record<FabricCaller, number> => ({
  unauthenticated: 401,
  guest: status,
  platformTeam: status,
  pipelineToken: status,
  serviceToken: status,
});

/**
 * Only the platform team and unrestricted service tokens: guests are refused by the
 * policy, the pipeline token by its access restrictions.
 */
const platformOnly = (status: number): Record<FabricCaller, number> => ({
  unauthenticated: 401,
  guest: 403,
  platformTeam: status,
  pipelineToken: 403,
  serviceToken: status,
});

export const FABRIC_ROUTES: FabricRoute[] = [
  {
    method: 'GET',
    path: '/health',
    permission: 'none',
    what: 'version, mode, estate source, accounts, cells, `discovery` pending or done (never starts discovery)',
    expected: { ...everyCaller(200), unauthenticated: 200 },
  },
  {
    method: 'GET',
    path: '/capacity',
    permission: READ,
    what: 'offerings with price, spot score, quota headroom; filters `gpu`, `family`, `instanceType`, `minGpus`, `region`, `azId`, `accountId`, `capacityType`, `efaOnly`; aggregation by region × GPU; stale cells',
    expected: everyCaller(200),
  },
  {
    method: 'GET',
    path: '/estate',
    permission: READ,
    what: "cells with freshness, last error and each account's AZ name → AZ-ID map",
    expected: everyCaller(200),
  },
  {
    method: 'POST',
    path: '/refresh',
    permission: REFRESH,
    what: 'runs discovery now and stores a snapshot',
    expected: platformOnly(200),
  },
  {
    method: 'POST',
    path: '/placements',
    permission: PLACE,
    what: 'plans a placement (never changes cloud resources): chosen offerings with score breakdown, rejected alternatives with reasons, cost, compiled Kubernetes artifacts; 400 names every bad field, 409 for a guardrail refusal (nothing stored)',
    expected: everyCaller(201),
  },
  {
    method: 'GET',
    path: '/placements',
    query: '?entityRef=',
    permission: READ,
    what: 'stored placements, newest first',
    expected: everyCaller(200),
  },
  {
    method: 'GET',
    path: '/placements/:id',
    permission: READ,
    what: 'a stored placement',
    expected: everyCaller(200),
  },
  {
    method: 'POST',
    path: '/placements/:id/provision',
    permission: PLACE,
    what:
      "plans, from the inventory snapshot the placement was reviewed on, the cells' subnets and security groups (for the cells given a `networks` entry) and the server-side apply of the per-cell node class + `NodePool` to the hub cluster",
    expected: everyCaller(201),
  },
  {
    method: 'POST',
    path: '/workloads',
    permission: PLACE,
    what: 'registers a workload component for the catalog (201 new, 200 unchanged, 409 taken by another owner)',
    expected: everyCaller(201),
  },
  {
    method: 'GET',
    path: '/workloads',
    permission: READ,
    what: 'the workload components the fabric was asked to create',
    expected: everyCaller(200),
  },
  {
    method: 'POST',
    path: '/mesh/plan',
    permission: MESH,
    what: 'plans the full peering mesh of the VPCs tagged `fabric.cloudspectra.io/mesh=true`; optional `traffic` (`[{from, to, gbPerMonth}]`, endpoints `<account>/<region>/<AZ-ID>`) for the peering vs Transit Gateway estimate',
    expected: platformOnly(201),
  },
  {
    method: 'POST',
    path: '/mesh/apply',
    permission: MESH,
    what: 'plans and starts applying the mesh (202; progress in `GET /plans/:id`); 409 in plan-only mode',
    expected: platformOnly(409),
  },
  {
    method: 'DELETE',
    path: '/mesh',
    permission: MESH,
    what: "plans the mesh's removal (a `mesh-destroy` plan: only the routes and peerings the fabric's mesh applies created, newest first; hand-made peerings stay); apply it with `POST /plans/:id/apply`; 409 when there is nothing to remove",
    expected: platformOnly(409),
  },
  {
    method: 'POST',
    path: '/islands',
    permission: ISLAND,
    what: 'plans an EFA training island: a spec, or `{ placementId, networkAccountId, vpcId, vpcCidr?, subnetCidr }` from a tightly-coupled placement; 409 for an island that would span AZ-IDs',
    expected: platformOnly(201),
  },
  {
    method: 'POST',
    path: '/islands/:id/apply',
    permission: ISLAND,
    what: "applies the island's newest plan; 409 in plan-only mode",
    expected: platformOnly(409),
  },
  {
    method: 'DELETE',
    path: '/islands/:id',
    permission: ISLAND,
    what: "plans the island's removal: only what it created, in reverse; 409 when it created nothing yet (an island never applied)",
    expected: platformOnly(409),
  },
  {
    method: 'GET',
    path: '/plans',
    query: '?kind=&subject=',
    permission: READ,
    what: 'stored plans, newest first',
    expected: everyCaller(200),
  },
  {
    method: 'GET',
    path: '/plans/:id',
    permission: READ,
    what: "a plan, its details and each step's status",
    expected: everyCaller(200),
  },
  {
    method: 'POST',
    path: '/plans/:id/apply',
    permission: MESH,
    permissionText:
      "`fabric.mesh.manage` / `fabric.island.manage` (by the plan's kind)",
    what: 'applies a stored plan in the background; 409 in plan-only mode; 403 before any lookup for a caller who may apply no kind of plan',
    expected: platformOnly(409),
  },
  {
    method: 'GET',
    path: '/nodeclaims',
    query: '?cell=&entityRef=&nodePool=',
    permission: READ,
    what: "the provisioner's NodeClaims in the hub cluster (fabric-managed only) with state and reason, instance, AZ-ID, capacity type, age and $/h, plus the fabric pods still pending with the fabric's reason; `configured: false` and empty lists without `fabric.hub.kubernetes`; 503 naming the cause when the cluster cannot be read",
    expected: everyCaller(200),
  },
  {
    method: 'GET',
    path: '/provisioner',
    permission: READ,
    what: "the provisioner's health from its leader-election Lease: leader, last renewal and whether it expired, last batch, decisions/s, pending pods; `configured: false` without `fabric.hub.kubernetes`; 503 when the cluster cannot be read",
    expected: everyCaller(200),
  },
];

/** `GET /plans/:id`: how a route is named in tests and the README. */
export const routeName = (route: Pick<FabricRoute, 'method' | 'path'>) =>
  `${route.method} ${route.path}`;

export const REST_TABLE_BEGIN =
  '<!-- rest-table:begin (rendered from plugins/fabric-backend/src/service/routes/routeTable.ts by scripts/render-rest-table.mjs; do not edit) -->';
export const REST_TABLE_END = '<!-- rest-table:end -->';

/** The README's REST table, markers included. */
export function renderRestTable(routes: FabricRoute[] = FABRIC_ROUTES): string {
  const header = [
    'route',
    'permission',
    ...FABRIC_CALLERS.map(c => FABRIC_CALLER_TITLES[c]),
    'what',
  ];
  const rows = routes.map(route => [
    `\`${route.method} ${route.path}${route.query ?? ''}\``,
    route.permissionText ??
      (route.permission === 'none' ? 'none' : `\`${route.permission}\``),
    ...FABRIC_CALLERS.map(caller => String(route.expected[caller])),
    route.what,
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    REST_TABLE_BEGIN,
    'The status each caller gets for a well-formed request on the demo estate in plan-only mode ' +
      '(checked by `packages/backend/src/authorizationMatrix.test.ts`): **guest** is a user outside ' +
      '`group:default/platform-team`; **pipeline token** the static token of `app-config.production.yaml`, ' +
      'restricted to `fabric.capacity.read` and `fabric.placement.create`; **service token** a static token ' +
      'without access restrictions. Every 403 is a `permission-refused` audit event.',
    '',
    line(header),
    line(header.map(() => '---')),
    ...rows.map(line),
    REST_TABLE_END,
  ].join('\n');
}

/** `readme` with the text between the markers replaced by the rendering. */
export function withRenderedRestTable(
  readme: string,
  routes: FabricRoute[] = FABRIC_ROUTES,
): string {
  const begin = readme.indexOf(REST_TABLE_BEGIN);
  const end = readme.indexOf(REST_TABLE_END);
  if (begin < 0 || end < begin)
    throw new Error(
      `README.md has no ${REST_TABLE_BEGIN} … ${REST_TABLE_END} section`,
    );
  return (
    readme.slice(0, begin) +
    renderRestTable(routes) +
    readme.slice(end + REST_TABLE_END.length)
  );
}
