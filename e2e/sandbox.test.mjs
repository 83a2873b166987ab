// The sandbox end to end, as a newcomer runs it (`npm run sandbox`, then
// `npm run sandbox:submit`), without a terminal: the sandbox's estate and hub cluster
// (moto_server behind the proxy, kube-apiserver + kube-scheduler + KWOK, node join), the
// real portal with the provisioner in its backend, the sample workload submitted, and then
// through the REST API, the hub cluster and headless Chromium: every sample pod Running on
// a node the fabric launched, in at least two accounts and two regions, listed with $/h.
//
//   bash scripts/fabric node --test e2e/sandbox.test.mjs

import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './browser.mjs';
import { ROOT, startPortal } from './portal.mjs';
import { startSandboxEstate, submitWorkload } from '../scripts/sandboxEstate.mjs';

const SAMPLE_PODS = 8; // examples/sandbox-workload.yaml: 6 inference workers + a 2-member gang

describe('the sandbox: pending GPU pods get nodes across accounts and regions', { timeout: 15 * 60_000 }, () => {
  let sandbox;
  let portal;
  let browser;
  let page;
  let guestToken;

  const log = message => console.log(`# sandbox: ${message}`);

  async function api(route) {
    const res = await fetch(`${portal.backendUrl}/api/fabric${route}`, { headers: { Authorization: `Bearer ${guestToken}` } });
    return { status: res.status, body: await res.json() };
  }

  async function kube(route) {
    const response = await sandbox.local.plane.request('GET', route);
    assert.ok(response.status < 300, `GET ${route}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async function waitFor(what, probe, timeoutMs = 240_000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      last = await probe();
      if (last?.done) return last.value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last?.seen ?? last)}`);
      await sleep(1000);
    }
  }

  before(
    async () => {
      sandbox = await startSandboxEstate({ log });
      portal = await startPortal({
        configFiles: [path.join(ROOT, 'app-config.sandbox.yaml'), sandbox.configFile],
        // moto accepts any key; these never leave this machine.
        env: { AWS_ACCESS_KEY_ID: 'sandbox', AWS_SECRET_ACCESS_KEY: 'sandbox', AWS_REGION: 'us-east-1' },
      });
      browser = await launchBrowser({ viewport: { width: 1440, height: 1000 } });
      page = browser.page;
      await page.goto(portal.appUrl);
      await page.getByRole('button', { name: 'Enter' }).click();
      await page.getByRole('link', { name: 'GPU Fabric' }).waitFor();
      const refresh = await fetch(`${portal.backendUrl}/api/auth/guest/refresh`, {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      });
      guestToken = (await refresh.json()).backstageIdentity.token;
    },
    { timeout: 8 * 60_000 },
  );

  after(
    async () => {
      await browser?.close();
      await portal?.stop();
      await sandbox?.stop();
    },
    { timeout: 90_000 },
  );

  test('the backend runs the provisioner: it leads the hub cluster and publishes its health', async () => {
    const health = await waitFor('the provisioner to lead', async () => {
      const { status, body } = await api('/provisioner');
      assert.equal(status, 200);
      return { done: body.configured && body.leader && !body.leaseExpired, value: body, seen: body };
    });
    assert.match(health.leader, /-\d+$/, 'the leader is the backend process (hostname-pid)');
  });

  test('the sample workload: every pod Running on fabric nodes in several accounts and regions, with $/h on the estate page', async () => {
    try {
      const created = await submitWorkload(sandbox.local.plane);
      assert.equal(created.filter(c => c.startsWith('pod/')).length, SAMPLE_PODS);

      const pods = await waitFor('all sample pods to run', async () => {
        const items = (await kube('/api/v1/namespaces/sandbox/pods')).items;
        const phases = items.map(p => `${p.metadata.name}:${(p.spec.schedulingGates ?? []).length ? 'Gated' : p.status?.phase}`);
        const running = items.filter(p => p.status?.phase === 'Running');
        return { done: running.length === SAMPLE_PODS, value: running, seen: phases };
      });

      // Each pod's node is one the fabric launched: a NodeClaim in a member cell, an instance in moto.
      const nodes = new Map((await kube('/api/v1/nodes')).items.map(n => [n.metadata.name, n]));
      const claims = await waitFor('the NodeClaims to show their nodes', async () => {
        const { status, body } = await api('/nodeclaims');
        assert.equal(status, 200);
        const byNode = new Map(body.items.filter(c => c.nodeName).map(c => [c.nodeName, c]));
        const missing = pods.filter(p => !byNode.get(p.spec.nodeName)?.pricePerHour);
        return { done: missing.length === 0, value: byNode, seen: body.items.map(c => `${c.name}:${c.state}:${c.nodeName}`) };
      });
      const instances = new Map((await sandbox.instances()).map(i => [i.InstanceId, i]));
      const cells = new Set();
      for (const pod of pods) {
        const claim = claims.get(pod.spec.nodeName);
        assert.ok(claim, `pod ${pod.metadata.name} runs on ${pod.spec.nodeName}, which the Nodes section lists`);
        assert.equal(claim.state, 'Ready');
        assert.ok(claim.pricePerHour > 0, `${claim.name} has a price per hour`);
        const instance = instances.get(claim.instanceId);
        assert.ok(instance, `${claim.name}'s instance ${claim.instanceId} runs in moto`);
        assert.equal(instance.cell, claim.cell, 'the instance runs in the cell its NodeClaim names');
        // The node carries the launching account's own AZ name and the AZ-ID it shares with every account.
        const node = nodes.get(pod.spec.nodeName);
        assert.equal(node.metadata.labels['topology.k8s.aws/zone-id'], instance.Placement.AvailabilityZoneId ?? claim.azId);
        cells.add(claim.cell);
      }
      const accounts = new Set([...cells].map(c => c.split('.')[0]));
      const regions = new Set([...cells].map(c => c.split('.')[1]));
      log(`${pods.length} pods Running on ${new Set(pods.map(p => p.spec.nodeName)).size} nodes in ${[...cells].sort().join(', ')}`);
      assert.ok(accounts.size >= 2, `nodes in at least two accounts (got ${[...accounts]})`);
      assert.ok(regions.size >= 2, `nodes in at least two regions (got ${[...regions]})`);

      // The provisioner's health says nothing waits any more.
      await waitFor('the provisioner to report no pending pods', async () => {
        const { body } = await api('/provisioner');
        return { done: body.pendingPods === 0 && body.lastBatchAt, value: body, seen: body };
      }, 60_000);

      // The gang's two members share one AZ-ID.
      const gang = pods.filter(p => p.metadata.name.startsWith('trainer-')).map(p => claims.get(p.spec.nodeName).azId);
      assert.equal(gang.length, 2);
      assert.equal(gang[0], gang[1], 'the gang runs in one AZ-ID');

      // The estate page shows the same nodes, per cell, with their cost.
      await page.goto(`${portal.appUrl}/fabric`);
      for (const cell of cells) {
        const [accountId, region] = cell.split('.');
        await page.getByText(`Nodes in ${accountId} · ${region}`).first().waitFor();
      }
      for (const nodeName of new Set(pods.map(p => p.spec.nodeName))) {
        await page.getByText(nodeName, { exact: true }).first().waitFor();
      }
      // textContent, not innerText: table headers are upper-cased by CSS.
      const pageText = await page.locator('body').textContent();
      assert.match(pageText, /\$\/h/, 'the Nodes section has a $/h column');
      for (const claim of new Set(pods.map(p => claims.get(p.spec.nodeName)))) {
        assert.ok(pageText.includes(`$${claim.pricePerHour.toFixed(2)}`), `the page shows ${claim.name}'s $${claim.pricePerHour}/h`);
      }
      assert.match(pageText, /\$\d+(\.\d+)?\/h/, 'each cell shows what its nodes cost per hour');
      await page.getByText(/^Nodes in /).first().scrollIntoViewIfNeeded();
      await browser.screenshot('sandbox-estate-nodes');
    } catch (error) {
      const file = await browser?.screenshot('failure-sandbox');
      error.message += `\n  screenshot: ${file}\n  portal log: ${portal?.logFile}`;
      throw error;
    }
  });
});
