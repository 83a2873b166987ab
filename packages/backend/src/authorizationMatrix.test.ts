/*
 * Every fabric route, sent by every kind of caller, answers the status the route table
 * (FABRIC_ROUTES, which README.md's REST section is rendered from) documents; a refused
 * request (401, 403, or the route's own 4xx) leaves the fabric's tables as they were, and
 * every 403 leaves a `permission-refused` audit event naming the route.
 *
 * How the callers are made, so that no row is answered by a test double:
 * - Backstage's real auth, httpAuth, userInfo and permissions services, the permission
 *   backend and the fabric policy of this backend (modules/permissionPolicy).
 * - The pipeline token is backend.auth of app-config.production.yaml as shipped (a static
 *   token restricted to fabric.capacity.read + fabric.placement.create); the service token
 *   is a second static token without accessRestrictions.
 * - User tokens are signed by the real auth backend, because the real httpAuth refuses
 *   Backstage's mock user tokens: the guest through the guest provider this backend ships
 *   (a user outside group:default/platform-team), the platform-team user through a proxy
 *   sign-in provider defined here that issues a token owned by that group. Both tokens are
 *   verified against the auth backend's keys and resolved to their ownership by userInfo.
 * - Only the auditor is a recording double, to read the events the fabric sends.
 * - The fabric's tables are read through the fabric plugin's own database service (a test
 *   module of the fabric plugin), on SQLite files in a temporary directory.
 *
 * A 401 is answered by Backstage's httpRouter before the fabric sees the request, so the
 * fabric records no audit event for it; only 403s are checked for one.
 */
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import {
  coreServices,
  createBackendModule,
  DatabaseService,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import authPlugin from '@backstage/plugin-auth-backend';
import guestProviderModule from '@backstage/plugin-auth-backend-module-guest-provider';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';
import permissionPlugin from '@backstage/plugin-permission-backend';
import fabricPlugin, {
  FABRIC_CALLERS,
  FABRIC_ROUTES,
  FabricCaller,
  fabricRouteName,
} from '@internal/backstage-plugin-fabric-backend';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { productionAuthConfig } from './__testUtils__/productionConfig';
import permissionPolicyModule, {
  PLATFORM_TEAM_REF,
} from './modules/permissionPolicy';

jest.setTimeout(120_000);

const FABRIC_TABLES = [
  'fabric_placements',
  'fabric_plans',
  'fabric_plan_steps',
  'fabric_workloads',
];
const PLATFORM_ENGINEER = 'user:default/platform-engineer';

/** A sign-in provider that issues the real auth backend's token for a platform-team member. */
const platformTeamSignIn = createBackendModule({
  pluginId: 'auth',
  moduleId: 'matrix-platform-team-sign-in',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({
          providerId: 'platform-team',
          factory: createProxyAuthProviderFactory({
            authenticator: createProxyAuthenticator({
              defaultProfileTransform: async () => ({ profile: {} }),
              initialize: () => undefined,
              authenticate: async () => ({ result: {} }),
            }),
            signInResolver: async (_, ctx) =>
              ctx.issueToken({
                claims: {
                  sub: PLATFORM_ENGINEER,
                  ent: [PLATFORM_ENGINEER, PLATFORM_TEAM_REF],
                },
              }),
          }),
        });
      },
    });
  },
});

type FabricDatabase = Awaited<ReturnType<DatabaseService['getClient']>>;
let fabricDatabase: FabricDatabase | undefined;

/** Hands the test the fabric plugin's own database client, to read its tables. */
const fabricTablesReader = createBackendModule({
  pluginId: 'fabric',
  moduleId: 'matrix-tables-reader',
  register(reg) {
    reg.registerInit({
      deps: { database: coreServices.database },
      async init({ database }) {
        fabricDatabase = await database.getClient();
      },
    });
  },
});

type Recorded = {
  eventId: string;
  meta?: Record<string, unknown>;
  outcome?: 'success' | 'fail';
};

/** A request the matrix sends: the route's path with its ids filled in, and a minimal valid body. */
interface MatrixRequest {
  path: string;
  body?: object;
}
interface Fixtures {
  placementId: string;
  meshPlanId: string;
  islandId: string;
}

const trainingRun = {
  entityRef: 'component:default/llm-pretraining',
  intent: 'tightly-coupled',
  gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
};
const islandSpec = {
  id: 'llm-use1-az4',
  region: 'us-east-1',
  azId: 'use1-az4',
  networkAccountId: '444444444444',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  vpcCidr: '10.80.0.0/16',
  subnetCidr: '10.80.4.0/22',
  memberAccountIds: ['111111111111', '222222222222'],
  instanceTypes: ['p5.48xlarge'],
};
const kebab = (caller: FabricCaller) =>
  caller.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`);

/** One well-formed request per route; a route in the table without one fails the test. */
const REQUESTS: Record<
  string,
  (f: Fixtures, caller: FabricCaller) => MatrixRequest
> = {
  'GET /health': () => ({ path: '/health' }),
  'GET /capacity': () => ({ path: '/capacity?gpu=H100' }),
  'GET /estate': () => ({ path: '/estate' }),
  'POST /refresh': () => ({ path: '/refresh' }),
  'POST /placements': () => ({ path: '/placements', body: trainingRun }),
  'GET /placements': () => ({
    path: `/placements?entityRef=${encodeURIComponent(trainingRun.entityRef)}`,
  }),
  'GET /placements/:id': f => ({ path: `/placements/${f.placementId}` }),
  'POST /placements/:id/provision': f => ({
    path: `/placements/${f.placementId}/provision`,
  }),
  'POST /workloads': (_, caller) => ({
    path: '/workloads',
    body: {
      name: `matrix-${kebab(caller)}`,
      owner: 'group:default/ml-research',
      intent: 'throughput',
      gpu: 'g6',
    },
  }),
  'GET /workloads': () => ({ path: '/workloads' }),
  'POST /mesh/plan': () => ({ path: '/mesh/plan', body: {} }),
  'POST /mesh/apply': () => ({ path: '/mesh/apply', body: {} }),
  'DELETE /mesh': () => ({ path: '/mesh' }),
  'POST /islands': () => ({ path: '/islands', body: islandSpec }),
  'POST /islands/:id/apply': f => ({ path: `/islands/${f.islandId}/apply` }),
  'DELETE /islands/:id': f => ({ path: `/islands/${f.islandId}` }),
  'GET /plans': () => ({ path: '/plans?kind=mesh' }),
  'GET /plans/:id': f => ({ path: `/plans/${f.meshPlanId}` }),
  'POST /plans/:id/apply': f => ({ path: `/plans/${f.meshPlanId}/apply` }),
  'GET /nodeclaims': () => ({
    path: `/nodeclaims?entityRef=${encodeURIComponent(trainingRun.entityRef)}`,
  }),
  'GET /provisioner': () => ({ path: '/provisioner' }),
};

describe('the authorization matrix: every fabric route × every kind of caller', () => {
  const pipelineToken = randomBytes(24).toString('hex');
  const serviceToken = randomBytes(24).toString('hex');
  const databaseDir = mkdtempSync(path.join(tmpdir(), 'fabric-matrix-'));
  const events: Recorded[] = [];
  const tokens = {} as Record<FabricCaller, string | undefined>;
  const fixtures = {} as Fixtures;
  let baseUrl: string;
  let stop: () => Promise<void>;

  async function snapshot(): Promise<string> {
    const parts: string[] = [];
    for (const table of FABRIC_TABLES) {
      const rows = await fabricDatabase!(table).select();
      parts.push(
        `${table}\n${rows
          .map(r => JSON.stringify(r))
          .sort()
          .join('\n')}`,
      );
    }
    return parts.join('\n\n');
  }

  async function signIn(provider: string): Promise<string> {
    const res = await fetch(`${baseUrl}/api/auth/${provider}/refresh`, {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    const body = await res.json();
    if (res.status !== 200)
      throw new Error(
        `sign-in with ${provider}: ${res.status} ${JSON.stringify(body)}`,
      );
    return body.backstageIdentity.token;
  }

  async function send(
    caller: FabricCaller,
    method: string,
    req: MatrixRequest,
  ) {
    const headers: Record<string, string> = {};
    if (tokens[caller]) headers.authorization = `Bearer ${tokens[caller]}`;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}/api/fabric${req.path}`, {
      method,
      headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the failure message
    }
    return { status: res.status, body };
  }

  beforeAll(async () => {
    const auditor = mockServices.auditor.mock({
      createEvent: jest.fn(async options => {
        const recorded: Recorded = {
          eventId: options.eventId,
          meta: options.meta as Record<string, unknown>,
        };
        events.push(recorded);
        return {
          success: jest.fn(async () => void (recorded.outcome = 'success')),
          fail: jest.fn(async () => void (recorded.outcome = 'fail')),
        };
      }),
    });
    const productionAuth = productionAuthConfig({
      FABRIC_PIPELINE_TOKEN: pipelineToken,
    });
    const backend = await startTestBackend({
      features: [
        fabricPlugin,
        fabricTablesReader,
        permissionPlugin,
        permissionPolicyModule,
        authPlugin,
        guestProviderModule,
        platformTeamSignIn,
        authServiceFactory,
        httpAuthServiceFactory,
        permissionsServiceFactory,
        userInfoServiceFactory,
        auditor.factory,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            backend: {
              auth: {
                ...productionAuth,
                externalAccess: [
                  ...productionAuth.externalAccess,
                  {
                    type: 'static',
                    options: {
                      token: serviceToken,
                      subject: 'platform-automation',
                    },
                  },
                ],
              },
              database: {
                client: 'better-sqlite3',
                connection: { directory: databaseDir },
              },
            },
            permission: { enabled: true },
            auth: {
              providers: {
                guest: { dangerouslyAllowOutsideDevelopment: true },
                'platform-team': { development: {} },
              },
            },
          },
        }),
      ],
    });
    baseUrl = `http://127.0.0.1:${
      (backend.server.address() as AddressInfo).port
    }`;
    stop = () => backend.stop();

    tokens.unauthenticated = undefined;
    tokens.guest = await signIn('guest');
    tokens.platformTeam = await signIn('platform-team');
    tokens.pipelineToken = pipelineToken;
    tokens.serviceToken = serviceToken;

    // Discovery runs at start; wait for the first inventory so every request sees the same estate.
    for (let i = 0; i < 200; i++) {
      const health = await send('unauthenticated', 'GET', { path: '/health' });
      if (health.body.discovery !== 'pending') break;
      await new Promise(r => setTimeout(r, 50));
    }
    const placed = await send('serviceToken', 'POST', {
      path: '/placements',
      body: trainingRun,
    });
    const mesh = await send('serviceToken', 'POST', {
      path: '/mesh/plan',
      body: {},
    });
    const island = await send('serviceToken', 'POST', {
      path: '/islands',
      body: islandSpec,
    });
    if (
      [placed.status, mesh.status, island.status].some(status => status !== 201)
    ) {
      throw new Error(
        `fixtures not created: ${placed.status} ${mesh.status} ${island.status}`,
      );
    }
    Object.assign(fixtures, {
      placementId: placed.body.id,
      meshPlanId: mesh.body.id,
      islandId: islandSpec.id,
    });
  });

  afterAll(async () => {
    await stop?.();
    rmSync(databaseDir, { recursive: true, force: true });
  });

  it('reads the tables the fabric writes, with the fixtures in them', async () => {
    const state = await snapshot();
    expect(state).toContain(fixtures.placementId);
    expect(state).toContain(fixtures.meshPlanId);
  });

  it('has a request for every route in the table', () => {
    expect(Object.keys(REQUESTS).sort()).toEqual(
      FABRIC_ROUTES.map(fabricRouteName).sort(),
    );
  });

  describe.each(
    FABRIC_ROUTES.map(route => [fabricRouteName(route), route] as const),
  )('%s', (name, route) => {
    it.each(
      FABRIC_CALLERS.map(caller => [caller, route.expected[caller]] as const),
    )('%s → %d', async (caller, expected) => {
      const req = REQUESTS[name](fixtures, caller);
      const before = await snapshot();
      const eventsBefore = events.length;
      const res = await send(caller, route.method, req);
      // On a mismatch the failure shows what the route answered, not just its status.
      const answer = `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
      expect(res.status === expected ? expected : answer).toBe(expected);
      // A refusal changes nothing; a 403 is the policy's, with one audit event naming the route.
      const tablesUnchanged = expected < 400 || (await snapshot()) === before;
      const refusalEvents = events
        .slice(eventsBefore)
        .filter(e => e.eventId === 'permission-refused')
        .map(e => ({
          outcome: e.outcome,
          method: e.meta?.method,
          route: e.meta?.route,
        }));
      const route403 = {
        outcome: 'fail',
        method: route.method,
        route: `/api/fabric${req.path.split('?')[0]}`,
      };
      expect({
        tablesUnchanged,
        refusalEvents,
        error: res.status === 403 ? res.body?.error?.name : undefined,
      }).toEqual({
        tablesUnchanged: true,
        refusalEvents: expected === 403 ? [route403] : [],
        error: expected === 403 ? 'NotAllowedError' : undefined,
      });
    });
  });
});
