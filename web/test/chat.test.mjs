// Real-browser test of the chat page against a running AHCA dev server.
//
//   AHCA_DEV_URL=http://127.0.0.1:18080 node --test test/
//
// The server is started by the caller (the Makefile); this file only drives
// Debian's Chromium (CHROMIUM, default /usr/bin/chromium) through
// playwright-core, which never downloads a browser. On failure a screenshot
// goes to /tmp (AHCA_SCREENSHOT_DIR overrides) and its path is printed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.AHCA_DEV_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOT_DIR = process.env.AHCA_SCREENSHOT_DIR || os.tmpdir();
const STEP = Number(process.env.AHCA_STEP_TIMEOUT_MS || 10000);

if (!BASE) {
  throw new Error('AHCA_DEV_URL is not set: start the dev server (go run ./infra/ahca dev --addr 127.0.0.1:18080) and export AHCA_DEV_URL=http://127.0.0.1:18080');
}

const AGENT = '[data-testid="agent-message"]';
const AGENT_DONE = '[data-testid="agent-message"][data-complete="true"]';

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
async function withPage(t, options, fn) {
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
async function agentReply(page, n) {
  const bubble = page.locator(AGENT_DONE).nth(n - 1);
  await bubble.waitFor({ state: 'attached' });
  const text = (await bubble.textContent()).trim();
  assert.ok(text.length > 0, `agent reply ${n} is empty`);
  return text;
}

/** Types a message, sends it with the Send button, and checks it shows as the user's. */
async function say(page, text, { enter = false } = {}) {
  const input = page.getByTestId('input');
  await input.fill(text);
  if (enter) await input.press('Enter');
  else await page.getByTestId('send').click();
  await page.locator('[data-testid="user-message"]', { hasText: text }).last().waitFor();
  assert.equal(await input.inputValue(), '', 'input is cleared after sending');
}

async function expectText(locator, predicate, what) {
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

async function openBusiness(page, id) {
  await page.goto(`${BASE}/?business=${encodeURIComponent(id)}`);
  await page.getByTestId('status').and(page.locator('[data-state="connected"]')).waitFor();
}

describe('chat page', () => {
  test('intake conversation with superior-fencing, then switch to maple-street-vet', async (t) => {
    await withPage(t, { viewport: { width: 1280, height: 860 } }, async (page) => {
      await page.goto(`${BASE}/`);
      const select = page.getByTestId('business-select');
      await select.locator('option[value="superior-fencing"]').waitFor({ state: 'attached' });
      const ids = await select.locator('option').evaluateAll((os) => os.map((o) => o.value));
      for (const id of ['superior-fencing', 'sherpaprompt', 'maple-street-vet']) {
        assert.ok(ids.includes(id), `business list has ${id}: ${ids.join(', ')}`);
      }
      if ((await select.inputValue()) !== 'superior-fencing') await select.selectOption('superior-fencing');
      await page.waitForURL((u) => u.searchParams.get('business') === 'superior-fencing');

      const status = page.getByTestId('status');
      await page.locator('[data-testid="status"][data-state="connected"]').waitFor();
      assert.match(await status.textContent(), /connected/i);
      const greeting = await agentReply(page, 1);
      assert.equal(await page.locator(AGENT).count(), 1, 'the greeting is one bubble');

      await say(page, "My fence blew down in the storm and the gate won't close");
      await agentReply(page, 2);
      await say(page, 'My name is Jamie Rivera', { enter: true });
      await agentReply(page, 3);
      await say(page, '503 555 0142');
      const confirm = await agentReply(page, 4);

      await expectText(page.getByTestId('panel-name'), (s) => s === 'Jamie Rivera', 'panel name');
      await expectText(page.getByTestId('panel-phone'), (s) => s.includes('555'), 'panel phone');
      await expectText(page.getByTestId('panel-reason'), (s) => s !== '' && s !== '—', 'panel reason');
      assert.equal((await page.getByTestId('panel-email').textContent()).trim(), '—', 'no email collected');
      t.diagnostic(`confirmation asked: ${confirm}`);

      await say(page, 'yes');
      await page.getByTestId('end-note').waitFor({ state: 'visible' });
      assert.match(await page.getByTestId('end-note').textContent(), /conversation ended/i);
      await page.locator('[data-testid="status"][data-state="ended"]').waitFor();
      assert.ok(await page.getByTestId('input').isDisabled(), 'input is disabled after end');
      assert.equal(await page.getByTestId('reconnect').isVisible(), false, 'no reconnect after end');

      // Switch business: the log and panel clear, a new session greets.
      await select.selectOption('maple-street-vet');
      await page.waitForURL((u) => u.searchParams.get('business') === 'maple-street-vet');
      await page.getByTestId('end-note').waitFor({ state: 'hidden' });
      await page.locator('[data-testid="status"][data-state="connected"]').waitFor();
      const vetGreeting = await agentReply(page, 1);
      assert.equal(await page.locator(AGENT).count(), 1, 'chat log was cleared');
      assert.equal(await page.locator('[data-testid="user-message"]').count(), 0, 'user messages cleared');
      assert.notEqual(vetGreeting, greeting);
      assert.match(vetGreeting, /Maple Street/);
      assert.equal((await page.getByTestId('panel-name').textContent()).trim(), '—', 'panel cleared');
      assert.equal((await page.getByTestId('panel-reason').textContent()).trim(), '—', 'panel cleared');
    });
  });

  test('unknown business shows an error state', async (t) => {
    await withPage(t, { viewport: { width: 1280, height: 860 } }, async (page) => {
      await page.goto(`${BASE}/?business=nope`);
      await page.locator('[data-testid="status"][data-state="error"]').waitFor();
      const banner = page.getByTestId('error-banner');
      await banner.waitFor({ state: 'visible' });
      assert.match(await banner.textContent(), /nope/);
      assert.ok(await page.getByTestId('input').isDisabled(), 'cannot type into a refused conversation');
      assert.equal(await page.locator(AGENT).count(), 0);
      // The picker still offers the real businesses.
      await page.getByTestId('business-select').selectOption('sherpaprompt');
      await page.locator('[data-testid="status"][data-state="connected"]').waitFor();
      await agentReply(page, 1);
      await banner.waitFor({ state: 'hidden' });
    });
  });

  test('without the business list, ?business= still connects', async (t) => {
    await withPage(t, { viewport: { width: 1280, height: 860 } }, async (page) => {
      await page.route('**/api/businesses', (route) => route.fulfill({ status: 503, body: 'unavailable' }));
      await openBusiness(page, 'maple-street-vet');
      assert.match(await agentReply(page, 1), /Maple Street/);
      assert.equal(await page.getByTestId('business-select').inputValue(), 'maple-street-vet');
    });
  });

  test('phone-sized viewport: composer fits without horizontal scroll', async (t) => {
    await withPage(t, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }, async (page) => {
      await openBusiness(page, 'superior-fencing');
      await agentReply(page, 1);
      const input = page.getByTestId('input');
      const send = page.getByTestId('send');
      await input.fill('Hello');
      for (const [name, loc] of [['input', input], ['send', send]]) {
        assert.ok(await loc.isVisible(), `${name} visible`);
        const box = await loc.boundingBox();
        assert.ok(box, `${name} has a box`);
        assert.ok(box.x >= 0 && box.x + box.width <= 375, `${name} within the width: ${JSON.stringify(box)}`);
        assert.ok(box.y >= 0 && box.y + box.height <= 740, `${name} within the height: ${JSON.stringify(box)}`);
        assert.ok(box.height >= 40, `${name} is a large tap target: ${box.height}px`);
      }
      const { scrollWidth, clientWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      assert.ok(scrollWidth <= clientWidth, `no horizontal scroll: ${scrollWidth} > ${clientWidth}`);
      await send.tap();
      await agentReply(page, 2);
    });
  });
});

// ---- protocol edge cases ------------------------------------------------------
// The page and business list come from the dev server; the WebSocket is
// answered by a script in the browser (page.routeWebSocket), so these cases do
// not depend on what the real agent says.

/**
 * Routes the page's WebSocket to a scripted server. onFrame(conn, frame) runs
 * for every client frame; setup is answered with session_ready and a greeting.
 */
async function scriptedServer(page, onFrame) {
  const conns = [];
  await page.routeWebSocket(/\/ws(\?|$)/, (ws) => {
    const conn = {
      ws,
      url: ws.url(),
      frames: [],
      send: (obj) => ws.send(JSON.stringify(obj)),
      say(...tokens) {
        tokens.forEach((token, i) => conn.send({ type: 'text', token, last: i === tokens.length - 1 }));
      },
    };
    conns.push(conn);
    ws.onMessage((data) => {
      const frame = JSON.parse(String(data));
      conn.frames.push(frame);
      if (frame.type === 'setup') {
        conn.send({ type: 'session_ready', businessId: 'superior-fencing', businessName: 'Superior Fence & Construction', agentName: 'Riley', sessionId: `s-${conns.length}` });
        conn.say('Hello, ', 'this is Riley.', '');
        return;
      }
      onFrame(conn, frame);
    });
  });
  return conns;
}

async function waitFor(pred, what) {
  const deadline = Date.now() + STEP;
  while (Date.now() < deadline) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('protocol edge cases (scripted socket)', () => {
  test('escapes server text, shows error frames inline, reconnects after an unexpected close', async (t) => {
    await withPage(t, { viewport: { width: 1280, height: 860 } }, async (page) => {
      const conns = await scriptedServer(page, (conn, f) => {
        if (f.type !== 'prompt') return;
        if (f.voicePrompt === 'html please') conn.say('<img src=x onerror="window.__xss=1">', ' & <b>bold</b>');
        if (f.voicePrompt === 'fail please') conn.send({ type: 'error', code: 'internal', message: '<i>The assistant hit a snag.</i>' });
        if (f.voicePrompt === 'drop please') conn.ws.close({ code: 1011, reason: 'server restart' });
      });
      await openBusiness(page, 'superior-fencing');
      assert.equal(await agentReply(page, 1), 'Hello, this is Riley.');
      assert.deepEqual(conns[0].frames[0], { type: 'setup' });
      assert.match(conns[0].url, /[?&]businessId=superior-fencing(&|$)/);

      await say(page, 'html please');
      assert.equal(await agentReply(page, 2), '<img src=x onerror="window.__xss=1"> & <b>bold</b>');
      assert.equal(await page.locator('[data-testid="chat-log"] img, [data-testid="chat-log"] b').count(), 0, 'no markup rendered');
      assert.equal(await page.evaluate(() => window.__xss), undefined);
      const prompt = conns[0].frames.find((f) => f.type === 'prompt');
      assert.deepEqual(prompt, { type: 'prompt', voicePrompt: 'html please', lang: 'en-US', last: true });

      await say(page, 'fail please');
      const note = page.getByTestId('error-note');
      await note.waitFor();
      assert.match(await note.textContent(), /<i>The assistant hit a snag\.<\/i>/);
      assert.equal(await page.getByTestId('status').getAttribute('data-state'), 'connected', 'an error frame keeps the connection');
      assert.ok(await page.getByTestId('input').isEnabled());

      await say(page, 'drop please');
      await page.locator('[data-testid="status"][data-state="reconnecting"]').waitFor();
      assert.ok(await page.getByTestId('reconnect').isVisible(), 'reconnect offered while waiting');
      // The page reconnects by itself (first retry after about a second).
      await page.locator('[data-testid="status"][data-state="connected"]').waitFor();
      await waitFor(() => conns.length === 2 && conns[1].frames.some((f) => f.type === 'setup'), 'a second connection with setup');
      await page.getByTestId('system-note').filter({ hasText: /new conversation/i }).waitFor();
      assert.equal(await agentReply(page, 3), 'Hello, this is Riley.');
      assert.equal(await page.getByTestId('reconnect').isVisible(), false);
    });
  });

  test('sending while a reply streams sends interrupt first', async (t) => {
    await withPage(t, { viewport: { width: 1280, height: 860 } }, async (page) => {
      const conns = await scriptedServer(page, (conn, f) => {
        if (f.type === 'prompt' && f.voicePrompt === 'tell me everything') {
          conn.send({ type: 'text', token: 'Well, ', last: false });
          conn.send({ type: 'text', token: 'there is a lot to say', last: false });
        }
        if (f.type === 'prompt' && f.voicePrompt === 'stop') conn.say('Sure.');
      });
      await openBusiness(page, 'superior-fencing');
      await agentReply(page, 1);
      await say(page, 'tell me everything');
      await page.locator('[data-testid="agent-message"][data-complete="false"]', { hasText: 'there is a lot to say' }).waitFor();

      await say(page, 'stop');
      await waitFor(() => conns[0].frames.some((f) => f.type === 'prompt' && f.voicePrompt === 'stop'), 'the second prompt');
      const tail = conns[0].frames.slice(-2);
      assert.equal(tail[0].type, 'interrupt');
      assert.equal(tail[0].utteranceUntilInterrupt, 'Well, there is a lot to say');
      assert.ok(Number.isInteger(tail[0].durationUntilInterruptMs) && tail[0].durationUntilInterruptMs >= 0);
      assert.equal(tail[1].voicePrompt, 'stop');
      assert.equal(await page.locator('[data-interrupted="true"]').count(), 1);
      assert.equal(await agentReply(page, 3), 'Sure.');
    });
  });

  test('after end there is no reconnect; "Start new conversation" opens a fresh session', async (t) => {
    await withPage(t, { viewport: { width: 1280, height: 860 } }, async (page) => {
      const conns = await scriptedServer(page, (conn, f) => {
        if (f.type !== 'prompt') return;
        conn.say('Goodbye.');
        conn.send({ type: 'end', handoffData: '{"reason":"completed"}' });
        conn.ws.close({ code: 1000, reason: 'conversation ended' });
      });
      await openBusiness(page, 'superior-fencing');
      await agentReply(page, 1);
      await page.getByTestId('panel-name').waitFor();
      await say(page, 'bye');
      await page.getByTestId('end-note').waitFor({ state: 'visible' });
      await page.locator('[data-testid="status"][data-state="ended"]').waitFor();
      assert.equal(await agentReply(page, 2), 'Goodbye.');
      assert.equal(await page.getByTestId('reconnect').isVisible(), false);
      assert.ok(await page.getByTestId('input').isDisabled());
      assert.equal(conns.length, 1);

      await page.getByRole('button', { name: 'Start new conversation' }).click();
      await page.locator('[data-testid="status"][data-state="connected"]').waitFor();
      assert.equal(conns.length, 2);
      assert.equal(await agentReply(page, 1), 'Hello, this is Riley.');
      assert.equal(await page.locator(AGENT).count(), 1, 'log cleared');
      assert.ok(await page.getByTestId('end-note').isHidden());
    });
  });
});
