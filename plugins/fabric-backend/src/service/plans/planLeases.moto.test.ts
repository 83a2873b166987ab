import { DescribeVpcPeeringConnectionsCommand } from '@aws-sdk/client-ec2';
import { LoggerService } from '@backstage/backend-plugin-api';
import { AwsClientFactory, parseFabricConfig } from '@internal/backstage-plugin-fabric-node';
import { startMotoServer, MotoServer } from '@internal/fabric-test-tooling';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { Knex } from 'knex';
import { DatabasePlanStore } from '../../database/DatabasePlanStore';
import { createTestDatabases } from '../../__testUtils__/testDatabases';
import { createPlanning } from '.';
import { createMeshVpcs, MESH_ACCOUNTS, MESH_REGIONS } from '../../__testUtils__/meshEstate';

jest.setTimeout(240_000);

const accounts = MESH_ACCOUNTS;
const regions = MESH_REGIONS;
const LEASE_MS = 3_000;

const quiet: LoggerService = {
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
  child: () => quiet,
};

/**
 * Two backend replicas share one database (PostgreSQL when the test harness provides
 * one, else one SQLite file): replica A — its own process — starts a mesh apply on
 * moto_server and is killed with SIGKILL mid-apply; replica B leaves the plan alone
 * while A's lease is alive, takes it over once the lease expires, and finishes it.
 * moto's request recorder proves that no step ran twice.
 */
describe('an apply survives the death of the replica running it', () => {
  let moto: MotoServer;
  let clients: AwsClientFactory;
  let recording: string;
  let replicaA: ChildProcess | undefined;
  const savedEnv = { ...process.env };
  const databases = createTestDatabases();

  beforeAll(async () => {
    recording = join(mkdtempSync(join(tmpdir(), 'fabric-lease-')), 'moto-requests.jsonl');
    process.env.MOTO_RECORDER_FILEPATH = recording;
    moto = await startMotoServer();
    process.env = { ...savedEnv };
    process.env.AWS_ACCESS_KEY_ID = 'hub-key';
    process.env.AWS_SECRET_ACCESS_KEY = 'hub-secret';
    process.env.AWS_REGION = 'us-east-1';
  });

  afterAll(async () => {
    replicaA?.kill('SIGKILL');
    clients?.destroy();
    process.env = savedEnv;
    await moto?.stop();
  });

  /**
   * The databases two replicas can share: a SQLite file (the embedded default, where a
   * killed backend's restart takes the apply over) and PostgreSQL when the harness
   * provides one (several replicas).
   */
  const sharedDatabases: Array<[string, () => Promise<{ knex: Knex; forReplica: object }>]> = [
    [
      'a SQLite file',
      async () => {
        const filename = join(mkdtempSync(join(tmpdir(), 'fabric-lease-db-')), 'fabric.sqlite');
        const config = { client: 'better-sqlite3', connection: { filename }, useNullAsDefault: true };
        return { knex: knexFactory(config), forReplica: config };
      },
    ],
    ...databases
      .eachSupportedId()
      .filter(([id]) => id.startsWith('POSTGRES'))
      .slice(0, 1)
      .map(([id]): [string, () => Promise<{ knex: Knex; forReplica: object }>] => [
        id,
        async () => {
          const knex = await databases.init(id);
          // The same server and the test database created for this run.
          const url = new URL(process.env[`BACKSTAGE_TEST_DATABASE_${id.replace('_', '')}_CONNECTION_STRING`]!);
          url.pathname = `/${knex.client.database()}`;
          return { knex, forReplica: { client: 'pg', connection: url.toString() } };
        },
      ]),
  ];

  function mutatingCalls(action: string): number {
    if (!existsSync(recording)) return 0;
    return readFileSync(recording, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(line => JSON.parse(line) as { body?: string; body_encoded?: boolean })
      .map(entry => (entry.body_encoded ? Buffer.from(entry.body ?? '', 'base64').toString('utf8') : entry.body ?? ''))
      .filter(body => new URLSearchParams(body).get('Action') === action).length;
  }

  it.each(sharedDatabases)('on %s: B waits for A\'s lease, then finishes the apply; every create call happened once', async (_name, sharedDatabase) => {
    // A fresh AWS account state per database; assumed-role keys are per moto state too.
    await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' });
    clients?.destroy();
    clients = new AwsClientFactory({
      endpoint: moto.endpoint,
      maxAttempts: 1,
      hubCredentials: { accessKeyId: 'hub-key', secretAccessKey: 'hub-secret' },
    });
    await createMeshVpcs(clients);
    await fetch(`${moto.endpoint}/moto-api/recorder/reset-recording`, { method: 'POST' });
    await fetch(`${moto.endpoint}/moto-api/recorder/start-recording`, { method: 'POST' });
    const db = await sharedDatabase();
    const fabric = {
      estate: { source: 'aws', mode: 'apply', defaultRegions: regions, gpuFamilies: ['p5'], accounts },
      aws: { endpoint: moto.endpoint, maxAttempts: 1 },
    };
    const plans = await DatabasePlanStore.create({ database: { getClient: async () => db.knex } });
    const replicaB = createPlanning({
      config: parseFabricConfig(fabric),
      plans,
      logger: quiet,
      awsClients: clients,
      leaseMs: LEASE_MS,
    });
    const planned = await replicaB.mesh.plan({}, 'user:default/platform-admin');
    const steps = planned.plan.steps;
    const peeringSteps = steps.filter(s => s.type === 'ec2:CreateVpcPeeringConnection').length;
    const routeSteps = steps.filter(s => s.type === 'ec2:CreateRoute').length;
    expect(peeringSteps).toBe(15);

    // Replica A applies in its own process until it is killed.
    replicaA = spawn(process.execPath, [join(__dirname, '../../__testUtils__/planReplica.js')], {
      env: {
        ...process.env,
        FABRIC_REPLICA: JSON.stringify({ knex: db.forReplica, fabric, planId: planned.id, leaseMs: LEASE_MS }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pidA = replicaA.pid;
    let replicaOutput = '';
    replicaA.stdout!.on('data', chunk => (replicaOutput += chunk));
    replicaA.stderr!.on('data', chunk => (replicaOutput += chunk));

    const doneSteps = async () => Object.values(await plans.list(planned.id)).filter(c => c.status === 'done').length;
    for (let i = 0; (await doneSteps()) < 8; i++) {
      if (replicaA.exitCode !== null || i > 600) throw new Error(`replica A did not progress:\n${replicaOutput}`);
      await new Promise(r => setTimeout(r, 100));
    }
    const holder = await plans.leaseOf(planned.id);
    replicaA.kill('SIGKILL');
    await new Promise(r => replicaA!.once('exit', r));
    replicaA = undefined;
    const doneWhenKilled = await doneSteps();
    expect(doneWhenKilled).toBeLessThan(steps.length);
    expect(holder?.owner).toMatch(new RegExp(`:${pidA}:`));

    // A's lease is still alive: B must not touch the plan yet.
    await expect(replicaB.runner.resumeInterrupted()).resolves.toEqual([]);
    expect((await plans.getPlan(planned.id))?.status).toBe('applying');

    // Once it expires, B takes the apply over and finishes it.
    let adopted: string[] = [];
    for (let i = 0; adopted.length === 0; i++) {
      if (i > 100) throw new Error('replica B never took the apply over');
      await new Promise(r => setTimeout(r, 200));
      adopted = await replicaB.runner.resumeInterrupted();
    }
    expect(adopted).toEqual([planned.id]);
    expect(Date.parse((await plans.leaseOf(planned.id))!.expiresAt)).toBeGreaterThan(Date.now());
    await replicaB.runner.settled(planned.id);
    const finished = await replicaB.runner.view(planned.id);
    expect(finished.status).toBe('applied');
    expect(finished.steps.every(s => s.status === 'done')).toBe(true);

    // No step ran twice: one create call per planned peering and route, across both replicas.
    expect(mutatingCalls('CreateVpcPeeringConnection')).toBe(peeringSteps);
    expect(mutatingCalls('CreateRoute')).toBe(routeSteps);
    const peerings = new Set<string>();
    for (const account of accounts) {
      for (const region of regions) {
        const out = await clients
          .ec2({ accountId: account.id, region }, account)
          .send(new DescribeVpcPeeringConnectionsCommand({}));
        for (const pcx of out.VpcPeeringConnections ?? []) {
          if (pcx.Status?.Code === 'active') peerings.add(pcx.VpcPeeringConnectionId!);
        }
      }
    }
    expect(peerings.size).toBe(15);
    await db.knex.destroy();
  });
});
