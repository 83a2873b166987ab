// The embedded default keeps its state across restarts: the real backend (as `npm start`
// runs it, on app-config.yaml) is started, given a placement and a plan, stopped, and
// started again on the same data directory; both are still there.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { ROOT, startPortal } from './portal.mjs';

async function guestToken(backendUrl) {
  const res = await fetch(`${backendUrl}/api/auth/guest/refresh`, {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  assert.equal(res.status, 200, 'guest sign-in');
  return (await res.json()).backstageIdentity.token;
}

async function call(backendUrl, token, method, route, body) {
  const res = await fetch(`${backendUrl}/api/fabric${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('the embedded default database survives a restart', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-restart-'));
  let portal;
  after(async () => {
    await portal?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('app-config.yaml stores SQLite files in a git-ignored directory, not in memory', () => {
    const config = parse(fs.readFileSync(path.join(ROOT, 'app-config.yaml'), 'utf8'));
    const { client, connection } = config.backend.database;
    assert.equal(client, 'better-sqlite3');
    assert.notEqual(connection, ':memory:');
    assert.equal(typeof connection.directory, 'string');
    // Relative to the backend's working directory, packages/backend.
    const resolved = path.resolve(ROOT, 'packages/backend', connection.directory);
    const relative = path.relative(ROOT, resolved);
    assert.ok(!relative.startsWith('..'), `${resolved} is inside the repository`);
    const ignored = fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n');
    assert.ok(
      ignored.some(line => line.trim() && relative.startsWith(line.trim().replace(/\/$/, ''))),
      `${relative} is git-ignored`,
    );
  });

  test('a placement and its cell plan are there after stop and start', async () => {
    portal = await startPortal({ backendOnly: true, dataDir });
    let token = await guestToken(portal.backendUrl);
    const placed = await call(portal.backendUrl, token, 'POST', '/placements', {
      entityRef: 'component:default/llm-pretraining',
      intent: 'tightly-coupled',
      gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
    });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const planned = await call(portal.backendUrl, token, 'POST', `/placements/${placed.body.id}/provision`);
    assert.equal(planned.status, 201, JSON.stringify(planned.body));
    assert.ok(fs.existsSync(path.join(dataDir, 'fabric.sqlite')), 'the fabric database is a file in the data directory');

    await portal.stop();
    portal = await startPortal({ backendOnly: true, dataDir });
    token = await guestToken(portal.backendUrl);

    const placement = await call(portal.backendUrl, token, 'GET', `/placements/${placed.body.id}`);
    assert.equal(placement.status, 200);
    assert.deepEqual(placement.body.placement.chosen, placed.body.placement.chosen);
    const plan = await call(portal.backendUrl, token, 'GET', `/plans/${planned.body.id}`);
    assert.equal(plan.status, 200);
    assert.equal(plan.body.kind, 'cells');
    assert.equal(plan.body.subject, placed.body.id);
    assert.deepEqual(
      plan.body.plan.steps.map(s => s.key),
      planned.body.plan.steps.map(s => s.key),
    );
  });
});
