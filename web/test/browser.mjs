// Shared by the real-browser tests (chat.test.mjs, widget.test.mjs): one
// Chromium per test file, driven through playwright-core against a running
// AHCA dev server (AHCA_DEV_URL). Debian's Chromium (CHROMIUM, default
// /usr/bin/chromium); playwright-core never downloads a browser. On failure
// a screenshot and the page's console and socket log go to /tmp
// (AHCA_SCREENSHOT_DIR overrides).

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BASE = (process.env.AHCA_DEV_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOT_DIR = process.env.AHCA_SCREENSHOT_DIR || os.tmpdir();
export const STEP = Number(process.env.AHCA_STEP_TIMEOUT_MS || 10000);

if (!BASE) {
  throw new Error('AHCA_DEV_URL is not set: start the dev server (go run ./infra/ahca dev --addr 127.0.0.1:18080) and export AHCA_DEV_URL=http://127.0.0.1:18080');
}

/** Context options for the two sizes every web-chat test runs at. */
export const SIZES = {
  desktop: { viewport: { width: 1280, height: 860 } },
  phone: { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
};

export const AGENT = '[data-testid="agent-message"]';
export const AGENT_DONE = '[data-testid="agent-message"][data-complete="true"]';

let browser;

before(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run infra/scripts/browser-deps.sh (or set CHROMIUM)`);
  }
  const health = await fetch(`${BASE}/healthz`).catch((e) => {
    throw new Error(`dev server not reachable at ${BASE}: ${e.message}`);
  });
  assert.equal(health.status, 200, `GET ${BASE}/healthz`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // A page the test serves itself (page.route) has no address, which
      // Chromium's Local Network Access treats as public: it would block
      // that page's socket to the stack on the loopback.
      '--disable-features=LocalNetworkAccessChecks',
    ],
    // launch() gives the browser a fresh temporary profile and removes it on close.
  });
});

after(async () => {
  await browser?.close();
});

/**
 * Runs fn with a fresh page; on failure saves a screenshot and the page's
 * console and socket log next to it, then rethrows.
 */
export async function withPage(t, options, fn) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.setDefaultTimeout(STEP);
  const logs = [];
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  page.on('websocket', (ws) => {
    logs.push(`ws open ${ws.url()}`);
    ws.on('framesent', (f) => logs.push(`ws > ${f.payload}`));
    ws.on('framereceived', (f) => logs.push(`ws < ${f.payload}`));
    ws.on('socketerror', (e) => logs.push(`ws error ${e}`));
    ws.on('close', () => logs.push('ws closed'));
  });
  try {
    await fn(page, logs);
    const errors = logs.filter((l) => l.startsWith('pageerror'));
    assert.deepEqual(errors, [], 'uncaught errors in the page');
  } catch (err) {
    const base = path.join(SHOT_DIR, `ahca-${t.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${Date.now()}`);
    try {
      await page.screenshot({ path: `${base}.png`, fullPage: true });
      fs.writeFileSync(`${base}.log`, logs.join('\n') + '\n');
      t.diagnostic(`failure screenshot: ${base}.png  page log: ${base}.log`);
    } catch (shotErr) {
      console.error(`# could not save a failure screenshot: ${shotErr.message}`);
    }
    throw err;
  } finally {
    await context.close();
  }
}

/** Waits until at least n agent replies are complete; returns the nth one's text. */
export async function agentReply(page, n) {
  const bubble = page.locator(AGENT_DONE).nth(n - 1);
  await bubble.waitFor({ state: 'attached' });
  const text = (await bubble.textContent()).trim();
  assert.ok(text.length > 0, `agent reply ${n} is empty`);
  return text;
}

/** Types a message, sends it with the Send button, and checks it shows as the user's. */
export async function say(page, text, { enter = false } = {}) {
  const input = page.getByTestId('input');
  await input.fill(text);
  if (enter) await input.press('Enter');
  else await page.getByTestId('send').click();
  await page.locator('[data-testid="user-message"]', { hasText: text }).last().waitFor();
  assert.equal(await input.inputValue(), '', 'input is cleared after sending');
}

export async function expectText(locator, predicate, what) {
  // Poll until predicate(text) holds: the panel updates when a frame arrives.
  const deadline = Date.now() + STEP;
  let text = '';
  while (Date.now() < deadline) {
    text = ((await locator.textContent()) || '').trim();
    if (predicate(text)) return text;
    await locator.page().waitForTimeout(50);
  }
  assert.fail(`${what}: got ${JSON.stringify(text)}`);
}

export async function openBusiness(page, id) {
  await page.goto(`${BASE}/?business=${encodeURIComponent(id)}`);
  await page.getByTestId('status').and(page.locator('[data-state="connected"]')).waitFor();
}


/** Polls pred (sync) until it holds. */
export async function waitFor(pred, what) {
  const deadline = Date.now() + STEP;
  while (Date.now() < deadline) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Asserts the element's box lies within the viewport. */
export async function assertInViewport(page, locator, name) {
  const vp = page.viewportSize();
  const box = await locator.boundingBox();
  assert.ok(box, `${name} has a box`);
  assert.ok(box.x >= 0 && box.x + box.width <= vp.width + 0.5, `${name} within the width ${vp.width}: ${JSON.stringify(box)}`);
  assert.ok(box.y >= 0 && box.y + box.height <= vp.height + 0.5, `${name} within the height ${vp.height}: ${JSON.stringify(box)}`);
  return box;
}

/** Asserts the document does not scroll sideways. */
export async function assertNoHorizontalScroll(page) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  assert.ok(scrollWidth <= clientWidth, `no horizontal scroll: ${scrollWidth} > ${clientWidth}`);
}
