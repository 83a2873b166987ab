import { CreateVpcCommand } from '@aws-sdk/client-ec2';
import { LoggerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { AwsClientFactory, AwsRateLimits, parseFabricConfig } from '@internal/backstage-plugin-fabric-node';
import { startMotoServer, MotoServer } from '@internal/fabric-test-tooling';
import knexFactory from 'knex';
import { DatabaseFabricStore } from '../database/DatabaseFabricStore';
import { DatabasePlanStore } from '../database/DatabasePlanStore';
import { EstateService } from './EstateService';
import { createPlanning } from './plans';

jest.setTimeout(180_000);

const accounts = [
  { id: '111111111111', name: 'hub', role: 'hub', roleArn: 'arn:aws:iam::111111111111:role/fabric-hub' },
  { id: '222222222222', name: 'research', roleArn: 'arn:aws:iam::222222222222:role/fabric-member' },
];
const quiet: LoggerService = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {}, child: () => quiet };

/**
 * EC2 throttles each account and region with one bucket, whoever calls. Discovery and
 * plan applies of one backend therefore draw from one set of client-side buckets: the
 * calls of both land on the same per-cell keys of the same limiters.
 */
describe('discovery and applies share the process\'s EC2 buckets (moto_server)', () => {
  let moto: MotoServer;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    moto = await startMotoServer();
    process.env.AWS_ACCESS_KEY_ID = 'hub-key';
    process.env.AWS_SECRET_ACCESS_KEY = 'hub-secret';
    process.env.AWS_REGION = 'us-east-1';
  });
  afterAll(async () => {
    process.env = savedEnv;
    await moto?.stop();
  });

  it('counts discovery\'s and the mesh apply\'s calls against the same per-cell buckets', async () => {
    const config = parseFabricConfig({
      estate: { source: 'aws', mode: 'apply', defaultRegions: ['us-east-1'], gpuFamilies: ['p5'], accounts },
      aws: { endpoint: moto.endpoint, maxAttempts: 1 },
    });
    const clients = new AwsClientFactory({ endpoint: moto.endpoint, maxAttempts: 1 });
    for (const [i, account] of accounts.entries()) {
      await clients.ec2({ accountId: account.id, region: 'us-east-1' }, account).send(
        new CreateVpcCommand({
          CidrBlock: `10.${70 + i}.0.0/16`,
          TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'fabric.cloudspectra.io/mesh', Value: 'true' }] }],
        }),
      );
    }
    const rateLimits = new AwsRateLimits();
    const calls: Array<{ phase: string; bucket: string; key: string }> = [];
    const state = { phase: 'discovery' };
    const record = (bucket: string, limiter: typeof rateLimits.mutating) => {
      const acquire = limiter.acquire.bind(limiter);
      jest.spyOn(limiter, 'acquire').mockImplementation((key, signal) => {
        calls.push({ phase: state.phase, bucket, key });
        return acquire(key, signal);
      });
    };
    record('ec2', rateLimits.nonMutating);
    record('ec2-mutating', rateLimits.mutating);

    const database = () => {
      const knex = knexFactory({ client: 'better-sqlite3', connection: ':memory:', useNullAsDefault: true });
      return mockServices.database({ knex, migrations: { skip: false } });
    };
    const store = await DatabaseFabricStore.create({ database: database() });
    const estate = new EstateService({ config, store, logger: quiet, version: 'test', awsClients: clients, rateLimits });
    await estate.refresh();

    state.phase = 'apply';
    const plans = await DatabasePlanStore.create({ database: database() });
    const planning = createPlanning({ config, plans, logger: quiet, awsClients: clients, rateLimits });
    const planned = await planning.mesh.plan({}, 'user:default/platform-admin');
    await planning.runner.startApply(planned.id);
    await planning.runner.settled(planned.id);
    expect((await planning.runner.view(planned.id)).status).toBe('applied');

    const hubCell = 'ec2:111111111111/us-east-1';
    const discoveryReads = calls.filter(c => c.phase === 'discovery' && c.key === hubCell).length;
    const applyReads = calls.filter(c => c.phase === 'apply' && c.bucket === 'ec2' && c.key === hubCell).length;
    const applyWrites = calls.filter(c => c.phase === 'apply' && c.bucket === 'ec2-mutating' && c.key === 'ec2-mutating:111111111111/us-east-1').length;
    expect(discoveryReads).toBeGreaterThan(0);
    expect(applyReads).toBeGreaterThan(0);
    expect(applyWrites).toBeGreaterThan(0);
    clients.destroy();
  });
});
