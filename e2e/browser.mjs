// Headless Debian Chromium for the browser tests, driven by playwright-core. Without the
// background-networking flags Chromium keeps dialling hosts this closed network refuses.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { RESULTS_DIR } from './portal.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(RESULTS_DIR, 'screenshots');
export const UI_TIMEOUT = 60_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Chromium with a fresh profile and returns its page; `close()` also removes
 * the profile. Fails with what to install when Chromium is missing.
 */
export async function launchBrowser({ viewport = { width: 1440, height: 900 } } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium: apt-get install -y chromium`);
  }
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async screenshot(name) {
      const file = path.join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      return file;
    },
    async close() {
      await context.close().catch(error => console.error(`closing Chromium: ${error.message}`));
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
