// Browser smoke test of the real portal: `yarn dev` on free ports, Debian's Chromium
// driven by playwright-core, guest sign-in, the GPU Fabric estate page and the
// GPU Fabric tab of the `llm-pretraining` component.
//
//   bash scripts/fabric node --test e2e/
//
// Needs /usr/bin/chromium (`apt-get install -y chromium`; override with CHROMIUM_PATH).
// Logs and screenshots go to test-results/ (git-ignored).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, UI_TIMEOUT } from './browser.mjs';
import { RESULTS_DIR, startPortal } from './portal.mjs';

describe('portal smoke test', { timeout: 10 * 60_000 }, () => {
  let portal;
  let browser;
  let page;
  const browserLog = [];
  const pageErrors = [];

  const screenshot = name => browser?.screenshot(name);

  /**
   * Runs a test body, then checks the app threw no uncaught error meanwhile. On failure
   * saves a screenshot and adds the page's URL to the error.
   */
  async function inBrowser(name, body) {
    try {
      pageErrors.length = 0;
      await body();
      assert.deepEqual(pageErrors, [], 'uncaught errors in the app');
    } catch (error) {
      const file = await screenshot(`failure-${name}`);
      error.message += `\n  page: ${page?.url()}\n  screenshot: ${file}\n  portal log: ${
        portal?.logFile
      }`;
      throw error;
    }
  }

  /** Text of the data rows of every table on the page. */
  async function tableRows(scope) {
    return scope
      .locator('tbody tr')
      .evaluateAll(rows =>
        rows
          .filter(row => row.querySelectorAll('td').length > 1)
          .map(row =>
            [...row.querySelectorAll('td')].map(td => td.textContent.trim()),
          ),
      );
  }

  /** The nearest element around a title that holds a table: the table's card or paper. */
  function closestWithTable(title) {
    return title.locator('xpath=ancestor::*[.//table][1]');
  }

  before(
    async () => {
      portal = await startPortal();
      console.log(
        `# portal ready in ${(portal.startupMs / 1000).toFixed(1)} s: app ${
          portal.appUrl
        }, backend ${portal.backendUrl}, log ${portal.logFile}`,
      );

      browser = await launchBrowser();
      page = browser.page;
      page.on('console', msg => {
        if (msg.type() === 'error')
          browserLog.push(`console.error: ${msg.text()}`);
      });
      page.on('pageerror', error => {
        pageErrors.push(error.message);
        browserLog.push(`pageerror: ${error.stack ?? error.message}`);
      });
    },
    { timeout: 6 * 60_000 },
  );

  after(
    async () => {
      // Console errors and uncaught exceptions of the app, for diagnosis (React dev
      // warnings included).
      if (page) {
        fs.writeFileSync(
          path.join(RESULTS_DIR, 'browser-console.log'),
          `${browserLog.join('\n')}\n`,
        );
      }
      await browser?.close();
      await portal?.stop();
    },
    { timeout: 60_000 },
  );

  test('the fabric backend reports the demo estate in plan-only mode', async () => {
    // Discovery runs on schedule at start; health never starts it, so wait for it.
    let res;
    let health;
    for (let i = 0; i < 120; i++) {
      res = await fetch(`${portal.backendUrl}/api/fabric/health`);
      health = await res.clone().json();
      if (health.discovery === 'done') break;
      await new Promise(resolve => setTimeout(resolve, 500));
    }
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(health.discovery, 'done');
    assert.equal(health.status, 'ok');
    assert.equal(health.estateSource, 'demo');
    assert.equal(health.mode, 'plan-only');
    assert.ok(
      health.accounts > 0 && health.cells > 0,
      `an estate to show: ${JSON.stringify(health)}`,
    );
  });

  test('a guest signs in and opens the GPU Fabric estate page from the sidebar', async () => {
    await inBrowser('estate-page', async () => {
      await page.goto(portal.appUrl);
      const enter = page.getByRole('button', { name: 'Enter' });
      await enter.waitFor();
      await screenshot('01-sign-in');
      await enter.click();

      const sidebarItem = page.getByRole('link', { name: 'GPU Fabric' });
      await sidebarItem.waitFor();
      await sidebarItem.click();
      await page.waitForURL(url => new URL(url).pathname === '/fabric');

      await page
        .getByRole('heading', { level: 1, name: 'GPU Fabric' })
        .waitFor();
      await page.getByText('demo estate', { exact: true }).waitFor();
      await page.getByText('plan-only', { exact: true }).waitFor();
      const summaryTitle = 'Capacity by region × GPU (select a row for AZ-IDs)';
      await page.getByText(summaryTitle).waitFor();

      const h100East = page
        .locator('tbody tr')
        .filter({ hasText: 'us-east-1' })
        .filter({ hasText: 'H100' });
      await h100East.first().waitFor();
      const summary = await tableRows(page);
      const row = summary.find(
        cells => cells[0] === 'us-east-1' && cells[1] === 'H100',
      );
      assert.ok(
        row,
        `a us-east-1 × H100 summary row in ${JSON.stringify(summary)}`,
      );
      assert.ok(
        Number(row[2]) > 0,
        `GPUs within quota in ${JSON.stringify(row)}`,
      );
      assert.match(
        row[3],
        /^\$\d+\.\d\d$/,
        'a cheapest spot price per GPU-hour',
      );
      // The heat-map shows the same figure for the same region × GPU.
      const heatCell = page.getByRole('button', { name: new RegExp(`^us-east-1 × H100: ${row[2]} GPUs within quota`) });
      await heatCell.waitFor();
      await screenshot('02-fabric-estate');

      // Selecting the row drills down to AZ-IDs, with each account's own AZ name.
      await h100East.first().click();
      const zonesTitle = page.getByText('H100 in us-east-1 by AZ-ID');
      await zonesTitle.waitFor();
      // One row per physical zone, naming what each account calls it.
      const zones = await tableRows(closestWithTable(zonesTitle));
      assert.ok(zones.length > 0, 'AZ-IDs in the drill-down');
      for (const cells of zones) {
        assert.match(cells[0], /^use1-az\d$/, `AZ-ID in ${JSON.stringify(cells)}`);
        assert.match(cells[1], /: us-east-1[a-f]/, `local AZ names in ${JSON.stringify(cells)}`);
      }
      const drillTitle = page.getByText('H100 offerings in us-east-1');
      await drillTitle.waitFor();
      const drillDown = closestWithTable(drillTitle);
      const offerings = await tableRows(drillDown);
      assert.ok(offerings.length > 0, 'offerings in the drill-down');
      for (const cells of offerings) {
        assert.match(
          cells[0],
          /^use1-az\d \(us-east-1[a-f]\)$/,
          `AZ-ID (name) in ${JSON.stringify(cells)}`,
        );
        assert.equal(
          cells[2],
          'p5.48xlarge',
          `only H100 types in ${JSON.stringify(cells)}`,
        );
      }
      await drillTitle.scrollIntoViewIfNeeded();
      await screenshot('03-fabric-estate-drilldown');
    });
  });

  test('the llm-pretraining GPU Fabric tab lists EFA-capable H100 capacity only', async () => {
    await inBrowser('entity-tab', async () => {
      const url = `${portal.appUrl}/catalog/default/component/llm-pretraining/gpu-fabric`;
      const title = page.getByText(
        'Capacity for a tightly-coupled workload (H100)',
      );
      // The catalog ingests examples/entities.yaml shortly after the backend starts:
      // reload until the entity is there.
      const deadline = Date.now() + UI_TIMEOUT;
      for (;;) {
        await page.goto(url);
        try {
          await title.waitFor({ timeout: 10_000 });
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
      }

      await page
        .getByRole('tab', { name: 'GPU Fabric', selected: true })
        .waitFor();
      await page.getByText('demo estate', { exact: true }).waitFor();
      const card = closestWithTable(title);
      await card.locator('tbody tr td').first().waitFor();
      const rows = await tableRows(card);
      assert.ok(rows.length > 0, 'capacity rows on the GPU Fabric tab');
      for (const cells of rows) {
        const [region, az, , instanceType, gpu, , , , headroom] = cells;
        assert.match(
          region,
          /^(us-east-1|us-west-2|eu-west-1)$/,
          JSON.stringify(cells),
        );
        assert.match(
          az,
          /^(use1|usw2|euw1)-az\d \([a-z]{2}-[a-z]+-\d[a-f]\)$/,
          JSON.stringify(cells),
        );
        // H100 comes only as p5.48xlarge, which is EFA-capable; never an L4 (g6).
        assert.equal(instanceType, 'p5.48xlarge', JSON.stringify(cells));
        assert.equal(gpu, '8× H100', JSON.stringify(cells));
        assert.ok(
          Number(headroom) > 0,
          `quota headroom in ${JSON.stringify(cells)}`,
        );
      }
      assert.ok(
        rows.some(cells => cells[0] === 'us-east-1'),
        `an H100 row in us-east-1 in ${JSON.stringify(rows)}`,
      );
      const cardText = await card.innerText();
      assert.doesNotMatch(
        cardText,
        /\bL4\b|g6\./,
        'no L4 capacity on a tightly-coupled H100 tab',
      );
      await screenshot('04-llm-pretraining-gpu-fabric');
    });
  });
});
