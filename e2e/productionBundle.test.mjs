// The production bundle runs as the image runs it. packages/backend/Dockerfile's steps,
// without Docker: `yarn tsc` and `yarn build:backend` on the host; then, in an empty
// directory standing for the image's /app, the Dockerfile's COPY instructions (through
// .dockerignore), the skeleton, `yarn workspaces focus --all --production` with the
// copied Yarn release, the bundle, and the Dockerfile's ENV and CMD against PostgreSQL
// (BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING, or a throwaway cluster from
// test-tooling/postgres). No dev server: the backend serves the built frontend itself.
//
//   bash scripts/fabric node --test e2e/productionBundle.test.mjs
//
// Timings are reported as test diagnostics; the backend log goes to test-results/.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { parse, parseAllDocuments } from 'yaml';
import { copyFromContext, readDockerfile } from './image.mjs';
import { freePorts, RESULTS_DIR, ROOT } from './portal.mjs';

const TOOLCHAIN_BIN = path.join(ROOT, '.toolchain/bin');
const NODE = path.join(TOOLCHAIN_BIN, 'node');
const BACKEND_DIST = path.join(ROOT, 'packages/backend/dist');

/** The environment of a fresh container: no developer APP_CONFIG_*, no CI flags. */
function containerEnv(extra) {
  return {
    PATH: `${TOOLCHAIN_BIN}:/usr/local/bin:/usr/bin:/bin`,
    HOME: os.homedir(), // Yarn's global package cache, filled by `yarn install`: no downloads
    TMPDIR: os.tmpdir(),
    // Native modules without a prebuilt binary compile against Node 24's headers.
    npm_config_nodedir: path.join(ROOT, '.toolchain/node-home'),
    ...extra,
  };
}

function timed(t, what, run) {
  const started = Date.now();
  const result = run();
  t.diagnostic(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** Runs a command to completion; a failure carries the end of its output. */
function sh(command, args, options) {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
      ...options,
    });
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`
      .split('\n')
      .slice(-40)
      .join('\n');
    throw new Error(
      `${[command, ...args].join(' ')} failed (${
        error.status ?? error.code
      }):\n${output}`,
    );
  }
}

/** PostgreSQL from .ci/run's connection string, or a cluster of our own. */
function startPostgres() {
  const key = Object.keys(process.env).find(k =>
    /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(k),
  );
  if (key) return { url: new URL(process.env[key]), stop() {} };
  const clusterEnv = {
    ...process.env,
    FABRIC_PG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-bundle-pg-')),
    FABRIC_PG_PORT: String(55_000 + Math.floor(Math.random() * 5_000)),
  };
  const out = sh(
    'bash',
    [path.join(ROOT, 'test-tooling/postgres/start-cluster.sh')],
    { env: clusterEnv },
  );
  return {
    url: new URL(out.trim().split('\n').at(-1)),
    stop: () =>
      sh('bash', [path.join(ROOT, 'test-tooling/postgres/stop-cluster.sh')], {
        env: clusterEnv,
      }),
  };
}

async function dropDatabases(url, prefix) {
  const client = new pg.Client({
    connectionString: url.href,
    database: 'postgres',
  });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows)
      await client.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Probe paths of the example Deployment (deploy/kubernetes/backend.yaml). */
function deploymentProbePaths() {
  const docs = parseAllDocuments(
    fs.readFileSync(path.join(ROOT, 'deploy/kubernetes/backend.yaml'), 'utf8'),
  );
  const deployment = docs
    .map(doc => doc.toJS())
    .find(doc => doc.kind === 'Deployment');
  const [container] = deployment.spec.template.spec.containers;
  return ['startupProbe', 'readinessProbe', 'livenessProbe'].map(
    probe => container[probe].httpGet.path,
  );
}

describe(
  'the production bundle, as packages/backend/Dockerfile runs it',
  { timeout: 20 * 60_000 },
  () => {
    const dockerfile = readDockerfile();
    const imageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-image-'));
    const pipelineToken = randomBytes(24).toString('base64url');
    const databasePrefix = `fabric_bundle_${randomBytes(4).toString('hex')}_`;
    const logFile = path.join(
      RESULTS_DIR,
      `production-bundle-${new Date().toISOString().replace(/[:.]/g, '-')}.log`,
    );
    let postgres;
    let backend;
    let baseUrl;

    before(() => {
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      assert.ok(
        fs.existsSync(NODE),
        'the project toolchain is installed: run `bash scripts/fabric install`',
      );
    });

    after(async () => {
      if (backend && signalGroup(backend.pid, 'SIGTERM')) {
        await Promise.race([backend.exited, sleep(15_000)]);
        signalGroup(backend.pid, 'SIGKILL');
      }
      if (postgres) {
        await dropDatabases(postgres.url, databasePrefix).catch(() => {});
        postgres.stop();
      }
      fs.rmSync(imageDir, { recursive: true, force: true });
    });

    test(
      'yarn tsc and yarn build:backend produce the skeleton and the bundle',
      { timeout: 15 * 60_000 },
      t => {
        const env = {
          ...process.env,
          PATH: `${TOOLCHAIN_BIN}:${process.env.PATH}`,
        };
        timed(t, 'yarn tsc', () =>
          sh(path.join(TOOLCHAIN_BIN, 'yarn'), ['tsc'], { cwd: ROOT, env }),
        );
        // The backend build also builds the frontend (packages/app), which it bundles and serves.
        timed(t, 'yarn build:backend', () =>
          sh(path.join(TOOLCHAIN_BIN, 'yarn'), ['build:backend'], {
            cwd: ROOT,
            env,
          }),
        );
        for (const file of ['skeleton.tar.gz', 'bundle.tar.gz']) {
          assert.ok(
            fs.existsSync(path.join(BACKEND_DIST, file)),
            `packages/backend/dist/${file}`,
          );
        }
        const bundled = sh('tar', [
          'tzf',
          path.join(BACKEND_DIST, 'bundle.tar.gz'),
        ]);
        assert.match(
          bundled,
          /^packages\/app\/dist\/index\.html$/m,
          'the bundle carries the built frontend',
        );
      },
    );

    test(
      'the image steps install production dependencies into an empty /app',
      { timeout: 10 * 60_000 },
      t => {
        const [focus] = dockerfile.runs.filter(run =>
          run.includes('yarn workspaces focus'),
        );
        assert.match(focus, /yarn workspaces focus --all --production/);
        const copiedFiles = [];
        for (const copy of dockerfile.copies) {
          if (copy.sources.some(source => source.endsWith('bundle.tar.gz')))
            continue; // after the install
          copiedFiles.push(...copyFromContext(copy, imageDir));
        }
        sh('tar', ['xzf', 'skeleton.tar.gz'], { cwd: imageDir });
        fs.rmSync(path.join(imageDir, 'skeleton.tar.gz'));
        assert.ok(
          !copiedFiles.some(file => file.startsWith('.yarn/cache/')),
          '.yarn/cache stays out of the image',
        );

        // The image's `yarn` hands over to the release .yarnrc.yml names (yarnPath).
        const { yarnPath } = parse(
          fs.readFileSync(path.join(imageDir, '.yarnrc.yml'), 'utf8'),
        );
        timed(t, 'yarn workspaces focus --all --production', () =>
          sh(
            NODE,
            [
              path.join(imageDir, yarnPath),
              'workspaces',
              'focus',
              '--all',
              '--production',
            ],
            {
              cwd: imageDir,
              env: containerEnv(dockerfile.env),
            },
          ),
        );
        const installed = name =>
          fs.existsSync(
            path.join(imageDir, 'node_modules', name, 'package.json'),
          );
        assert.ok(
          installed('@backstage/backend-defaults'),
          'production dependencies are installed',
        );
        assert.ok(installed('pg'), 'the PostgreSQL driver is installed');
        assert.ok(
          !installed('@backstage/cli'),
          'development dependencies are not',
        );
      },
    );

    test('the bundle unpacks with the config and the catalog files app-config.production.yaml reads', () => {
      const bundleCopy = dockerfile.copies.find(copy =>
        copy.sources.some(source => source.endsWith('bundle.tar.gz')),
      );
      const copied = copyFromContext(bundleCopy, imageDir);
      assert.ok(copied.includes('app-config.production.yaml'));
      assert.ok(
        !copied.some(file => file.endsWith('.local.yaml')),
        'local config is never baked into the image',
      );
      sh('tar', ['xzf', 'bundle.tar.gz'], { cwd: imageDir });
      fs.rmSync(path.join(imageDir, 'bundle.tar.gz'));

      const production = parse(
        fs.readFileSync(
          path.join(imageDir, 'app-config.production.yaml'),
          'utf8',
        ),
      );
      const files = production.catalog.locations
        .filter(l => l.type === 'file')
        .map(l => l.target);
      assert.ok(files.length > 0);
      for (const target of files) {
        assert.ok(
          fs.existsSync(path.resolve(imageDir, target)),
          `catalog location ${target} is in the image`,
        );
      }
    });

    test(
      'the backend starts with the image CMD against PostgreSQL and serves /api/fabric/health',
      { timeout: 5 * 60_000 },
      async t => {
        postgres = startPostgres();
        const [port] = await freePorts(1);
        baseUrl = `http://localhost:${port}`;
        const [command, ...args] = dockerfile.cmd;
        assert.equal(command, 'node');
        assert.deepEqual(
          args.filter(arg => arg.endsWith('.yaml')),
          ['app-config.yaml', 'app-config.production.yaml'],
        );

        const log = fs.openSync(logFile, 'a');
        const child = spawn(NODE, args, {
          cwd: imageDir,
          detached: true,
          stdio: ['ignore', log, log],
          env: containerEnv({
            ...dockerfile.env,
            POSTGRES_HOST: postgres.url.hostname,
            POSTGRES_PORT: postgres.url.port || '5432',
            POSTGRES_USER: decodeURIComponent(postgres.url.username),
            POSTGRES_PASSWORD: decodeURIComponent(postgres.url.password),
            FABRIC_PIPELINE_TOKEN: pipelineToken,
            // The address this run listens on, as a Deployment would set its public URL.
            APP_CONFIG_backend_listen: `:${port}`,
            APP_CONFIG_backend_baseUrl: baseUrl,
            APP_CONFIG_app_baseUrl: baseUrl,
            // Databases of this run only, dropped afterwards.
            APP_CONFIG_backend_database_prefix: databasePrefix,
          }),
        });
        fs.closeSync(log);
        backend = {
          pid: child.pid,
          exited: new Promise(resolve => child.once('exit', resolve)),
        };
        let exitCode;
        backend.exited.then(code => (exitCode = code ?? 'signal'));

        const started = Date.now();
        let health;
        while (!health) {
          const tail = () =>
            fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
          assert.equal(
            exitCode,
            undefined,
            `the backend exited before it was ready:\n${tail()}`,
          );
          assert.ok(
            Date.now() - started < 4 * 60_000,
            `no healthy backend after 4 minutes:\n${tail()}`,
          );
          const res = await fetch(`${baseUrl}/api/fabric/health`).catch(
            () => undefined,
          );
          // Healthy once it answers; the demo estate is discovered on schedule right
          // after start (health itself never discovers), so wait for that too.
          const body = res?.status === 200 ? await res.json() : undefined;
          if (body?.discovery === 'done') health = body;
          else await sleep(500);
        }
        t.diagnostic(
          `startup to healthy: ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        assert.equal(health.status, 'ok');
        assert.equal(health.estateSource, 'demo');
        assert.equal(health.mode, 'plan-only');
        assert.ok(health.cells > 0, 'the demo estate has cells');
        assert.equal(health.discovery, 'done');
      },
    );

    test('the probes of deploy/kubernetes/backend.yaml answer 200 without credentials', async () => {
      assert.ok(baseUrl, 'the backend started');
      for (const probe of deploymentProbePaths()) {
        const res = await fetch(`${baseUrl}${probe}`);
        assert.equal(res.status, 200, probe);
      }
    });

    test('the backend serves the built frontend itself', async () => {
      assert.ok(baseUrl, 'the backend started');
      const res = await fetch(`${baseUrl}/catalog`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /text\/html/);
      assert.match(await res.text(), /<div id="root"/);
    });

    test('the pipeline token of app-config.production.yaml reads capacity', async () => {
      assert.ok(baseUrl, 'the backend started');
      const res = await fetch(`${baseUrl}/api/fabric/capacity`, {
        headers: { authorization: `Bearer ${pipelineToken}` },
      });
      assert.equal(res.status, 200);
    });

    test('errors are JSON without stack traces or source paths', async () => {
      assert.ok(baseUrl, 'the backend started');
      const authorization = `Bearer ${pipelineToken}`;
      const cases = [
        {
          what: 'no credentials',
          route: '/no-such-route',
          status: 401,
          name: 'AuthenticationError',
        },
        {
          what: 'unknown route',
          route: '/no-such-route',
          headers: { authorization },
          status: 404,
          name: 'NotFoundError',
        },
        {
          what: 'AZ name for an AZ-ID',
          route: '/capacity?azId=us-east-1a',
          headers: { authorization },
          status: 400,
          name: 'InputError',
        },
        {
          what: 'malformed JSON body',
          route: '/placements',
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: '{"entityRef": ',
          status: 400,
        },
      ];
      for (const { what, route, status, name, ...init } of cases) {
        const res = await fetch(`${baseUrl}/api/fabric${route}`, init);
        const text = await res.text();
        assert.equal(res.status, status, `${what}: ${text}`);
        assert.match(
          res.headers.get('content-type'),
          /application\/json/,
          what,
        );
        const body = JSON.parse(text);
        if (name) assert.equal(body.error.name, name, what);
        assert.ok(body.error.message, `${what}: the error says what is wrong`);
        assert.equal(body.error.stack, undefined, `${what}: no stack trace`);
        for (const leak of [
          imageDir,
          ROOT,
          'node_modules/',
          /\.[cm]?js:\d+:\d+/,
          /\\n\s+at /,
        ]) {
          const found =
            typeof leak === 'string' ? text.includes(leak) : leak.test(text);
          assert.ok(
            !found,
            `${what}: the body reveals no source location (${leak}): ${text}`,
          );
        }
      }
    });
  },
);
