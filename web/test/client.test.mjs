// Unit tests of the page's pure modules (no browser, no server):
//   node --test test/client.test.mjs
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffDelay,
  businessInfoUrl,
  countCollected,
  formatBookingTime,
  formatPhone,
  originAllowed,
  parseBusinesses,
  parseBusinessInfo,
  resolveWsBase,
  toWsUrl,
  wsUrlFor,
} from '../js/config.js';
import { ChatConnection, isPermanentClose } from '../js/connection.js';
import { Speaker } from '../js/speech.js';

const loc = (href) => {
  const u = new URL(href);
  return { href: u.href, search: u.search, protocol: u.protocol, host: u.host };
};

describe('resolveWsBase', () => {
  const cases = [
    { name: 'default http', href: 'http://127.0.0.1:18080/', meta: '', want: 'ws://127.0.0.1:18080/ws' },
    { name: 'default https', href: 'https://chat.example/app/', meta: null, want: 'wss://chat.example/ws' },
    { name: 'meta', href: 'https://chat.example/', meta: 'wss://abc.execute-api.us-west-2.amazonaws.com/dev', want: 'wss://abc.execute-api.us-west-2.amazonaws.com/dev' },
    { name: 'meta https becomes wss', href: 'https://chat.example/', meta: 'https://api.example/ws', want: 'wss://api.example/ws' },
    { name: '?ws= beats meta', href: 'http://localhost:8080/?ws=ws%3A%2F%2F127.0.0.1%3A9000%2Fws', meta: 'wss://x.example/dev', want: 'ws://127.0.0.1:9000/ws' },
    { name: 'relative ?ws=', href: 'http://localhost:8080/?ws=/other', meta: '', want: 'ws://localhost:8080/other' },
    { name: 'bad ?ws= falls back to meta', href: 'http://localhost:8080/?ws=javascript:alert(1)', meta: 'wss://x.example/dev', want: 'wss://x.example/dev', warn: 1 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = resolveWsBase(loc(c.href), c.meta);
      assert.equal(got.url, c.want);
      assert.equal(got.warnings.length, c.warn || 0);
    });
  }
});

test('toWsUrl rejects other schemes', () => {
  assert.equal(toWsUrl('ftp://x/', 'http://a/'), null);
  assert.equal(toWsUrl('data:text/plain,x', 'http://a/'), null);
  assert.equal(toWsUrl('wss://a/b#frag', 'http://a/'), 'wss://a/b');
});

test('wsUrlFor sets businessId and keeps other parameters', () => {
  assert.equal(wsUrlFor('ws://h/ws', 'superior-fencing'), 'ws://h/ws?businessId=superior-fencing');
  assert.equal(wsUrlFor('wss://h/dev?x=1', 'a b&c'), 'wss://h/dev?x=1&businessId=a+b%26c');
  assert.equal(wsUrlFor('ws://h/ws?businessId=old', 'new'), 'ws://h/ws?businessId=new');
});

test('backoffDelay grows, caps and jitters', () => {
  const mid = { random: () => 0.5 };
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, mid)), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(backoffDelay(1, { random: () => 0 }), 800);
  assert.equal(backoffDelay(1, { random: () => 1 }), 1200);
});

test('parseBusinesses keeps well-formed, unique entries', () => {
  const got = parseBusinesses([
    { businessId: 'a', businessName: 'A Co', agentName: 'Ann' },
    { businessId: 'a', businessName: 'dup' },
    { businessName: 'no id' },
    null,
    { businessId: 'b' },
  ]);
  assert.deepEqual(got, [
    { businessId: 'a', businessName: 'A Co', agentName: 'Ann' },
    { businessId: 'b', businessName: 'b', agentName: '' },
  ]);
  assert.throws(() => parseBusinesses({}), /not a JSON array/);
});

describe('parseBusinessInfo', () => {
  test('a full answer', () => {
    const got = parseBusinessInfo({
      businessId: 'superior-fencing',
      businessName: 'Superior Fence',
      agentName: 'Riley',
      timeZone: 'America/Los_Angeles',
      requiredFields: ['name', 'phone', 'bogus', 'reason'],
      allowedOrigins: ['HTTPS://WWW.Superior-Fence.example', 7],
      widget: { position: 'bottom-left', launcherText: 'Talk to us', accentColor: '#2563eb', accentTextColor: '#ffffff', openOnLoad: true },
      wsUrl: 'wss://ws.example/dev',
    });
    assert.deepEqual(got, {
      businessId: 'superior-fencing',
      businessName: 'Superior Fence',
      agentName: 'Riley',
      timeZone: 'America/Los_Angeles',
      requiredFields: ['name', 'phone', 'reason'],
      allowedOrigins: ['https://www.superior-fence.example'],
      wsUrl: 'wss://ws.example/dev',
      widget: { position: 'bottom-left', launcherText: 'Talk to us', accentColor: '#2563eb', accentTextColor: '#ffffff', openOnLoad: true },
    });
  });
  test('defaults for what is missing or malformed', () => {
    const got = parseBusinessInfo({ businessId: 'b', agentName: 'Sam', timeZone: 'Mars/Olympus', widget: { position: 'top', accentColor: 'red; x' } });
    assert.equal(got.businessName, 'b');
    assert.equal(got.timeZone, '');
    assert.deepEqual(got.requiredFields, ['name', 'phone', 'email', 'reason']);
    assert.deepEqual(got.allowedOrigins, []);
    assert.deepEqual(got.widget, { position: 'bottom-right', launcherText: 'Chat with Sam', accentColor: '', accentTextColor: '', openOnLoad: false });
  });
  test('no business id', () => {
    assert.throws(() => parseBusinessInfo({ businessName: 'x' }), /no businessId/);
    assert.throws(() => parseBusinessInfo(null), /no businessId/);
  });
});

test('businessInfoUrl is relative to the widget or page folder', () => {
  assert.equal(businessInfoUrl('https://chat.example/v3/', 'a-b'), 'https://chat.example/v3/api/businesses/a-b');
  assert.equal(businessInfoUrl('http://127.0.0.1:8080/', 'x'), 'http://127.0.0.1:8080/api/businesses/x');
});

test('originAllowed', () => {
  const list = ['https://www.superior-fence.example', 'http://localhost:8080'];
  const cases = [
    [[], 'https://anything.example', true],
    [[], 'null', true],
    [list, 'https://www.superior-fence.example', true],
    [list, 'HTTPS://WWW.SUPERIOR-FENCE.EXAMPLE', true],
    [list, 'https://superior-fence.example', false],
    [list, 'http://localhost:8081', false],
    [list, 'null', false],
  ];
  for (const [allowed, origin, want] of cases) assert.equal(originAllowed(allowed, origin), want, `${origin} in ${allowed}`);
});

test('countCollected counts the required fields only', () => {
  const all = { name: 'Jamie', phone: '+15035550142', email: '', reason: 'fence' };
  assert.deepEqual(countCollected(all, ['name', 'phone', 'reason']), { n: 3, of: 3 });
  assert.deepEqual(countCollected(all, ['name', 'phone', 'email', 'reason']), { n: 3, of: 4 });
  assert.deepEqual(countCollected({ name: '', phone: '', email: 'a@b.c', reason: '' }, ['name']), { n: 0, of: 1 });
  assert.deepEqual(countCollected(all, []), { n: 0, of: 0 });
});

describe('formatBookingTime', () => {
  const cases = [
    { name: 'business zone named', a: { start: '2026-12-08T10:00:00-07:00' }, tz: 'America/Denver', want: 'Tue, Dec 8, 10:00 AM MST' },
    { name: 'frame zone wins', a: { start: '2026-12-08T17:00:00Z', timeZone: 'America/New_York' }, tz: 'America/Denver', want: 'Tue, Dec 8, 12:00 PM EST' },
    { name: 'summer time', a: { start: '2026-07-07T09:30:00-07:00' }, tz: 'America/Los_Angeles', want: 'Tue, Jul 7, 9:30 AM PDT' },
    { name: 'no zone: the offset of start, labelled', a: { start: '2026-12-08T10:00:00-07:00' }, tz: '', want: 'Tue, Dec 8, 10:00 AM UTC−07:00' },
    { name: 'no zone, UTC', a: { start: '2026-12-08T10:00:00Z' }, tz: undefined, want: 'Tue, Dec 8, 10:00 AM UTC' },
    { name: 'bad zone falls back to the offset', a: { start: '2026-12-08T10:00:00+05:30' }, tz: 'Nowhere/Land', want: 'Tue, Dec 8, 10:00 AM UTC+05:30' },
    { name: 'unparsable start: the read-back', a: { start: 'soon', when: 'Tuesday at 10 AM MST' }, tz: 'America/Denver', want: 'Tuesday at 10 AM MST' },
    { name: 'nothing', a: {}, tz: 'America/Denver', want: '' },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(formatBookingTime(c.a, c.tz).replace(/\u202f/g, ' '), c.want));
  }
});

test('formatPhone', () => {
  assert.equal(formatPhone('+15035550142'), '(503) 555-0142');
  assert.equal(formatPhone('+442071838750'), '+442071838750');
  assert.equal(formatPhone('503 555 0142'), '503 555 0142');
});

test('isPermanentClose', () => {
  for (const c of [1008, 1003, 4000, 4404]) assert.ok(isPermanentClose(c), c);
  for (const c of [1000, 1001, 1006, 1011, 1012]) assert.ok(!isPermanentClose(c), c);
});

// ---- ChatConnection with a fake WebSocket and manual timers ---------------

function harness(opts = {}) {
  const sockets = [];
  class FakeWS {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      sockets.push(this);
    }
    send(d) {
      this.sent.push(JSON.parse(d));
    }
    close() {
      this.readyState = 3;
    }
    // test helpers
    open() {
      this.readyState = 1;
      this.onopen?.({});
    }
    recv(obj) {
      this.onmessage?.({ data: typeof obj === 'string' ? obj : JSON.stringify(obj) });
    }
    drop(code = 1006, reason = '') {
      this.readyState = 3;
      this.onclose?.({ code, reason });
    }
  }
  const timers = [];
  const t = {
    setTimeout: (f, ms) => {
      const id = { f, ms, done: false };
      timers.push(id);
      return id;
    },
    clearTimeout: (id) => {
      if (id) id.done = true;
    },
  };
  const fire = () => {
    const pending = timers.filter((x) => !x.done);
    assert.ok(pending.length > 0, 'a timer is pending');
    const next = pending[0];
    next.done = true;
    next.f();
    return next.ms;
  };
  const events = [];
  const conn = new ChatConnection({ url: 'ws://h/ws?businessId=x', WebSocketImpl: FakeWS, timers: t, delay: (n) => n * 100, ...opts });
  for (const e of ['connecting', 'open', 'message', 'retry', 'failed', 'closed', 'invalid']) {
    conn.on(e, (d) => events.push([e, d]));
  }
  return { conn, sockets, events, fire, timers, kinds: () => events.map((e) => e[0]) };
}

describe('ChatConnection', () => {
  test('sends setup on open and delivers frames', () => {
    const h = harness();
    h.conn.start();
    h.sockets[0].open();
    assert.deepEqual(h.sockets[0].sent, [{ type: 'setup' }]);
    h.sockets[0].recv({ type: 'session_ready', sessionId: 's1' });
    h.sockets[0].recv('not json');
    h.sockets[0].recv({ nope: 1 });
    assert.deepEqual(h.kinds(), ['connecting', 'open', 'message', 'invalid', 'invalid']);
    assert.ok(h.conn.send({ type: 'prompt', voicePrompt: 'hi', lang: 'en-US', last: true }));
    assert.equal(h.sockets[0].sent[1].voicePrompt, 'hi');
  });

  test('reconnects with backoff after an unexpected close, then resets on session_ready', () => {
    const h = harness();
    h.conn.start();
    h.sockets[0].open();
    h.sockets[0].drop(1006);
    assert.equal(h.fire(), 100);
    h.sockets[1].drop(1006); // never opened, but this start() had opened before
    assert.equal(h.fire(), 200);
    h.sockets[2].open();
    h.sockets[2].recv({ type: 'session_ready' });
    h.sockets[2].drop(1001);
    assert.equal(h.fire(), 100, 'attempts reset after session_ready');
    assert.equal(h.sockets.length, 4);
    assert.equal(h.sockets[3].url, 'ws://h/ws?businessId=x');
  });

  test('gives up after maxAttempts', () => {
    const h = harness({ maxAttempts: 2 });
    h.conn.start();
    h.sockets[0].open();
    h.sockets[0].drop();
    h.fire();
    h.sockets[1].drop();
    h.fire();
    h.sockets[2].drop();
    const last = h.events.at(-1);
    assert.equal(last[0], 'failed');
    assert.equal(last[1].kind, 'unreachable');
    assert.ok(h.timers.every((x) => x.done), 'no retry pending');
  });

  test('no reconnect after end', () => {
    const h = harness();
    h.conn.start();
    h.sockets[0].open();
    h.sockets[0].recv({ type: 'end', handoffData: '{}' });
    h.sockets[0].drop(1000);
    assert.deepEqual(h.events.at(-1), ['closed', { code: 1000, reason: '', ended: true }]);
    assert.equal(h.sockets.length, 1);
  });

  test('closes itself when the server lingers after end', () => {
    const h = harness({ endCloseMs: 50 });
    h.conn.start();
    h.sockets[0].open();
    h.sockets[0].recv({ type: 'end' });
    assert.equal(h.fire(), 50);
    assert.equal(h.events.at(-1)[0], 'closed');
    assert.equal(h.sockets[0].readyState, 3);
  });

  test('no reconnect after stop', () => {
    const h = harness();
    h.conn.start();
    h.sockets[0].open();
    h.conn.stop();
    assert.equal(h.sockets[0].readyState, 3);
    assert.equal(h.timers.filter((x) => !x.done).length, 0);
    assert.ok(!h.conn.send({ type: 'prompt' }));
  });

  test('refused handshake of an unknown business fails at once', () => {
    const h = harness({ knownBusiness: false });
    h.conn.start();
    h.sockets[0].drop(1006);
    assert.deepEqual(h.events.at(-1), ['failed', { kind: 'refused', code: 1006, reason: '' }]);
  });

  test('refused handshake of a known business retries a few times', () => {
    const h = harness({ handshakeAttempts: 2 });
    h.conn.start();
    h.sockets[0].drop();
    h.fire();
    h.sockets[1].drop();
    h.fire();
    h.sockets[2].drop();
    assert.equal(h.events.at(-1)[1].kind, 'unreachable');
  });

  test('shouldRetry can decline a reconnect (idle close)', () => {
    const seen = [];
    const h = harness({ shouldRetry: (c) => (seen.push(c), false) });
    h.conn.start();
    h.sockets[0].open();
    h.sockets[0].drop(1001, 'idle timeout');
    assert.deepEqual(seen, [{ code: 1001, reason: 'idle timeout' }]);
    assert.deepEqual(h.events.at(-1), ['closed', { code: 1001, reason: 'idle timeout', ended: false, declined: true }]);
    assert.equal(h.timers.filter((x) => !x.done).length, 0);
  });

  test('policy close is permanent', () => {
    const h = harness();
    h.conn.start();
    h.sockets[0].open();
    h.sockets[0].drop(1008, 'origin not allowed');
    assert.deepEqual(h.events.at(-1), ['failed', { kind: 'policy', code: 1008, reason: 'origin not allowed' }]);
  });

  test('events of a replaced socket are ignored', () => {
    const h = harness();
    h.conn.start();
    const old = h.sockets[0];
    h.conn.start();
    old.onclose?.({ code: 1006 });
    h.sockets[1].open();
    assert.deepEqual(h.kinds(), ['connecting', 'connecting', 'open']);
  });
});

test('Speaker speaks whole sentences as they stream, the rest on flush', () => {
  const spoken = [];
  const win = {
    speechSynthesis: { speak: (u) => spoken.push(u.text), cancel: () => spoken.push('<cancel>') },
    SpeechSynthesisUtterance: class {
      constructor(text) {
        this.text = text;
      }
    },
  };
  const s = new Speaker(win);
  s.push('Hello there. How');
  assert.deepEqual(spoken, [], 'disabled speaks nothing');
  s.enabled = true;
  s.push('Hi. How can ');
  s.push('I help? Tell me');
  s.flush();
  s.cancel();
  assert.deepEqual(spoken, ['Hi.', 'How can I help?', 'Tell me', '<cancel>']);
});
