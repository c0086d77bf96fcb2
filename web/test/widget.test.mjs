// Real-browser test of the embeddable widget (widget.js) against a running
// AHCA dev server (browser.mjs has the setup): the dev server's demo page,
// a sample business website on a second origin (localhost instead of
// 127.0.0.1) with the snippet pasted in, under a CSP that allows only itself
// and the AHCA origin.
//
//   AHCA_DEV_URL=http://127.0.0.1:18080 node --test test/

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentReply, assertInViewport, assertNoHorizontalScroll, BASE, say, SIZES, withPage } from './browser.mjs';

/** The same listener under another host name: another origin. */
function originAs(host) {
  const u = new URL(BASE);
  u.hostname = host;
  return u.origin;
}

const base = new URL(BASE);
const DEMO = originAs(base.hostname === 'localhost' ? '127.0.0.1' : 'localhost');
// *.localhost resolves to the loopback in Chromium: a local origin that no
// business and no trusted origin lists.
const FOREIGN = originAs('not-allowed.localhost');

const launcherOf = (page) => page.getByRole('button', { name: /Chat/ });

async function info(id) {
  const res = await fetch(`${BASE}/api/businesses/${id}`);
  assert.equal(res.status, 200);
  return res.json();
}

for (const [size, options] of Object.entries(SIZES)) {
  describe(`widget (${size})`, () => {
    test('on the demo site (another origin) the launcher opens a chat with the business', async (t) => {
      const biz = await info('superior-fencing');
      await withPage(t, options, async (page, logs) => {
        await page.goto(`${DEMO}/demo/superior-fencing`);
        assert.notEqual(new URL(page.url()).origin, base.origin, 'the demo page is cross-origin to the stack');
        const launcher = launcherOf(page);
        await launcher.waitFor();
        assert.equal((await launcher.textContent()).trim(), biz.widget.launcherText);
        assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
        // The host page's hostile button rule does not reach into the shadow root.
        const bg = await launcher.evaluate((el) => getComputedStyle(el).backgroundColor);
        const hostBg = await page.getByRole('button', { name: 'A host page button' }).evaluate((el) => getComputedStyle(el).backgroundColor);
        assert.equal(hostBg, 'rgb(255, 105, 180)', 'the host page styles its own button');
        assert.equal(bg, hexToRgb(biz.widget.accentColor), 'the launcher has the business accent colour');
        assert.equal(await page.evaluate(() => document.querySelector('ahca-chat')?.shadowRoot?.mode), 'open');
        await assertInViewport(page, launcher, 'launcher');

        await launcher.click();
        const dialog = page.getByRole('dialog');
        await dialog.waitFor();
        // (On a phone the open panel covers the launcher: found by test id.)
        assert.equal(await page.getByTestId('ahca-launcher').getAttribute('aria-expanded'), 'true');
        await page.locator('[data-testid="status"][data-state="connected"]').waitFor();
        const greeting = await agentReply(page, 1);
        assert.doesNotMatch(greeting, /\bpress|pound|keypad|#/i, 'a web greeting');
        assert.match(await page.getByTestId('business-name').textContent(), new RegExp(biz.businessName.replace(/[&]/g, '.')));
        // Focus moved into the panel: the message box, or on a touch screen
        // (where that would pop up the keyboard) the panel's close button.
        const focused = size === 'phone' ? 'ahca-close' : 'input';
        await page.waitForFunction((want) => document.querySelector('ahca-chat')?.shadowRoot?.activeElement?.dataset.testid === want, focused);

        await say(page, "My fence blew down in the storm and the gate won't close");
        const reply = await agentReply(page, 2);
        assert.notEqual(reply, greeting);
        assert.ok(logs.some((l) => l.startsWith(`ws open ${base.origin.replace('http', 'ws')}/ws?businessId=superior-fencing`)), 'socket to the stack');

        const panel = page.getByTestId('ahca-panel');
        const box = await assertInViewport(page, panel, 'panel');
        if (size === 'phone') {
          assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 375, 740], 'full screen on a phone');
        }
        await assertInViewport(page, page.getByTestId('input'), 'message box');
        await assertNoHorizontalScroll(page);

        // Escape closes the panel and gives focus back to the launcher.
        await page.keyboard.press('Escape');
        await panel.waitFor({ state: 'hidden' });
        assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
        assert.equal(await page.evaluate(() => document.querySelector('ahca-chat')?.shadowRoot?.activeElement?.className), 'launcher');
        // Reopening continues the same conversation.
        await launcher.click();
        assert.equal(await agentReply(page, 2), reply);
        await page.getByRole('button', { name: 'Close chat' }).click();
        await panel.waitFor({ state: 'hidden' });
      });
    });

    test('a page on an origin the business does not allow gets no widget and a console message', async (t) => {
      await withPage(t, options, async (page, logs) => {
        await page.goto(`${FOREIGN}/demo/superior-fencing`);
        await page.waitForFunction(() => document.readyState === 'complete');
        const deadline = Date.now() + 10000;
        let message;
        while (!(message = logs.find((l) => l.startsWith('console.error') && l.includes('AHCA chat widget'))) && Date.now() < deadline) {
          await page.waitForTimeout(50);
        }
        assert.ok(message, `a console error for the site owner: ${logs.join('\n')}`);
        assert.match(message, new RegExp(`${FOREIGN.replace(/[.]/g, '\\.')} is not allowed .*web\\.allowedOrigins`));
        assert.equal(await page.locator('ahca-chat').count(), 0, 'no widget element');
        assert.equal(await launcherOf(page).count(), 0, 'no launcher');
        // The stack refuses that origin's handshake too: the check is not only the widget's.
        const opened = await page.evaluate(
          (url) =>
            new Promise((resolve) => {
              const ws = new WebSocket(url);
              ws.onopen = () => resolve(true);
              ws.onclose = () => resolve(false);
            }),
          `${base.origin.replace('http', 'ws')}/ws?businessId=superior-fencing`,
        );
        assert.equal(opened, false, 'handshake from a disallowed origin refused');
      });
    });
  });
}

describe('widget settings (web.widget)', () => {
  test('position, launcher text, accent colours and open on load come from the business info', async (t) => {
    await withPage(t, SIZES.desktop, async (page) => {
      // The business info as a config with every web.widget setting would give it.
      await page.route(`${BASE}/api/businesses/superior-fencing`, async (route) => {
        const res = await route.fetch();
        const info = await res.json();
        info.widget = { position: 'bottom-left', launcherText: 'Questions? Ask Riley', accentColor: '#fde047', accentTextColor: '#000000', openOnLoad: true };
        await route.fulfill({ response: res, json: info });
      });
      await page.goto(`${DEMO}/demo/superior-fencing`);
      const panel = page.getByTestId('ahca-panel');
      await panel.waitFor(); // open on load
      await page.locator('[data-testid="status"][data-state="connected"]').waitFor();
      await agentReply(page, 1);
      const launcher = page.getByTestId('ahca-launcher');
      assert.equal((await launcher.textContent()).trim(), 'Questions? Ask Riley');
      assert.equal(await launcher.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(253, 224, 71)');
      assert.equal(await launcher.evaluate((el) => getComputedStyle(el).color), 'rgb(0, 0, 0)');
      const box = await launcher.boundingBox();
      assert.ok(box.x < 100, `bottom-left: ${JSON.stringify(box)}`);
      // Opening by itself did not take the visitor's focus from the page.
      assert.equal(await page.evaluate(() => document.activeElement === document.body), true, 'focus stays on the page');
    });
  });
});

describe('widget snippet mistakes', () => {
  test('the snippet pasted twice gives one widget', async (t) => {
    await withPage(t, SIZES.desktop, async (page) => {
      const tag = `<script src="${BASE}/widget.js" data-business="maple-street-vet" async></script>`;
      await page.route(`${DEMO}/twice`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><title>t</title>${tag}${tag}` }));
      await page.goto(`${DEMO}/twice`);
      await launcherOf(page).waitFor();
      await page.waitForLoadState('networkidle');
      assert.equal(await page.locator('ahca-chat').count(), 1);
    });
  });

  test('a widget whose settings failed to load can be mounted again on the same page', async (t) => {
    await withPage(t, SIZES.desktop, async (page, logs) => {
      let refused = 0;
      await page.route(`${BASE}/api/businesses/maple-street-vet`, (route) => (refused++ === 0 ? route.abort() : route.fallback()));
      const tag = `<script src="${BASE}/widget.js" data-business="maple-street-vet" async></script>`;
      await page.route(`${DEMO}/retry`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><title>t</title>${tag}` }));
      await page.goto(`${DEMO}/retry`);
      const failed = () => logs.some((l) => l.startsWith('console.error') && /could not load its settings/.test(l));
      const deadline = Date.now() + 10000;
      while (!failed() && Date.now() < deadline) await page.waitForTimeout(50);
      assert.ok(failed(), logs.join('\n'));
      assert.equal(await page.locator('ahca-chat').count(), 0);
      // The same module instance widget.js loaded mounts it again.
      const mounted = await page.evaluate(
        (b) => import(`${b}/js/embed.js`).then((m) => m.mountWidget({ businessId: 'maple-street-vet', base: `${b}/` })).then((w) => w !== null),
        BASE,
      );
      assert.ok(mounted, 'the second mount showed nothing');
      await launcherOf(page).waitFor();
      assert.equal(await page.locator('ahca-chat').count(), 1);
    });
  });

  const cases = [
    { name: 'an unknown business', attrs: 'data-business="no-such-business"', want: /has no business "no-such-business"\. Check data-business/ },
    { name: 'no data-business', attrs: '', want: /needs data-business="<businessId>"/ },
  ];
  for (const c of cases) {
    test(`${c.name} gets no widget and says so in the console`, async (t) => {
      await withPage(t, SIZES.desktop, async (page, logs) => {
        await page.route(`${DEMO}/typo`, (route) =>
          route.fulfill({ contentType: 'text/html', body: `<!doctype html><title>t</title><script src="${BASE}/widget.js" ${c.attrs} async></script>` }),
        );
        await page.goto(`${DEMO}/typo`);
        const found = () => logs.some((l) => l.startsWith('console.error') && c.want.test(l));
        const deadline = Date.now() + 10000;
        while (!found() && Date.now() < deadline) await page.waitForTimeout(50);
        assert.ok(found(), logs.join('\n'));
        assert.equal(await page.locator('ahca-chat').count(), 0);
      });
    });
  }
});

function hexToRgb(hex) {
  let h = hex.slice(1);
  if (h.length === 3) h = [...h].map((c) => c + c).join('');
  const n = parseInt(h, 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}
