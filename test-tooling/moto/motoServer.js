// @ts-check
/**
 * Starts moto_server on a free loopback port for the suites that test AWS code with
 * the real AWS SDK. One server per test file keeps state isolated; stop() kills it.
 */
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function assertMotoInstalled() {
  const check = spawnSync('python3', ['-c', 'import moto.server, flask, flask_cors; print(moto.__version__)'], {
    encoding: 'utf8',
  });
  if (check.status !== 0) {
    throw new Error(
      'moto_server is required for the AWS tests but `python3 -c "import moto.server, flask_cors"` failed. ' +
        'Install it with `pip install "moto[server]==5.2.1"` (the CI machines ship it).\n' +
        (check.stderr || check.error?.message || ''),
    );
  }
  return check.stdout.trim();
}

/**
 * @returns {Promise<{ endpoint: string, version: string, reset: () => Promise<void>, stop: () => Promise<void> }>}
 */
async function startMotoServer() {
  const version = assertMotoInstalled();
  const port = await freePort();
  const env = { ...process.env };
  // MOTO_ACCOUNT_ID would pin every call to one account and defeat AssumeRole routing.
  delete env.MOTO_ACCOUNT_ID;
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', chunk => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`moto_server exited with ${child.exitCode}:\n${stderr}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within 30 s:\n${stderr}`);
    }
    await new Promise(r => setTimeout(r, 100));
  }
  return {
    endpoint,
    version,
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise(resolve => child.once('exit', resolve));
      try {
        process.kill(-(child.pid ?? 0), 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      await Promise.race([exited, new Promise(r => setTimeout(r, 5000).unref())]);
      child.stderr?.destroy();
    },
  };
}

module.exports = { startMotoServer, freePort };
