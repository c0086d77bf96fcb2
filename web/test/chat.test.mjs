// Real-browser test of the standalone chat page against a running AHCA dev
// server (browser.mjs has the setup):
//
//   AHCA_DEV_URL=http://127.0.0.1:18080 node --test test/

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  AGENT,
  AGENT_DONE,
  agentReply,
  assertInViewport,
  assertNoHorizontalScroll,
  BASE,
  expectText,
  openBusiness,
  say,
  SIZES,
  waitFor,
  withPage,
} from './browser.mjs';

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

  test('without business info (a host serving none), the handshake decides', async (t) => {
    await withPage(t, SIZES.desktop, async (page) => {
      await page.route('**/api/businesses/*', (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'Not Found' }));
      await openBusiness(page, 'maple-street-vet');
      assert.match(await agentReply(page, 1), /Maple Street/);
      await page.goto(`${BASE}/?business=nope`);
      await page.locator('[data-testid="status"][data-state="error"]').waitFor();
      assert.match(await page.getByTestId('error-banner').textContent(), /No business called “nope”/);
    });
  });

  test('phone-sized viewport: composer fits without horizontal scroll', async (t) => {
    await withPage(t, SIZES.phone, async (page) => {
      await openBusiness(page, 'superior-fencing');
      await agentReply(page, 1);
      const input = page.getByTestId('input');
      const send = page.getByTestId('send');
      await input.fill('Hello');
      for (const [name, loc] of [['input', input], ['send', send]]) {
        assert.ok(await loc.isVisible(), `${name} visible`);
        const box = await assertInViewport(page, loc, name);
        assert.ok(box.height >= 40, `${name} is a large tap target: ${box.height}px`);
      }
      await assertNoHorizontalScroll(page);
      await send.tap();
      await agentReply(page, 2);
    });
  });
});

// The page exactly as shipped in web/index.html (no tenant list: `ahca dev`
// is what turns the picker on), as a deployed stack serves it.
const SHIPPED_PAGE = fs.readFileSync(new URL('../index.html', import.meta.url), 'utf8');

async function servePublicPage(page) {
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  let sockets = 0;
  page.on('websocket', () => sockets++);
  await page.route(
    (u) => u.origin === new URL(BASE).origin && (u.pathname === '/' || u.pathname === '/index.html'),
    (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: SHIPPED_PAGE }),
  );
  return { requests, sockets: () => sockets };
}

for (const [size, options] of Object.entries(SIZES)) {
  describe(`web chat (${size})`, () => {
    test('the public page opens the one business of its link and lists no tenants', async (t) => {
      await withPage(t, options, async (page) => {
        const seen = await servePublicPage(page);
        await openBusiness(page, 'maple-street-vet');
        assert.match(await agentReply(page, 1), /Maple Street/);
        assert.match(await page.getByTestId('business-name').textContent(), /Maple Street/);
        assert.equal(await page.getByTestId('business-select').isVisible(), false, 'no tenant picker');
        assert.ok(!seen.requests.includes('/api/businesses'), `the business list was not requested: ${seen.requests.join(' ')}`);
        assert.match(await page.title(), /^Chat with .+ · Maple Street/);

        // A link without a business opens nothing and says so.
        await page.goto(`${BASE}/`);
        const banner = page.getByTestId('error-banner');
        await banner.waitFor({ state: 'visible' });
        assert.match(await banner.textContent(), /business’s chat link/);
        assert.equal(seen.sockets(), 1, 'no socket without a business');
        assert.equal(await page.getByTestId('business-select').isVisible(), false);
      });
    });

    test('web greeting without phone instructions, Collected counts the required fields, Start over', async (t) => {
      await withPage(t, options, async (page, logs) => {
        await openBusiness(page, 'superior-fencing');
        const greeting = await agentReply(page, 1);
        assert.doesNotMatch(greeting, /\bpress|pound|keypad|\bdial|#/i, 'the web greeting gives no phone instructions');
        const count = page.getByTestId('panel-count');
        assert.equal((await count.textContent()).trim(), '0 of 3', 'superior-fencing requires name, phone and reason');

        await say(page, "My fence blew down in the storm and the gate won't close");
        await agentReply(page, 2);
        await say(page, 'My name is Jamie Rivera');
        await agentReply(page, 3);
        await say(page, '503 555 0142');
        await agentReply(page, 4);
        await expectText(count, (s) => s === '3 of 3', 'count with every required field collected');
        assert.equal((await page.getByTestId('panel-email').textContent()).trim(), '—');

        const before = await page.getByTestId('session-id').getAttribute('title');
        let sockets = 0;
        page.on('websocket', () => sockets++);
        await page.getByRole('button', { name: 'Start over' }).click();
        await page.getByTestId('system-note').filter({ hasText: /started over/i }).waitFor();
        await page.locator('[data-testid="status"][data-state="connected"]').waitFor();
        assert.notEqual(await page.getByTestId('session-id').getAttribute('title'), before, 'a new session');
        assert.equal(await agentReply(page, 1), greeting, 'the new session greets again');
        assert.equal(await page.locator(AGENT).count(), 1, 'the old conversation is cleared');
        assert.equal(await page.locator('[data-testid="user-message"]').count(), 0);
        assert.equal((await count.textContent()).trim(), '0 of 3');
        assert.equal((await page.getByTestId('panel-name').textContent()).trim(), '—');
        assert.ok(logs.includes('ws > {"type":"restart"}'), 'Start over sends the restart frame');
        assert.equal(sockets, 0, 'on the same socket');
        await page.waitForFunction(() => document.activeElement?.id === 'input'); // focus in the message box
        await say(page, 'My gate is broken');
        await agentReply(page, 2);
      });
    });

    test('a real booking: the note shows the time the agent read back, in the business’s zone', async (t) => {
      await withPage(t, { ...options, timezoneId: 'Asia/Tokyo' }, async (page) => {
        await openBusiness(page, 'sherpaprompt'); // books demos, in America/Denver
        let n = await page.locator(AGENT_DONE).count();
        const next = async (text) => {
          await say(page, text);
          n += 1;
          return agentReply(page, n);
        };
        await next('I’d like to book a demo next Tuesday at 10am');
        await next('Dana Smith');
        let reply = await next('dana@example.org');
        for (let i = 0; i < 3 && !/booked for/.test(reply); i++) reply = await next('yes');
        const m = /booked for (\w{3}, \w{3} \d{1,2}) at (\d{1,2}:\d\d [AP]M) ([A-Z]{3,4})/.exec(reply);
        assert.ok(m, `the agent read back a booking: ${reply}`);
        const note = page.locator('[data-testid="system-note"][data-kind="appointment"]');
        await note.waitFor();
        const text = (await note.textContent()).replace(/\u202f/g, ' ');
        assert.ok(text.includes(`${m[1]}, ${m[2]} ${m[3]}`), `note ${JSON.stringify(text)} shows the read-back ${m[0]}`);
      });
    });

    test('a booking shows in the business’s time zone, labelled, whatever the browser’s zone', async (t) => {
      await withPage(t, { ...options, timezoneId: 'Asia/Tokyo' }, async (page) => {
        await scriptedServer(page, (conn, f) => {
          if (f.type !== 'prompt') return;
          conn.send({
            type: 'appointment_created',
            appointment: {
              start: '2026-12-08T10:00:00-08:00',
              timeZone: 'America/Los_Angeles',
              when: 'Tuesday, December 8 at 10:00 AM PST',
              service: 'Fence estimate',
            },
          });
          conn.say('You are booked.');
        });
        await openBusiness(page, 'superior-fencing');
        await agentReply(page, 1);
        await say(page, 'book it');
        const note = page.locator('[data-testid="system-note"][data-kind="appointment"]');
        await note.waitFor();
        const text = (await note.textContent()).replace(/\u202f/g, ' ');
        assert.equal(text, 'Appointment booked: Fence estimate, Tue, Dec 8, 10:00 AM PST.');
        assert.doesNotMatch(text, /Dec 9|3:00 AM|GMT\+9/, 'not the browser’s zone');
      });
    });
  });
}

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

describe('protocol edge cases (scripted socket)', () => {
  test('escapes server text, shows error frames inline, reconnects after an unexpected close', async (t) => {
    await withPage(t, { viewport: { width: 1280, height: 860 } }, async (page) => {
      const conns = await scriptedServer(page, (conn, f) => {
        if (f.type !== 'prompt') return;
        if (f.voicePrompt === 'html please') conn.say('<img src=x onerror="window.__xss=1">', ' & <b>bold</b>');
        if (f.voicePrompt === 'fail please') conn.send({ type: 'error', code: 'internal', message: '<i>The assistant hit a snag.</i>' });
        if (f.voicePrompt === 'drop please') conn.ws.close({ code: 1011, reason: 'server restart' });
        if (f.voicePrompt === 'emergency') conn.say('Call our on-call line at (503) ', '555-0111 now, ', 'or +1 (541) 555-0123.');
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

      // A number in a finished reply is a tel: link; the text is unchanged.
      await say(page, 'emergency');
      assert.equal(await agentReply(page, 3), 'Call our on-call line at (503) 555-0111 now, or +1 (541) 555-0123.');
      const links = page.locator('[data-testid="agent-message"] a');
      assert.deepEqual(await links.evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent])), [
        ['tel:+15035550111', '(503) 555-0111'],
        ['tel:+15415550123', '+1 (541) 555-0123'],
      ]);

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
      assert.equal(await agentReply(page, 4), 'Hello, this is Riley.');
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
