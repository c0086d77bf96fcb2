// ChatConnection: one conversation's WebSocket, speaking the AHCA protocol
// (the frames are described in docs/architecture.md). It sends `setup` once
// the socket opens, parses JSON frames, and reconnects with backoff after an
// unexpected close. It never reconnects after the server's `end`, after
// stop(), or after a refusal that retrying cannot fix. No DOM access: the
// WebSocket and timers are injectable so Node can test it.

import { backoffDelay } from './config.js';

/** Close codes after which retrying is pointless (policy, bad data, app-defined 4xxx). */
export function isPermanentClose(code) {
  return code === 1002 || code === 1003 || code === 1007 || code === 1008 || (code >= 4000 && code <= 4999);
}

/**
 * Events (subscribe with on(type, fn)):
 *   connecting {attempt}          a socket is being opened (attempt 0 = first)
 *   open {}                       socket open; `setup` has been sent
 *   message {msg}                 a parsed server frame (object with a string `type`)
 *   retry {attempt, delayMs, code, reason, opened}   reconnecting after delayMs
 *   failed {kind, code, reason}   gave up: kind is 'refused' (handshake refused and the
 *                                 business is unknown), 'unreachable' (retries exhausted)
 *                                 or 'policy' (server closed with a permanent code)
 *   closed {code, reason, ended}  closed after `end` (ended=true), stop(), or an unexpected
 *                                 close that shouldRetry declined (ended=false, declined=true)
 *   invalid {data, error}         a frame that is not a protocol message
 */
export class ChatConnection {
  /**
   * @param {object} o
   * @param {string} o.url                      full ws(s) URL including ?businessId=
   * @param {boolean} [o.knownBusiness=true]    false when the business is not in the server's list:
   *                                            a refused handshake then fails at once
   * @param {typeof WebSocket} [o.WebSocketImpl]
   * @param {number} [o.maxAttempts=6]          consecutive failed reconnects before giving up
   * @param {number} [o.handshakeAttempts=3]    attempts when the socket never opened
   * @param {(attempt: number) => number} [o.delay]
   * @param {number} [o.endCloseMs=5000]        close ourselves if the server has not, after `end`
   * @param {{setTimeout: Function, clearTimeout: Function}} [o.timers]
   * @param {(close: {code: number, reason: string}) => boolean} [o.shouldRetry]
   *        asked before reconnecting after an opened socket closed unexpectedly
   *        (e.g. no reconnect after an idle timeout nobody is waiting on)
   */
  constructor(o) {
    this.url = o.url;
    this.knownBusiness = o.knownBusiness !== false;
    this.WebSocketImpl = o.WebSocketImpl || globalThis.WebSocket;
    this.maxAttempts = o.maxAttempts ?? 6;
    this.handshakeAttempts = o.handshakeAttempts ?? 3;
    this.delay = o.delay || ((n) => backoffDelay(n));
    this.endCloseMs = o.endCloseMs ?? 5000;
    this.shouldRetry = o.shouldRetry || (() => true);
    this.timers = o.timers || { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (t) => clearTimeout(t) };
    this.handlers = new Map();
    this.ws = null;
    this.attempt = 0; // consecutive failures since the last session_ready
    this.everOpened = false; // any socket of this start() opened
    this.ended = false;
    this.stopped = true;
    this.retryTimer = null;
    this.endTimer = null;
  }

  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(fn);
    return this;
  }

  emit(type, detail = {}) {
    for (const fn of this.handlers.get(type) || []) fn(detail);
  }

  /** True while a socket is open (messages can be sent). */
  get isOpen() {
    return !!this.ws && this.ws.readyState === 1;
  }

  /** (Re)starts: resets the retry budget and opens a socket now. */
  start() {
    this.stopSocket();
    this.stopped = false;
    this.ended = false;
    this.attempt = 0;
    this.everOpened = false;
    this.open();
  }

  /** Intentional close: no reconnect. */
  stop() {
    this.stopped = true;
    this.stopSocket();
  }

  /** Sends one protocol message; false if the socket is not open. */
  send(msg) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  stopSocket() {
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearTimeout(this.endTimer);
    this.retryTimer = this.endTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
      try {
        ws.close(1000, 'client closed');
      } catch {
        /* already closing */
      }
    }
  }

  open() {
    this.retryTimer = null;
    let ws;
    this.emit('connecting', { attempt: this.attempt });
    try {
      ws = new this.WebSocketImpl(this.url);
    } catch (err) {
      // A malformed URL throws synchronously: retrying cannot help.
      this.stopped = true;
      this.emit('failed', { kind: 'policy', code: 0, reason: String(err && err.message ? err.message : err) });
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      this.everOpened = true;
      ws.send(JSON.stringify({ type: 'setup' }));
      this.emit('open', {});
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      let msg;
      try {
        msg = JSON.parse(typeof ev.data === 'string' ? ev.data : '');
      } catch (error) {
        this.emit('invalid', { data: ev.data, error });
        return;
      }
      if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') {
        this.emit('invalid', { data: ev.data, error: new Error('no type') });
        return;
      }
      if (msg.type === 'session_ready') this.attempt = 0;
      if (msg.type === 'end') {
        this.ended = true;
        // The server closes the socket; make sure it does not linger if it doesn't.
        this.endTimer = this.timers.setTimeout(() => {
          if (this.ws === ws) {
            this.stopSocket();
            this.emit('closed', { code: 1000, reason: 'ended', ended: true });
          }
        }, this.endCloseMs);
      }
      this.emit('message', { msg });
    };
    ws.onerror = () => {
      /* onclose follows with the code; nothing to add */
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.timers.clearTimeout(this.endTimer);
      const code = ev.code || 1006;
      const reason = ev.reason || '';
      if (this.stopped || this.ended) {
        this.emit('closed', { code, reason, ended: this.ended });
        return;
      }
      if (!opened && !this.everOpened && !this.knownBusiness) {
        this.stopped = true;
        this.emit('failed', { kind: 'refused', code, reason });
        return;
      }
      if (opened && isPermanentClose(code)) {
        this.stopped = true;
        this.emit('failed', { kind: 'policy', code, reason });
        return;
      }
      if (opened && !this.shouldRetry({ code, reason })) {
        this.stopped = true;
        this.emit('closed', { code, reason, ended: false, declined: true });
        return;
      }
      this.attempt += 1;
      const budget = this.everOpened ? this.maxAttempts : this.handshakeAttempts;
      if (this.attempt > budget) {
        this.stopped = true;
        this.emit('failed', { kind: 'unreachable', code, reason, everOpened: this.everOpened });
        return;
      }
      const delayMs = this.delay(this.attempt);
      this.emit('retry', { attempt: this.attempt, delayMs, code, reason, opened });
      this.retryTimer = this.timers.setTimeout(() => this.open(), delayMs);
    };
  }

  /** Skips a pending backoff wait (e.g. when the browser comes back online). */
  retryNow() {
    if (this.retryTimer && !this.stopped) {
      this.timers.clearTimeout(this.retryTimer);
      this.open();
    }
  }
}
