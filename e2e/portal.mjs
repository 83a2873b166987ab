// Starts the real portal for browser tests: `yarn dev` (= `backstage-cli repo start`,
// backend and frontend dev servers) from the repo root on the project's Node 24
// toolchain, exactly as a developer runs it, but on two free ports so it never
// collides with a portal already running on :3000/:7007.
//
//   const portal = await startPortal();   // { appUrl, backendUrl, logFile, stop }
//   ...
//   await portal.stop();                  // SIGTERM to the process group, SIGKILL after 15 s

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
);
/** Git-ignored output of the browser tests: logs and screenshots. */
export const RESULTS_DIR = path.join(ROOT, 'test-results');

const READY_TIMEOUT_MS = 4 * 60_000;
const STOP_GRACE_MS = 15_000;

/**
 * Free TCP ports, distinct from each other. Each is bound on the wildcard address
 * first, so it is free on 127.0.0.1, ::1 and every other interface (the backend
 * listens on all of them, the frontend on localhost).
 */
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, resolve);
      });
      servers.push(server);
    }
    return servers.map(s => s.address().port);
  } finally {
    await Promise.all(
      servers.map(s => new Promise(resolve => s.close(resolve))),
    );
  }
}

/**
 * PATH and npm_config_nodedir of the project toolchain, from `scripts/fabric env`
 * (which also provisions Node 24 into .toolchain/ if it is missing).
 */
function toolchainEnv() {
  let out;
  try {
    out = execFileSync('bash', [path.join(ROOT, 'scripts/fabric'), 'env'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  } catch (error) {
    throw new Error(`\`bash scripts/fabric env\` failed: ${error.message}`);
  }
  const bin = /PATH="([^"]+):\$PATH"/.exec(out)?.[1];
  const nodedir = /npm_config_nodedir="([^"]+)"/.exec(out)?.[1];
  if (!bin || !fs.existsSync(path.join(bin, 'yarn'))) {
    throw new Error(
      `Could not read the toolchain from \`bash scripts/fabric env\`:\n${out}`,
    );
  }
  return { bin, nodedir };
}

function tail(file, lines = 60) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True while any process of the group is alive. */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}

async function probe(url, accept) {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(5_000),
      redirect: 'follow',
    });
    const body = await res.text();
    return accept(res, body);
  } catch {
    return false;
  }
}

/**
 * Starts `yarn dev` on free ports and waits until the backend's fabric plugin answers
 * `GET /api/fabric/health` with 200 and the frontend dev server serves the app's HTML.
 */
export async function startPortal({
  readyTimeoutMs = READY_TIMEOUT_MS,
  backendOnly = false,
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-e2e-data-')),
  // More app-config files layered over app-config.yaml (e.g. the sandbox's), and more
  // environment for the portal's processes.
  configFiles = [],
  env: extraEnv = {},
} = {}) {
  if (!fs.existsSync(path.join(ROOT, 'node_modules', '@backstage', 'cli'))) {
    throw new Error(
      'The workspace is not installed (no node_modules/@backstage/cli): run `bash scripts/fabric install` first.',
    );
  }
  const { bin, nodedir } = toolchainEnv();
  const [appPort, backendPort] = await freePorts(2);
  const appUrl = `http://localhost:${appPort}`;
  const backendUrl = `http://localhost:${backendPort}`;

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const logFile = path.join(RESULTS_DIR, `portal-${stamp}.log`);
  const log = fs.openSync(logFile, 'a');
  const configArgs = configFiles.length
    ? [path.join(ROOT, 'app-config.yaml'), ...configFiles].flatMap(file => ['--config', file])
    : [];
  const command = [...(backendOnly ? ['workspace', 'backend', 'start'] : ['dev']), ...configArgs];
  fs.writeSync(log, `# yarn ${command.join(' ')}  app=${appUrl}  backend=${backendUrl}  data=${dataDir}\n`);

  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    ...(nodedir ? { npm_config_nodedir: nodedir } : {}),
    COREPACK_ENABLE_STRICT: '0',
    // APP_CONFIG_* values are parsed as JSON where they can be: the port stays a number.
    APP_CONFIG_app_baseUrl: appUrl,
    APP_CONFIG_backend_baseUrl: backendUrl,
    APP_CONFIG_backend_listen_port: String(backendPort),
    APP_CONFIG_backend_cors_origin: appUrl,
    // Each run keeps its SQLite files in its own directory (the default is .data/sqlite),
    // so tests never see a developer's data, and a restart test can reuse one.
    APP_CONFIG_backend_database_connection_directory: dataDir,
    BROWSER: 'none',
    FORCE_COLOR: '0',
    ...extraEnv,
  };

  const child = spawn(path.join(bin, 'yarn'), command, {
    cwd: ROOT,
    env,
    detached: true, // its own process group, so stop() reaches the backend and the bundler too
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const pgid = child.pid;

  let exit;
  child.once('exit', (code, signal) => {
    exit = { code, signal };
  });
  child.once('error', error => {
    exit = { error };
  });

  // Never leave a portal behind, even when the test process is interrupted.
  const killOnExit = () => signalGroup(pgid, 'SIGKILL');
  const stopOnSignal = signal => {
    signalGroup(pgid, 'SIGTERM');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', killOnExit);
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      process.off('exit', killOnExit);
      process.off('SIGINT', stopOnSignal);
      process.off('SIGTERM', stopOnSignal);
      if (!groupAlive(pgid)) return;
      signalGroup(pgid, 'SIGTERM');
      const deadline = Date.now() + STOP_GRACE_MS;
      while (groupAlive(pgid) && Date.now() < deadline) await sleep(250);
      if (groupAlive(pgid)) {
        signalGroup(pgid, 'SIGKILL');
        while (groupAlive(pgid)) await sleep(100);
      }
    })();
    return stopped;
  };

  const started = Date.now();
  let backendReady = false;
  let appReady = backendOnly;
  try {
    while (!(backendReady && appReady)) {
      if (exit) {
        const how = exit.error
          ? `could not start (${exit.error.message})`
          : `exited with ${exit.signal ?? `code ${exit.code}`}`;
        throw new Error(
          `\`yarn ${command.join(' ')}\` ${how} before the portal was ready. Log ${logFile}:\n${tail(
            logFile,
          )}`,
        );
      }
      if (Date.now() - started > readyTimeoutMs) {
        throw new Error(
          `The portal was not ready after ${Math.round(
            readyTimeoutMs / 1000,
          )} s ` +
            `(backend ${backendUrl}/api/fabric/health ${
              backendReady ? 'ok' : 'not 200'
            }, ` +
            `app ${appUrl} ${
              appReady ? 'ok' : 'not serving HTML'
            }). Log ${logFile}:\n${tail(logFile)}`,
        );
      }
      backendReady ||= await probe(
        `${backendUrl}/api/fabric/health`,
        res => res.status === 200,
      );
      appReady ||= await probe(
        appUrl,
        (res, body) =>
          res.status === 200 &&
          (res.headers.get('content-type') ?? '').includes('text/html') &&
          body.includes('<div id="root"'),
      );
      if (!(backendReady && appReady)) await sleep(1_000);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    appUrl,
    backendUrl,
    logFile,
    pid: pgid,
    dataDir,
    startupMs: Date.now() - started,
    stop,
  };
}
