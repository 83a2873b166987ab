import { CreateVpcCommand } from '@aws-sdk/client-ec2';
import { coreServices, createServiceFactory, LoggerService, RootLoggerService } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { AwsClientFactory } from '@internal/backstage-plugin-fabric-node';
import { freePort, startMotoServer, MotoServer } from '@internal/fabric-test-tooling';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, IncomingMessage } from 'node:http';
import request from 'supertest';
import { fabricPlugin } from '../plugin';

jest.setTimeout(300_000);

/**
 * The fabric holds secrets: the hub cluster's bearer token, the ExternalIds its member
 * roles require, the hub's AWS keys, and the session credentials STS issues for every
 * member. None may reach a log line, an API response, a stored plan or an audit event.
 * Distinctive values are planted in the configuration and the environment, every route
 * is exercised against moto_server (with one account whose AssumeRole is denied, so
 * error text flows everywhere), and every output is searched for them.
 */

const planted = (what: string) => `planted-secret-${what}-${randomBytes(8).toString('hex')}`;
const secrets = {
  hubToken: planted('hub-token'),
  hubAccessKeyId: planted('access-key'),
  hubSecretAccessKey: planted('secret-key'),
  hubSessionToken: planted('session-token'),
  hubExternalId: planted('external-id-hub'),
  networkExternalId: planted('external-id-network'),
  memberExternalId: planted('external-id-member'),
  deniedExternalId: planted('external-id-denied'),
};

const region = 'us-east-1';
const memberRole = (id: string) => `arn:aws:iam::${id}:role/fabric-member`;
const accounts = [
  { id: '111111111111', name: 'hub', role: 'hub', roleArn: 'arn:aws:iam::111111111111:role/fabric-hub', externalId: secrets.hubExternalId },
  { id: '444444444444', name: 'network', role: 'network', roleArn: memberRole('444444444444'), externalId: secrets.networkExternalId },
  { id: '222222222222', name: 'research', roleArn: memberRole('222222222222'), externalId: secrets.memberExternalId },
  // Its trust policy refuses the hub: every AssumeRole into it is denied.
  { id: '555555555555', name: 'locked', roleArn: memberRole('555555555555'), externalId: secrets.deniedExternalId },
];
const deniedRoleArn = memberRole('555555555555');
const MOTO_SESSION_TOKEN_PREFIX = 'FQoGZXIvYXdzE';

/** Everything written anywhere the test can see, as text to search. */
interface Captured {
  logs: string[];
  audits: string[];
  responses: string[];
  console: string[];
}

/** JSON of anything a logger or an auditor could print: errors with their message, stack, cause and fields. */
function printable(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, function replacer(_key, v: unknown) {
    if (typeof v === 'bigint') return String(v);
    if (typeof v !== 'object' || v === null) return v;
    if (seen.has(v)) return '[Circular]';
    seen.add(v);
    if (v instanceof Error) {
      const fields: Record<string, unknown> = { ...v };
      return { ...fields, name: v.name, message: v.message, stack: v.stack, cause: (v as { cause?: unknown }).cause };
    }
    return v;
  }) ?? String(value);
}

/** A root logger that records every line, with its message, meta and the meta of every child. */
function recordingLogger(lines: string[]) {
  const make = (inherited: object): RootLoggerService & LoggerService => {
    const write = (level: string) => (message: string, meta?: unknown) => {
      lines.push(printable({ level, message, ...inherited, meta }));
    };
    return {
      error: write('error'),
      warn: write('warn'),
      info: write('info'),
      debug: write('debug'),
      child: meta => make({ ...inherited, ...meta }),
    };
  };
  return createServiceFactory({ service: coreServices.rootLogger, deps: {}, factory: () => make({}) });
}

/** An auditor that records each event's options and how it ended, error included. */
function recordingAuditor(events: Array<{ eventId: string; text: string; outcome?: string }>) {
  return mockServices.auditor.mock({
    createEvent: jest.fn(async options => {
      const event: { eventId: string; text: string; outcome?: string } = { eventId: options.eventId, text: printable(options) };
      events.push(event);
      return {
        success: jest.fn(async (args?: unknown) => {
          event.outcome = 'success';
          event.text += printable(args);
        }),
        fail: jest.fn(async (args: unknown) => {
          event.outcome = 'fail';
          event.text += printable(args);
        }),
      };
    }),
  });
}

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/**
 * What STS and EC2 see, in front of moto_server: records each AssumeRole (its
 * parameters and signing key id) and the session credentials moto issues, and denies
 * AssumeRole into the locked account the way STS does.
 */
async function startAwsWire(moto: MotoServer) {
  const assumeRoles: Array<{ params: URLSearchParams; authorization: string }> = [];
  const issued: string[] = [];
  const port = await freePort();
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const params = new URLSearchParams(body.toString('utf8'));
    const isAssumeRole = params.get('Action') === 'AssumeRole';
    if (isAssumeRole) assumeRoles.push({ params, authorization: String(req.headers.authorization ?? '') });
    if (String(req.headers['x-amz-target'] ?? '').endsWith('.GetServiceQuota')) {
      // moto has no EC2 quotas: an applied one lets a placement be made, so its cells reach the hub.
      const { ServiceCode, QuotaCode } = JSON.parse(body.toString('utf8'));
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ Quota: { ServiceCode, QuotaCode, QuotaName: QuotaCode, Value: 100_000, Unit: 'None' } }));
      return;
    }
    if (isAssumeRole && params.get('RoleArn') === deniedRoleArn) {
      res.writeHead(403, { 'Content-Type': 'text/xml' });
      res.end(
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
          `<Message>User: arn:aws:iam::111111111111:user/fabric-hub is not authorized to perform: sts:AssumeRole on resource: ${deniedRoleArn}</Message>` +
          '</Error><RequestId>8f0e2b5c-0000-4000-8000-000000000001</RequestId></ErrorResponse>',
      );
      return;
    }
    const upstream = httpRequest(`${moto.endpoint}${req.url}`, { method: req.method, headers: req.headers }, answer => {
      void readBody(answer).then(answerBody => {
        if (isAssumeRole) {
          for (const match of answerBody.toString('utf8').matchAll(/<(SessionToken|SecretAccessKey|AccessKeyId)>([^<]+)</g)) {
            issued.push(match[2]);
          }
        }
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        res.end(answerBody);
      });
    });
    upstream.on('error', error => {
      res.writeHead(502);
      res.end(String(error));
    });
    upstream.end(body);
  });
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${port}`, assumeRoles, issued, server };
}

/** A hub API server that refuses every call as kube-apiserver does a bad token, recording the header. */
async function startHubStub() {
  const authorizations: string[] = [];
  const port = await freePort();
  const server = createServer(async (req, res) => {
    await readBody(req);
    authorizations.push(String(req.headers.authorization ?? ''));
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
  });
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, authorizations, server };
}

describe('secrets never leave the fabric (moto_server)', () => {
  let moto: MotoServer;
  let wire: Awaited<ReturnType<typeof startAwsWire>>;
  let hub: Awaited<ReturnType<typeof startHubStub>>;
  const vpcs: Record<string, string> = {};
  const savedEnv = { ...process.env };
  const databases = TestDatabases.create({ ids: ['SQLITE_3'], disableDocker: true });

  beforeAll(async () => {
    moto = await startMotoServer();
    wire = await startAwsWire(moto);
    hub = await startHubStub();
    // The VPCs are made straight on moto with other keys: only the fabric goes through the wire.
    const setup = new AwsClientFactory({ endpoint: moto.endpoint, maxAttempts: 1, hubCredentials: { accessKeyId: 'setup', secretAccessKey: 'setup' } });
    let n = 64;
    for (const account of accounts) {
      const out = await setup.ec2({ accountId: account.id, region }, account).send(
        new CreateVpcCommand({
          CidrBlock: `10.${n++}.0.0/16`,
          TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'fabric.cloudspectra.io/mesh', Value: 'true' }] }],
        }),
      );
      vpcs[account.id] = out.Vpc!.VpcId!;
    }
    setup.destroy();
    process.env.AWS_ACCESS_KEY_ID = secrets.hubAccessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = secrets.hubSecretAccessKey;
    process.env.AWS_SESSION_TOKEN = secrets.hubSessionToken;
    process.env.AWS_REGION = region;
  });

  afterAll(async () => {
    process.env = savedEnv;
    await new Promise(resolve => wire?.server.close(resolve));
    await new Promise(resolve => hub?.server.close(resolve));
    await moto?.stop();
  });

  it('refuses a malformed ExternalId at startup naming its key, never its value', async () => {
    const logs: string[] = [];
    const malformed = `${planted('external-id-malformed')} #`;
    const started = startTestBackend({
      features: [
        fabricPlugin,
        recordingLogger(logs),
        mockServices.rootConfig.factory({
          data: {
            fabric: {
              estate: { source: 'aws', accounts: [{ ...accounts[2], externalId: malformed }] },
              hub: { kubernetes: { url: hub.url, token: secrets.hubToken } },
            },
          },
        }),
      ],
    });
    const error = await started.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(printable(error)).toContain('fabric.estate.accounts[0].externalId');
    for (const text of [printable(error), ...logs]) {
      expect(text).not.toContain(malformed.slice(0, -2));
      expect(text).not.toContain(secrets.hubToken);
    }
  });

  it('keeps the hub token, ExternalIds, AWS keys and session tokens out of logs, responses, plans and audit events', async () => {
    const captured: Captured = { logs: [], audits: [], responses: [], console: [] };
    const auditEvents: Array<{ eventId: string; text: string; outcome?: string }> = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        captured.console.push(printable(args));
      });
    }
    const knex = await databases.init('SQLITE_3');
    const { server } = await startTestBackend({
      features: [
        fabricPlugin,
        recordingLogger(captured.logs),
        recordingAuditor(auditEvents).factory,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            fabric: {
              estate: { source: 'aws', mode: 'apply', defaultRegions: [region], gpuFamilies: ['p5'], accounts },
              aws: { endpoint: wire.endpoint, maxAttempts: 1 },
              hub: { kubernetes: { url: hub.url, token: secrets.hubToken } },
            },
          },
        }),
      ],
    });

    const call = async (method: 'get' | 'post' | 'delete', path: string, body?: unknown) => {
      let pending = request(server)[method](`/api/fabric${path}`);
      if (body !== undefined) pending = pending.send(body as object);
      const res = await pending;
      captured.responses.push(`${method.toUpperCase()} ${path} ${res.status} ${printable(res.headers)} ${res.text}`);
      return res;
    };
    const waitForPlan = async (id: string) => {
      for (let i = 0; i < 400; i++) {
        const view = await call('get', `/plans/${id}`);
        if (view.body.status === 'applied' || view.body.status === 'failed') return view.body;
        await new Promise(r => setTimeout(r, 250));
      }
      throw new Error(`plan ${id} did not finish`);
    };

    // Discovery: the locked account's cell fails, with its reason.
    expect((await call('post', '/refresh')).status).toBeLessThan(300);
    const estate = await call('get', '/estate');
    expect(estate.status).toBe(200);
    const locked = estate.body.cells.find((c: any) => c.accountId === '555555555555');
    expect(locked.error).toMatch(/AccessDenied/);
    await call('get', '/health');
    await call('get', '/capacity?gpu=H100');
    await call('get', '/capacity?gpu=not-a-gpu&limit=-1');

    // A placement and the cells that provision it: their apply calls the hub cluster, which refuses the token.
    const placement = await call('post', '/placements', {
      entityRef: 'component:default/llm-pretraining',
      intent: 'tightly-coupled',
      gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
    });
    expect(placement.status).toBe(201);
    await call('post', '/placements', { entityRef: 'not a ref', gpu: { totalGpus: 1e308 } });
    await call('get', '/placements');
    await call('get', `/placements/${placement.body.id}`);
    expect(placement.body.placement.status).toBe('placed');
    const provision = await call('post', `/placements/${placement.body.id}/provision`);
    expect(provision.status).toBe(201);
    await call('post', `/plans/${provision.body.id}/apply`);
    expect((await waitForPlan(provision.body.id)).status).toBe('failed');

    // The mesh: planned and applied (the locked account cannot take part), then its removal.
    await call('post', '/mesh/plan', {});
    const mesh = await call('post', '/mesh/apply', {});
    expect(mesh.status).toBe(202);
    await waitForPlan(mesh.body.id);

    // Islands: one the hub cluster must take (it refuses the token), one with the locked account.
    const azId = Object.values<string>(estate.body.cells.find((c: any) => c.accountId === '444444444444').azMap)[0];
    const islandSpec = (id: string, memberAccountIds: string[], subnetCidr: string) => ({
      id,
      region,
      azId,
      networkAccountId: '444444444444',
      vpcId: vpcs['444444444444'],
      vpcCidr: '10.65.0.0/16',
      subnetCidr,
      memberAccountIds,
      instanceTypes: ['p5.48xlarge'],
    });
    for (const [id, members, cidr] of [
      ['secrets-open', ['111111111111', '222222222222'], '10.65.4.0/22'],
      ['secrets-locked', ['555555555555'], '10.65.8.0/22'],
    ] as const) {
      const island = await call('post', '/islands', islandSpec(id, [...members], cidr));
      expect(island.status).toBe(201);
      const applying = await call('post', `/islands/${id}/apply`);
      expect(applying.status).toBe(202);
      await waitForPlan(island.body.id);
      const destroy = await call('delete', `/islands/${id}`);
      if (destroy.status === 201) {
        await call('post', `/plans/${destroy.body.id}/apply`);
        await waitForPlan(destroy.body.id);
      }
    }

    const meshDestroy = await call('delete', '/mesh');
    expect(meshDestroy.status).toBe(201);
    await call('post', `/plans/${meshDestroy.body.id}/apply`);
    await waitForPlan(meshDestroy.body.id);
    await call('get', '/plans');
    await call('get', '/plans?kind=island');
    await call('get', '/plans/00000000-0000-4000-8000-000000000000');
    await call('post', '/plans/not-an-id/apply');
    await call('get', '/workloads');

    const tables: string[] = await knex('sqlite_master').where({ type: 'table' }).pluck('name');
    const database: string[] = [];
    for (const table of tables) database.push(`${table} ${printable(await knex(table).select())}`);
    captured.audits = auditEvents.map(e => `${e.eventId} ${e.outcome} ${e.text}`);

    // The configured secrets were used: the ExternalIds and the hub key id went to STS, the token to the hub.
    for (const account of accounts) {
      const sent = wire.assumeRoles.filter(c => c.params.get('RoleArn') === account.roleArn);
      expect({ account: account.id, externalIds: [...new Set(sent.map(c => c.params.get('ExternalId')))] }).toEqual({
        account: account.id,
        externalIds: [account.externalId],
      });
    }
    expect(wire.assumeRoles.every(c => c.authorization.includes(`Credential=${secrets.hubAccessKeyId}/`))).toBe(true);
    expect(hub.authorizations.length).toBeGreaterThan(0);
    expect(new Set(hub.authorizations)).toEqual(new Set([`Bearer ${secrets.hubToken}`]));
    // Three accounts assumed (AccessKeyId, SecretAccessKey, SessionToken each); the locked one never.
    expect(wire.issued.length).toBeGreaterThanOrEqual(9);
    expect(wire.issued.filter(value => value.startsWith(MOTO_SESSION_TOKEN_PREFIX)).length).toBeGreaterThanOrEqual(3);

    // And the search is not vacuous: logs, audit events, plans with failed steps and cell errors exist.
    const planRows = await knex('fabric_plans').select();
    const failedSteps = database.join('\n').match(/AccessDenied|Unauthorized/g) ?? [];
    expect(captured.logs.length).toBeGreaterThan(5);
    expect(auditEvents.filter(e => e.outcome === 'success').length).toBeGreaterThan(5);
    expect(auditEvents.some(e => e.outcome === 'fail')).toBe(true);
    expect(planRows.length).toBeGreaterThanOrEqual(6);
    expect(failedSteps.length).toBeGreaterThan(0);
    expect(captured.logs.join('\n')).toMatch(/AccessDenied/);
    expect(captured.responses.join('\n')).toMatch(/AccessDenied/);
    expect(captured.responses.join('\n')).toMatch(/Unauthorized/);

    const outputs: Record<string, string[]> = { ...captured, database };
    const needles = [
      ...Object.entries(secrets),
      ...wire.issued.map((value, i) => [`moto-issued-credential-${i}`, value] as const),
      // The start of every session token moto issues, whichever session it belongs to.
      ['moto-session-token-prefix', MOTO_SESSION_TOKEN_PREFIX] as const,
    ];
    const leaks: string[] = [];
    for (const [where, texts] of Object.entries(outputs)) {
      for (const [what, value] of needles) {
        const found = texts.find(text => text.includes(value));
        if (found) leaks.push(`${what} in ${where}: …${found.slice(Math.max(0, found.indexOf(value) - 200), found.indexOf(value) + 80)}…`);
      }
    }
    process.stdout.write(
      `secrets: ${captured.logs.length} log lines, ${auditEvents.length} audit events, ${captured.responses.length} responses, ` +
        `${tables.length} tables (${planRows.length} plans), ${captured.console.length} console lines, ` +
        `${wire.assumeRoles.length} AssumeRole calls, ${wire.issued.length} issued credentials, ${hub.authorizations.length} hub calls\n`,
    );
    expect(leaks).toEqual([]);
  });
});
