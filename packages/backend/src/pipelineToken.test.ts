/*
 * The pipeline token that app-config.production.yaml ships is restricted: with it the
 * `fabric` CLI may read capacity and request placements, and is refused everything that
 * changes shared infrastructure. Backstage's own auth, httpAuth and permissions services
 * (not test mocks) check the token and its accessRestrictions; the CLI runs as a separate
 * process, as a pipeline runs it.
 */
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import fabricPlugin from '@internal/backstage-plugin-fabric-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { productionAuthConfig } from './__testUtils__/productionConfig';
import permissionPolicyModule from './modules/permissionPolicy';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'packages/fabric-cli/bin/fabric');

function runCli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; out: string; err: string }>(resolve => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', chunk => (out += chunk));
    child.stderr.on('data', chunk => (err += chunk));
    child.on('close', code => resolve({ code: code ?? 1, out, err }));
  });
}

describe('the restricted pipeline token of app-config.production.yaml, through the fabric CLI', () => {
  const pipelineToken = randomBytes(24).toString('hex');
  let env: Record<string, string>;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const backend = await startTestBackend({
      features: [
        fabricPlugin,
        permissionPlugin,
        permissionPolicyModule,
        authServiceFactory,
        httpAuthServiceFactory,
        permissionsServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            backend: { auth: productionAuthConfig({ FABRIC_PIPELINE_TOKEN: pipelineToken }) },
            permission: { enabled: true },
          },
        }),
      ],
    });
    stop = () => backend.stop();
    const url = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
    env = { FABRIC_URL: url, FABRIC_TOKEN: pipelineToken };
  });
  afterAll(() => stop?.());

  it('may read capacity and request a placement', async () => {
    const capacity = await runCli(['capacity', '--gpu', 'H100', '--output', 'json'], env);
    expect(capacity.err).toBe('');
    expect(capacity.code).toBe(0);
    expect(JSON.parse(capacity.out).rows.length).toBeGreaterThan(0);

    const placed = await runCli(
      ['place', '--entity', 'component:default/batch-embeddings', '--intent', 'throughput',
        '--family', 'g6', '--gpus', '8', '--output', 'json'],
      env,
    );
    expect(placed.code).toBe(0);
    expect(JSON.parse(placed.out).placement.status).toBe('placed');
  });

  it('is refused `plan mesh` with 403, and no plan is stored', async () => {
    const refused = await runCli(['plan', 'mesh'], env);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/403/);
    expect(refused.err).toMatch(/NotAllowedError|not allowed|unauthorized|denied/i);

    const stored = await fetch(`${env.FABRIC_URL}/api/fabric/plans`, {
      headers: { authorization: `Bearer ${pipelineToken}` },
    });
    expect(stored.status).toBe(200);
    expect(await stored.json()).toEqual({ items: [] });
  });

  it('is rejected outright when the token is wrong', async () => {
    const wrong = await runCli(['capacity'], { ...env, FABRIC_TOKEN: `${pipelineToken}x` });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/401/);
  });
});
