import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { bodies, withBody } from './__testUtils__/arbitraries';
import { FuzzBackend, startFuzzBackend, summary } from './__testUtils__/fuzzBackend';
import { islandSpec, trainingRun } from './__testUtils__/validRequests';

jest.setTimeout(30 * 60_000);

const inference = {
  entityRef: 'component:default/batch-inference',
  intent: 'throughput',
  gpu: { instanceTypes: ['g6.xlarge'], totalGpus: 8 },
  spotPolicy: 'spot-first',
  maxHourlyPrice: 40,
  allowedRegions: ['us-east-1', 'us-west-2'],
  deniedAccounts: ['333333333333'],
  minAzIds: 2,
  dataMovement: [{ gbPerDay: 100, region: 'us-east-1', azId: 'use1-az4' }],
};
const balanced = {
  entityRef: 'component:default/finetune',
  intent: 'balanced',
  gpu: { minGpuMemoryGiB: 40, totalGpus: 4 },
  preferredRegion: 'us-east-1',
  allowSpotForTightlyCoupled: false,
};
const workload = {
  name: 'llm-finetune',
  namespace: 'default',
  title: 'LLM fine-tuning',
  description: 'Fine-tunes the base model',
  owner: 'group:default/ml-research',
  system: 'system:default/ml',
  intent: 'tightly-coupled',
  gpu: 'p5',
};
const meshRequest = {
  traffic: [
    { from: '111111111111/us-east-1/use1-az4', to: '222222222222/us-west-2/usw2-az1', gbPerMonth: 1000 },
    { from: '222222222222/us-west-2/usw2-az1', to: '111111111111/us-east-1/use1-az6', gbPerMonth: 0 },
  ],
};
const islandWithReservation = {
  ...islandSpec,
  capacityReservations: [{ id: 'cr-0123456789abcdef0', instanceType: 'p5.48xlarge', capacityBlock: true }],
};

const PLACEMENT_FIELDS =
  /entityRef|intent|gpu|instanceTypes|family|minGpuMemoryGiB|gpusPerNode|totalGpus|spotPolicy|allowSpotForTightlyCoupled|maxHourlyPrice|allowedRegions|deniedRegions|allowedAccounts|deniedAccounts|preferredRegion|minAzIds|dataMovement|gbPerDay|region|azId/;
const WORKLOAD_FIELDS = /name|namespace|title|description|owner|system|intent|gpu/;
const MESH_FIELDS = /traffic|from|to|gbPerMonth/;
const ISLAND_FIELDS =
  /\bid\b|region|azId|AZ-ID|networkAccountId|network account|vpcId|vpcCidr|VPC CIDR|subnetCidr|subnet|memberAccountIds|member account|instanceTypes|instance type|capacityReservations|reservation|hub|placementId|capacityBlockIds|island/;

const databases = TestDatabases.create({ ids: ['SQLITE_3'], disableDocker: true });

/**
 * Every JSON body the fabric takes, fuzzed from valid bodies: never a 5xx, every 4xx a
 * JSON error naming the field, and a refused request leaves the tables as they were.
 */
describe('fuzzed request bodies', () => {
  let fabric: FuzzBackend;

  beforeAll(async () => {
    fabric = await startFuzzBackend(databases);
  });
  afterAll(() => {
    if (fabric) {
      // eslint-disable-next-line no-console
      console.log(summary(fabric.counts));
      fabric.stop();
    }
  });
  beforeEach(async () => {
    await fabric.clear();
  });

  it('POST /placements', async () => {
    expect(
      await fabric.fuzz(
        'POST /placements',
        bodies([trainingRun, inference, balanced]),
        raw => withBody('post', '/placements', raw),
        PLACEMENT_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('POST /workloads', async () => {
    expect(
      await fabric.fuzz(
        'POST /workloads',
        bodies([workload]),
        raw => withBody('post', '/workloads', raw),
        WORKLOAD_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('POST /mesh/plan', async () => {
    expect(
      await fabric.fuzz(
        'POST /mesh/plan',
        bodies([meshRequest, {}]),
        raw => withBody('post', '/mesh/plan', raw),
        MESH_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('POST /mesh/apply', async () => {
    expect(
      await fabric.fuzz(
        'POST /mesh/apply',
        bodies([meshRequest, {}]),
        raw => withBody('post', '/mesh/apply', raw),
        MESH_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('POST /islands (spec)', async () => {
    expect(
      await fabric.fuzz(
        'POST /islands (spec)',
        bodies([islandWithReservation]),
        raw => withBody('post', '/islands', raw),
        ISLAND_FIELDS,
      ),
    ).toBeUndefined();
  });

  it('POST /islands (from a placement)', async () => {
    const placed = await request(fabric.server).post('/api/fabric/placements').send(trainingRun);
    expect(placed.body.placement.status).toBe('placed');
    await fabric.remember();
    const fromPlacement = {
      placementId: placed.body.id,
      id: 'llm-pretraining',
      networkAccountId: '444444444444',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      vpcCidr: '10.80.0.0/16',
      subnetCidr: '10.80.16.0/22',
      capacityBlockIds: ['cr-0123456789abcdef0'],
    };
    expect(
      await fabric.fuzz(
        'POST /islands (from a placement)',
        bodies([fromPlacement]),
        raw => withBody('post', '/islands', raw),
        ISLAND_FIELDS,
      ),
    ).toBeUndefined();
  });
});
