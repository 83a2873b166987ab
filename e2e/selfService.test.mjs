// Browser end-to-end test of the self-service flow on the real portal (`yarn dev` on free
// ports, Debian's Chromium, guest sign-in): the gpu-workload template run through the
// form with the capacity picker until the new component's GPU Fabric tab shows its
// placement, and a user outside platform-team refused when trying training-island.
//
//   bash scripts/fabric node --test "e2e/*.test.mjs"

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, UI_TIMEOUT } from './browser.mjs';
import { startPortal } from './portal.mjs';

describe('self-service through the portal', { timeout: 10 * 60_000 }, () => {
  let portal;
  let browser;
  let page;
  let guestToken;

  const screenshot = name => browser?.screenshot(name);

  async function inBrowser(name, body) {
    try {
      await body();
    } catch (error) {
      const file = await screenshot(`failure-${name}`);
      error.message += `\n  page: ${page?.url()}\n  screenshot: ${file}\n  portal log: ${portal?.logFile}`;
      throw error;
    }
  }

  /** Calls the fabric API as the signed-in guest. */
  async function api(method, route, body) {
    const res = await fetch(`${portal.backendUrl}/api/fabric${route}`, {
      method,
      headers: {
        Authorization: `Bearer ${guestToken}`,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await res.json() };
  }

  /** Opens a template's form; the catalog may still be ingesting the templates. */
  async function openTemplate(name, heading) {
    const deadline = Date.now() + UI_TIMEOUT;
    for (;;) {
      await page.goto(`${portal.appUrl}/create/templates/default/${name}`);
      try {
        await page.getByText(heading).first().waitFor({ timeout: 10_000 });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
  }

  before(
    async () => {
      portal = await startPortal();
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
    { timeout: 6 * 60_000 },
  );

  after(
    async () => {
      await browser?.close();
      await portal?.stop();
    },
    { timeout: 60_000 },
  );

  test('gpu-workload: pick capacity, submit, and the new component shows its placement', async () => {
    await inBrowser('gpu-workload', async () => {
      const name = `e2e-embeddings-${Date.now().toString(36)}`;
      await openTemplate('gpu-workload', 'New GPU workload');

      // Workload
      await page.getByLabel('Name', { exact: false }).first().fill(name);
      const owner = page.getByLabel('Owner', { exact: false }).first();
      await owner.fill('group:default/ml-research');
      await owner.press('Tab');
      await page.getByRole('button', { name: 'Next' }).click();

      // GPU need: throughput on L4 (g6), 8 GPUs, picked from live capacity in us-east-1.
      await page.getByLabel('Intent', { exact: false }).first().click();
      await page.getByRole('option', { name: /^Throughput/ }).click();
      const gpu = page.getByLabel('GPU family or instance type', { exact: false }).first();
      await gpu.fill('g6');
      await gpu.press('Tab');
      const pick = page.getByRole('radio', { name: 'us-east-1, any AZ-ID' });
      await pick.waitFor();
      await screenshot('10-gpu-workload-picker');
      await pick.check();
      await page.getByRole('button', { name: 'Review' }).click();

      // Review, then create.
      await page.getByRole('button', { name: 'Create' }).click();
      const openComponent = page.getByRole('link', { name: 'Open component' });
      await openComponent.waitFor({ timeout: 120_000 });
      await screenshot('11-gpu-workload-task');
      assert.equal(await page.getByText(/failed/i).count(), 0, 'no failed step on the task page');

      // The fabric registers the component; its tab shows the placement.
      const tabUrl = `${portal.appUrl}/catalog/default/component/${name}/gpu-fabric`;
      const placements = page.getByText('Placements', { exact: true });
      const deadline = Date.now() + 90_000;
      for (;;) {
        await page.goto(tabUrl);
        try {
          await placements.waitFor({ timeout: 10_000 });
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
      }
      const card = placements.locator('xpath=ancestor::*[.//table][1]');
      await card.getByText('placed', { exact: true }).waitFor();
      const row = await card.locator('tbody tr').first().innerText();
      assert.match(row, /8 \/ 8/, `8 of 8 GPUs placed in ${row}`);
      assert.match(row, /us-east-1/, `placed in the picked region: ${row}`);
      await screenshot('12-gpu-workload-component-tab');

      const stored = await api('GET', `/placements?entityRef=${encodeURIComponent(`component:default/${name}`)}`);
      assert.equal(stored.body.items.length, 1, 'one placement stored for the new component');
    });
  });

  test('training-island: a user outside platform-team gets a clear permission error and nothing is created', async () => {
    await inBrowser('training-island-denied', async () => {
      const placed = await api('POST', '/placements', {
        entityRef: 'component:default/llm-pretraining',
        intent: 'tightly-coupled',
        gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
      });
      assert.equal(placed.status, 201);
      const islandsBefore = (await api('GET', '/plans?kind=island')).body.items.length;

      await openTemplate('training-island', 'EFA training island');
      await page.getByLabel('Placement id', { exact: false }).first().fill(placed.body.id);
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Network account', { exact: false }).first().fill('444444444444');
      await page.getByLabel('Shared VPC', { exact: false }).first().fill('vpc-0a1b2c3d4e5f60718');
      await page.getByLabel('Island subnet CIDR', { exact: false }).first().fill('10.80.4.0/22');
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('button', { name: 'Create' }).click();

      await page.getByText(/fabric\.island\.manage/).first().waitFor({ timeout: 120_000 });
      await screenshot('13-training-island-denied');
      const islandsAfter = (await api('GET', '/plans?kind=island')).body.items.length;
      assert.equal(islandsAfter, islandsBefore, 'no island plan was created');
    });
  });
});
