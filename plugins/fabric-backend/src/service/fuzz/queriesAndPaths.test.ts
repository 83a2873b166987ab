import { TestDatabases } from '@backstage/backend-test-utils';
import fc from 'fast-check';
import request from 'supertest';
import { bodies, pathIds, queryStrings, withBody } from './__testUtils__/arbitraries';
import { FuzzBackend, startFuzzBackend, summary } from './__testUtils__/fuzzBackend';
import { islandSpec, trainingRun } from './__testUtils__/validRequests';

jest.setTimeout(30 * 60_000);

const CAPACITY_FIELDS = /gpu|family|instanceType|minGpus|region|azId|accountId|capacityType|efaOnly|intent/;
const PLACEMENT_FILTER_FIELDS = /entityRef|limit/;
const PLAN_FILTER_FIELDS = /kind|subject/;
const NODECLAIM_FILTER_FIELDS = /cell|entityRef|nodePool/;
const ID_FIELDS = /placement id|plan id|island id/;
const NONE = /(?!)/;

const capacityParams = {
  gpu: fc.constantFrom('H100', 'A100', 'L4', 'h100', ''),
  family: fc.constantFrom('p5', 'g6', 'g6e', 'P5', 'p5.48xlarge'),
  instanceType: fc.constantFrom('p5.48xlarge', 'g6.xlarge', 'p5', 'g6.XLARGE'),
  minGpus: fc.oneof(
    fc.integer({ min: -10, max: 100 }).map(String),
    fc.constantFrom('1e999', 'NaN', '1.5', '0x8', ' 8', ''),
  ),
  region: fc.constantFrom('us-east-1', 'us-west-2', 'us-east-1a', 'mars-north-1', 'US-EAST-1'),
  azId: fc.constantFrom('use1-az4', 'usw2-az1', 'us-east-1a', 'use1-az99', 'USE1-AZ4'),
  accountId: fc.constantFrom('111111111111', '11111111111', '1111111111111', 'aaaaaaaaaaaa'),
  capacityType: fc.constantFrom('spot', 'on-demand', 'reserved', 'Spot', 'capacity-block'),
  efaOnly: fc.constantFrom('true', 'false', '1', 'yes', 'TRUE'),
  intent: fc.constantFrom('throughput', 'tightly-coupled', 'balanced', 'fast'),
};
const placementFilterParams = {
  entityRef: fc.constantFrom('component:default/llm-pretraining', 'llm-pretraining', 'component:default/', 'a:b/c/d'),
  limit: fc.oneof(fc.integer({ min: -5, max: 300 }).map(String), fc.constantFrom('1e999', 'NaN', '2.5', '')),
};
const planFilterParams = {
  kind: fc.constantFrom('mesh', 'mesh-destroy', 'island', 'island-destroy', 'cells', 'MESH', 'placement'),
  subject: fc.constantFrom('llm-use1-az4', 'mesh', '', 'x'.repeat(300)),
};

const nodeClaimFilterParams = {
  cell: fc.constantFrom('111111111111.us-east-1', '111111111111/us-east-1', 'us-east-1', '1111.us-east-1', ''),
  entityRef: placementFilterParams.entityRef,
  nodePool: fc.constantFrom('fabric-llm-111111111111-us-east-1', 'Fabric_Pool', '-a', '', 'x'.repeat(300)),
};

const uuid = fc.uuid();
const islandId = fc.oneof(
  fc.constantFrom('llm-use1-az4', 'other-island', 'a', 'x'.repeat(25), '-a', 'a-'),
  fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,22}[a-z0-9])?$/),
);

const databases = TestDatabases.create({ ids: ['SQLITE_3'], disableDocker: true });

/**
 * Query strings and path ids of every fabric route, fuzzed: never a 5xx, every 4xx a
 * JSON error naming the parameter, and a refused request leaves the tables as they were.
 */
describe('fuzzed query strings and path ids', () => {
  let fabric: FuzzBackend;
  const known = { placements: [] as string[], plans: [] as string[] };

  beforeAll(async () => {
    fabric = await startFuzzBackend(databases);
    // Records to look up: a placed placement, its cells plan and an island plan (a mesh
    // plan would do too, but its hundreds of steps would make every snapshot slower).
    const placed = await request(fabric.server).post('/api/fabric/placements').send(trainingRun);
    const cells = await request(fabric.server).post(`/api/fabric/placements/${placed.body.id}/provision`);
    const island = await request(fabric.server).post('/api/fabric/islands').send(islandSpec);
    if ([placed.status, cells.status, island.status].some(status => status !== 201)) {
      throw new Error(`could not store the fixtures: ${placed.status} ${cells.status} ${island.status}`);
    }
    known.placements.push(placed.body.id);
    known.plans.push(cells.body.id, island.body.id);
    await fabric.remember();
  });
  afterAll(() => {
    if (fabric) {
      // eslint-disable-next-line no-console
      console.log(summary(fabric.counts));
      fabric.stop();
    }
  });

  const get = (path: string, query: string) => ({ method: 'get' as const, path: query ? `${path}?${query}` : path });

  it('GET /capacity', async () => {
    expect(
      await fabric.fuzz('GET /capacity', queryStrings(capacityParams), q => get('/capacity', q), CAPACITY_FIELDS),
    ).toBeUndefined();
  });

  it('GET /estate', async () => {
    expect(await fabric.fuzz('GET /estate', queryStrings({}), q => get('/estate', q), NONE)).toBeUndefined();
  });

  it('GET /workloads', async () => {
    expect(await fabric.fuzz('GET /workloads', queryStrings({}), q => get('/workloads', q), NONE)).toBeUndefined();
  });

  it('GET /placements', async () => {
    expect(
      await fabric.fuzz(
        'GET /placements',
        queryStrings(placementFilterParams),
        q => get('/placements', q),
        PLACEMENT_FILTER_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('GET /plans', async () => {
    expect(
      await fabric.fuzz('GET /plans', queryStrings(planFilterParams), q => get('/plans', q), PLAN_FILTER_FIELDS),
    ).toBeUndefined();
  });

  it('GET /nodeclaims', async () => {
    expect(
      await fabric.fuzz(
        'GET /nodeclaims',
        queryStrings(nodeClaimFilterParams),
        q => get('/nodeclaims', q),
        NODECLAIM_FILTER_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('GET /provisioner', async () => {
    expect(await fabric.fuzz('GET /provisioner', queryStrings({}), q => get('/provisioner', q), NONE)).toBeUndefined();
  });

  it('GET /placements/:id', async () => {
    expect(
      await fabric.fuzz(
        'GET /placements/:id',
        pathIds(known.placements, uuid),
        id => get(`/placements/${id}`, ''),
        ID_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('GET /plans/:id', async () => {
    expect(
      await fabric.fuzz('GET /plans/:id', pathIds(known.plans, uuid), id => get(`/plans/${id}`, ''), ID_FIELDS),
    ).toBeUndefined();
  });

  it('POST /placements/:id/provision', async () => {
    expect(
      await fabric.fuzz(
        'POST /placements/:id/provision',
        fc.tuple(pathIds(known.placements, uuid), bodies([{}])),
        ([id, raw]) => withBody('post', `/placements/${id}/provision`, raw),
        ID_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('POST /plans/:id/apply', async () => {
    expect(
      await fabric.fuzz(
        'POST /plans/:id/apply',
        fc.tuple(pathIds(known.plans, uuid), bodies([{}])),
        ([id, raw]) => withBody('post', `/plans/${id}/apply`, raw),
        ID_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('POST /islands/:id/apply', async () => {
    expect(
      await fabric.fuzz(
        'POST /islands/:id/apply',
        fc.tuple(pathIds(['llm-use1-az4'], islandId), bodies([{}])),
        ([id, raw]) => withBody('post', `/islands/${id}/apply`, raw),
        ID_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('DELETE /islands/:id', async () => {
    expect(
      await fabric.fuzz(
        'DELETE /islands/:id',
        pathIds(['llm-use1-az4'], islandId),
        id => ({ method: 'delete', path: `/islands/${id}` }),
        ID_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('DELETE /mesh', async () => {
    expect(
      await fabric.fuzz(
        'DELETE /mesh',
        queryStrings({}),
        q => ({ method: 'delete', path: q ? `/mesh?${q}` : '/mesh' }),
        NONE,
      ),
    ).toBeUndefined();
  });
});
