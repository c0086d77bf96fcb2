// One conversation's UI: builds the chat (header, log, composer, Collected
// panel) inside a container, runs it over ChatConnection and renders the
// frames. The standalone page (main.js) and the embeddable widget (embed.js,
// inside a shadow root) both use it, so they behave the same. Every piece of
// server or user text reaches the DOM through textContent / text nodes; the
// only markup is the static template below.

import { countCollected, FIELDS, formatBookingTime, formatPhone, LANG, wsUrlFor } from './config.js';
import { ChatConnection } from './connection.js';

const EMPTY = '—';
const SESSION_READY_TIMEOUT_MS = 15000;
// Reconnect by itself only if the conversation was active recently: a socket
// that the gateway closed for idleness (API Gateway: 10 min) stays closed until
// the user asks, so an unattended tab does not open session after session.
const AUTO_RECONNECT_IF_ACTIVE_MS = 5 * 60 * 1000;
const MAX_INTERRUPT_CHARS = 4000; // the server's limit on utteranceUntilInterrupt
const NO_SPEAKER = { push() {}, flush() {}, cancel() {} };
// A phone number as an agent writes one: "+1 503 555 0111", "(503) 555-0111", "503.555.0111".
const PHONE = /(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\w)/g;

/** The tel: number of a matched phone number (North American unless it has a country code). */
function toTel(s) {
  const digits = s.replace(/\D/g, '');
  if (s.trim().startsWith('+')) return `+${digits}`;
  return digits.length === 10 ? `+1${digits}` : '';
}

const ICON_MIC =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-3.1A7 7 0 0 0 19 11z"/></svg>';
const ICON_SEND = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z"/></svg>';

const TEMPLATE = `
<section class="chat" aria-labelledby="agent-name">
  <div class="chat__head">
    <span id="avatar" class="avatar" aria-hidden="true"></span>
    <div class="chat__who">
      <h2 id="agent-name" class="chat__agent">Assistant</h2>
      <p id="business-name" class="chat__business" data-testid="business-name"></p>
    </div>
    <div class="conn">
      <span id="status" class="status" data-testid="status" data-state="connecting" role="status" aria-live="polite">
        <span class="status__dot" aria-hidden="true"></span><span id="status-text">Connecting…</span>
      </span>
      <button id="reconnect" class="btn btn--ghost btn--small" data-testid="reconnect" type="button" hidden>Reconnect</button>
      <button id="start-over" class="btn btn--ghost btn--small" data-testid="start-over" type="button" hidden>Start over</button>
    </div>
  </div>
  <div id="banner" class="banner" data-testid="error-banner" role="alert" hidden>
    <p id="banner-title" class="banner__title"></p>
    <p id="banner-text" class="banner__text"></p>
    <button id="banner-action" class="btn btn--small" type="button" hidden></button>
  </div>
  <div id="scroller" class="chat__scroll">
    <ol id="log" class="log" data-testid="chat-log" role="log" aria-live="polite" aria-relevant="additions" aria-label="Conversation"></ol>
    <div id="typing" class="typing" data-testid="typing" hidden>
      <span class="visually-hidden">The assistant is typing</span>
      <span class="typing__dot" aria-hidden="true"></span><span class="typing__dot" aria-hidden="true"></span><span class="typing__dot" aria-hidden="true"></span>
    </div>
    <div id="end-note" class="end-note" data-testid="end-note" hidden>
      <p class="end-note__title">Conversation ended</p>
      <p class="end-note__text">Thanks for reaching out. The business will receive a summary of this conversation.</p>
      <button id="restart" class="btn" data-testid="restart" type="button">Start new conversation</button>
    </div>
  </div>
  <form id="composer" class="composer" novalidate>
    <label class="visually-hidden" for="input">Message</label>
    <button id="mic" class="btn btn--icon" data-testid="mic" type="button" aria-pressed="false" aria-label="Dictate a message" hidden>${ICON_MIC}</button>
    <input id="input" class="composer__input" data-testid="input" type="text" name="message"
           placeholder="Type your message…" autocomplete="off" autocapitalize="sentences"
           enterkeyhint="send" maxlength="2000" disabled>
    <button id="send" class="btn composer__send" data-testid="send" type="submit" disabled>
      <span class="composer__send-label">Send</span>${ICON_SEND}
    </button>
  </form>
  <div class="composer__opts">
    <label id="speak-wrap" class="switch" hidden>
      <input id="speak" type="checkbox" data-testid="speak-toggle">
      <span class="switch__track" aria-hidden="true"></span>
      <span>Speak replies</span>
    </label>
    <span id="session-id" class="session-id" data-testid="session-id"></span>
  </div>
</section>
<aside class="panel" aria-labelledby="panel-title">
  <details id="panel-details" class="panel__details">
    <summary class="panel__summary">
      <h2 id="panel-title" class="panel__title">Collected</h2>
      <span id="panel-count" class="panel__count" data-testid="panel-count">0 of 4</span>
    </summary>
    <dl class="facts">
      <div class="fact"><dt>Name</dt><dd data-testid="panel-name" data-field="name">—</dd></div>
      <div class="fact"><dt>Phone</dt><dd data-testid="panel-phone" data-field="phone">—</dd></div>
      <div class="fact"><dt>Email</dt><dd data-testid="panel-email" data-field="email">—</dd></div>
      <div class="fact"><dt>Reason</dt><dd data-testid="panel-reason" data-field="reason">—</dd></div>
    </dl>
    <p class="panel__note">What the assistant has noted so far. It goes to the business with a summary when the conversation ends.</p>
  </details>
</aside>`;

/**
 * Appends the chat to container and returns its controller; start() opens the
 * conversation.
 * @param {HTMLElement} container
 * @param {object} o
 * @param {string} o.businessId
 * @param {string} o.wsBase                  the WebSocket endpoint (config.resolveWsBase)
 * @param {ReturnType<import('./config.js').parseBusinessInfo>|null} [o.info]  what is known before connecting
 * @param {boolean} [o.knownBusiness=true]   false: a refused handshake means an unknown business
 * @param {string} [o.refusedHint]           added to the unknown-business banner
 * @param {() => void} [o.onRefused]
 * @param {(businessName: string, agentName: string) => void} [o.onIdentity]
 * @param {{push: Function, flush: Function, cancel: Function}} [o.speaker]  reads replies aloud (the page's)
 * @param {() => void} [o.onHalt]            the conversation stopped listening (disconnected, ended)
 * @param {() => boolean} [o.autoFocus]      whether to focus the message box when a session starts
 *                                           (not on touch screens, where it opens the keyboard)
 */
export function mountChat(container, o) {
  container.insertAdjacentHTML('beforeend', TEMPLATE); // static markup only
  const $ = (id) => /** @type {any} */ (container.querySelector(`#${id}`));
  const el = {
    status: $('status'),
    statusText: $('status-text'),
    reconnect: $('reconnect'),
    startOver: $('start-over'),
    avatar: $('avatar'),
    agentName: $('agent-name'),
    businessName: $('business-name'),
    banner: $('banner'),
    bannerTitle: $('banner-title'),
    bannerText: $('banner-text'),
    bannerAction: $('banner-action'),
    scroller: $('scroller'),
    log: $('log'),
    typing: $('typing'),
    endNote: $('end-note'),
    restart: $('restart'),
    form: $('composer'),
    input: $('input'),
    send: $('send'),
    mic: $('mic'),
    speakWrap: $('speak-wrap'),
    speak: $('speak'),
    sessionId: $('session-id'),
    panelDetails: $('panel-details'),
    panelCount: $('panel-count'),
  };
  const speaker = o.speaker || NO_SPEAKER;
  const autoFocus = o.autoFocus || (() => true);
  let info = o.info || null;
  let required = info ? info.requiredFields : FIELDS;
  let knownBusiness = o.knownBusiness !== false;

  const S = {
    /** @type {ChatConnection|null} */
    conn: null,
    /** @type {{sessionId?: string, businessName?: string, agentName?: string}|null} */
    session: null,
    connected: false,
    ended: false,
    /** the agent bubble being streamed: {el, text, startedAt} */
    bubble: null,
    fields: { name: '', phone: '', email: '', reason: '' },
    lastActivity: 0,
    focusOnReady: false, // the user asked for this session (Start over)
    restarting: false, // a restart frame was sent; its session_ready has not come
    readyTimer: 0,
    countdownTimer: 0,
  };

  // ---- status, banner, composer ---------------------------------------------

  /**
   * @param {'connecting'|'connected'|'reconnecting'|'closed'|'ended'|'error'} state
   * @param {string} text
   * @param {{canReconnect?: boolean}} [so]  offer Reconnect (default: when not connected or ended)
   */
  function setStatus(state, text, so = {}) {
    el.status.dataset.state = state;
    el.statusText.textContent = text;
    const can = so.canReconnect ?? (state === 'reconnecting' || state === 'closed' || state === 'error');
    el.reconnect.hidden = !can;
    el.reconnect.textContent = state === 'reconnecting' ? 'Reconnect now' : 'Reconnect';
    el.startOver.hidden = state !== 'connected';
    updateComposer();
  }

  function updateComposer() {
    const usable = S.connected && !S.ended;
    el.input.disabled = !usable;
    el.send.disabled = !usable || el.input.value.trim() === '';
    el.mic.disabled = !usable;
    const state = el.status.dataset.state;
    el.input.placeholder = usable
      ? 'Type your message…'
      : S.ended
        ? 'Conversation ended'
        : state === 'connecting' || state === 'reconnecting'
          ? 'Connecting…'
          : 'Not connected';
  }

  function showBanner(title, text, action) {
    el.bannerTitle.textContent = title;
    el.bannerText.textContent = text;
    el.bannerAction.hidden = !action;
    el.bannerAction.textContent = action ? action.label : '';
    el.bannerAction.onclick = action ? action.run : null;
    el.banner.hidden = false;
  }

  function hideBanner() {
    el.banner.hidden = true;
  }

  function clearTimers() {
    clearTimeout(S.readyTimer);
    clearInterval(S.countdownTimer);
    S.readyTimer = S.countdownTimer = 0;
  }

  // ---- header and panel -----------------------------------------------------

  function showIdentity(businessName, agentName) {
    const agent = agentName || 'Assistant';
    el.agentName.textContent = agent;
    el.businessName.textContent = businessName || '';
    el.avatar.textContent = agent.trim().charAt(0).toUpperCase() || 'A';
    o.onIdentity?.(businessName || '', agent);
  }

  function renderPanel() {
    for (const f of FIELDS) {
      const dd = container.querySelector(`[data-field="${f}"]`);
      const v = S.fields[f];
      dd.textContent = !v ? EMPTY : f === 'phone' ? formatPhone(v) : v;
      dd.title = f === 'phone' && v ? v : '';
      dd.classList.toggle('is-empty', !v);
      dd.parentElement.classList.toggle('fact--optional', !required.includes(f));
    }
    const { n, of } = countCollected(S.fields, required);
    el.panelCount.textContent = `${n} of ${of}`;
    el.panelCount.setAttribute('aria-label', `${n} of ${of} required details collected`);
    el.panelCount.dataset.done = String(n === of);
  }

  function resetPanel() {
    S.fields = { name: '', phone: '', email: '', reason: '' };
    renderPanel();
  }

  /**
   * user_info_updated carries the whole collected record (the server omits
   * empty fields), so a field that is absent is empty.
   */
  function applyUserInfo(ui) {
    if (!ui || typeof ui !== 'object') return;
    for (const f of FIELDS) {
      const v = ui[f];
      S.fields[f] = typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '';
    }
    renderPanel();
  }

  // ---- chat log ---------------------------------------------------------------

  // The log follows new text while the reader is at the bottom; once they
  // scroll up to read, it stays put until they scroll back down (or send).
  let stick = true;
  el.scroller.addEventListener(
    'scroll',
    () => {
      const s = el.scroller;
      stick = s.scrollHeight - s.scrollTop - s.clientHeight < 48;
    },
    { passive: true },
  );

  function scrollToBottom(force) {
    if (force) stick = true;
    if (stick) el.scroller.scrollTop = el.scroller.scrollHeight;
  }

  function addMessage(who, text) {
    const li = document.createElement('li');
    li.className = `msg msg--${who}`;
    const label = document.createElement('span');
    label.className = 'visually-hidden';
    label.textContent = who === 'user' ? 'You said: ' : `${el.agentName.textContent} said: `;
    const p = document.createElement('p');
    p.className = 'msg__bubble';
    p.dataset.testid = who === 'user' ? 'user-message' : 'agent-message';
    p.textContent = text;
    li.append(label, p);
    el.log.append(li);
    scrollToBottom(who === 'user');
    return p;
  }

  /** @param {'system'|'error'} kind */
  function addNote(kind, text) {
    const li = document.createElement('li');
    li.className = `note note--${kind}`;
    li.dataset.testid = kind === 'error' ? 'error-note' : 'system-note';
    if (kind === 'error') {
      const b = document.createElement('strong');
      b.textContent = 'Error: ';
      li.append(b);
    }
    li.append(document.createTextNode(text));
    el.log.append(li);
    scrollToBottom(false);
    return li;
  }

  function clearChat() {
    el.log.replaceChildren();
    stick = true;
    S.bubble = null;
    el.typing.hidden = true;
    el.endNote.hidden = true;
    speaker.cancel();
  }

  /** Closes the streaming bubble (reply complete, interrupted or abandoned). */
  function closeBubble(interrupted) {
    const b = S.bubble;
    if (!b) return;
    S.bubble = null;
    if (!b.text.trim()) {
      b.el.parentElement?.remove();
      return;
    }
    b.el.dataset.complete = 'true';
    b.el.removeAttribute('aria-busy');
    linkPhones(b.el, b.text);
    if (interrupted) {
      b.el.dataset.interrupted = 'true';
      const tag = document.createElement('span');
      tag.className = 'msg__tag';
      tag.textContent = 'interrupted';
      b.el.parentElement?.append(tag);
    }
  }

  /**
   * Makes the phone numbers of a finished reply tappable (an on-call number
   * the agent gives an urgent visitor): the same text, as text nodes and
   * tel: links.
   */
  function linkPhones(p, text) {
    const parts = [];
    let at = 0;
    for (const m of text.matchAll(PHONE)) {
      const tel = toTel(m[0]);
      if (!tel) continue;
      parts.push(text.slice(at, m.index));
      const a = document.createElement('a');
      a.href = `tel:${tel}`;
      a.textContent = m[0];
      parts.push(a);
      at = m.index + m[0].length;
    }
    if (at > 0) p.replaceChildren(...parts, text.slice(at));
  }

  /** A text frame: stream into one agent bubble; last closes it. */
  function onText(token, last) {
    const t = typeof token === 'string' ? token : '';
    if (!S.bubble && t === '' && last) return; // nothing open; nothing to close
    el.typing.hidden = true;
    if (!S.bubble) {
      const p = addMessage('agent', '');
      p.dataset.complete = 'false';
      p.setAttribute('aria-busy', 'true');
      S.bubble = { el: p, text: '', startedAt: performance.now() };
    }
    if (t) {
      S.bubble.text += t;
      S.bubble.el.append(document.createTextNode(t));
      speaker.push(t);
      scrollToBottom(false);
    }
    if (last) {
      closeBubble(false);
      speaker.flush();
    }
  }

  // ---- protocol ---------------------------------------------------------------

  function onMessage(msg) {
    // After a restart frame, what the old conversation still sends is not shown.
    if (S.restarting && msg.type !== 'session_ready' && msg.type !== 'error' && msg.type !== 'end') return;
    switch (msg.type) {
      case 'session_ready': {
        clearTimeout(S.readyTimer);
        const prev = S.session;
        S.session = msg;
        S.restarting = false;
        S.connected = true;
        S.lastActivity = Date.now();
        if (prev && prev.sessionId !== msg.sessionId) {
          closeBubble(false);
          resetPanel();
          addNote('system', 'Reconnected. This is a new conversation.');
        }
        showIdentity(msg.businessName || info?.businessName || o.businessId, msg.agentName || info?.agentName);
        el.sessionId.textContent = msg.sessionId ? `Session ${String(msg.sessionId).slice(0, 8)}` : '';
        el.sessionId.title = msg.sessionId ? String(msg.sessionId) : '';
        hideBanner();
        setStatus('connected', 'Connected');
        el.typing.hidden = false; // the greeting follows
        if (S.focusOnReady || autoFocus()) el.input.focus();
        S.focusOnReady = false;
        break;
      }
      case 'text':
        S.lastActivity = Date.now();
        onText(msg.token, msg.last === true);
        break;
      case 'user_info_updated':
        applyUserInfo(msg.userInfo);
        break;
      case 'appointment_created':
        addNote('system', describeAppointment(msg)).dataset.kind = 'appointment';
        break;
      case 'error':
        closeBubble(false);
        el.typing.hidden = true;
        if (S.restarting) {
          // The restart was refused (e.g. too many): the conversation goes on.
          S.restarting = false;
          S.connected = true;
          setStatus('connected', 'Connected');
        }
        addNote('error', typeof msg.message === 'string' && msg.message ? msg.message : `Something went wrong (${msg.code || 'error'}).`);
        break;
      case 'end':
        closeBubble(false);
        speaker.flush();
        S.ended = true;
        S.connected = false;
        el.typing.hidden = true;
        el.endNote.hidden = false;
        stopDictation();
        setStatus('ended', 'Ended');
        scrollToBottom(true);
        if (autoFocus()) el.restart.focus();
        break;
      default:
        // Frames for other clients (play, sendDigits, language, …): nothing to show.
        break;
    }
  }

  /** A short line for an appointment_created frame, in the business's zone. */
  function describeAppointment(msg) {
    const a = msg.appointment && typeof msg.appointment === 'object' ? msg.appointment : msg;
    const parts = [];
    const title = a.service || a.title;
    if (typeof title === 'string' && title) parts.push(title);
    const when = formatBookingTime(a, info?.timeZone);
    if (when) parts.push(when);
    return parts.length ? `Appointment booked: ${parts.join(', ')}.` : 'Appointment booked.';
  }

  // ---- connection ---------------------------------------------------------------

  function start() {
    clearTimers();
    if (S.conn) S.conn.stop();
    S.conn = null;
    S.session = null;
    S.connected = false;
    S.ended = false;
    S.restarting = false;
    clearChat();
    resetPanel();
    hideBanner();
    el.sessionId.textContent = '';
    const id = o.businessId;
    showIdentity(info ? info.businessName : id, info ? info.agentName : '');

    const conn = new ChatConnection({
      url: wsUrlFor(o.wsBase, id),
      knownBusiness,
      shouldRetry: () => Date.now() - S.lastActivity < AUTO_RECONNECT_IF_ACTIVE_MS,
    });
    S.conn = conn;
    const live = (fn) => (d) => {
      if (S.conn === conn) fn(d);
    };
    const halt = () => {
      S.connected = false;
      closeBubble(false);
      el.typing.hidden = true;
      stopDictation();
    };
    conn.on(
      'connecting',
      live(({ attempt }) => {
        clearInterval(S.countdownTimer);
        S.connected = false;
        setStatus('connecting', attempt > 0 ? 'Reconnecting…' : 'Connecting…');
      }),
    );
    conn.on(
      'open',
      live(() => {
        clearTimeout(S.readyTimer);
        S.readyTimer = window.setTimeout(() => {
          if (S.conn === conn && !S.connected) {
            addNote('error', 'The server accepted the connection but has not started a session yet.');
          }
        }, SESSION_READY_TIMEOUT_MS);
      }),
    );
    conn.on('message', live(({ msg }) => onMessage(msg)));
    conn.on('invalid', live(({ data }) => console.warn('ahca: ignoring frame that is not a protocol message', data)));
    conn.on(
      'retry',
      live(({ delayMs }) => {
        clearTimeout(S.readyTimer);
        halt();
        const until = Date.now() + delayMs;
        const tick = () => {
          const s = Math.max(1, Math.ceil((until - Date.now()) / 1000));
          setStatus('reconnecting', `Reconnecting in ${s} s`);
        };
        tick();
        clearInterval(S.countdownTimer);
        S.countdownTimer = window.setInterval(tick, 1000);
      }),
    );
    conn.on(
      'failed',
      live(({ kind, code, reason }) => {
        clearTimers();
        halt();
        const name = info ? info.businessName : id;
        if (kind === 'refused') {
          setStatus('error', 'Unknown business', { canReconnect: false });
          o.onRefused?.();
          showBanner(`No business called “${id}”`, ['The chat server refused this business.', o.refusedHint].filter(Boolean).join(' '));
        } else if (kind === 'policy') {
          setStatus('error', 'Disconnected');
          showBanner(`The chat server closed the conversation with ${name}`, reason ? `${reason} (code ${code})` : `Close code ${code}.`, {
            label: 'Try again',
            run: () => start(),
          });
        } else {
          setStatus('error', 'Cannot connect');
          showBanner(
            `Can’t reach the chat server for ${name}`,
            'The server refused the connection or is unreachable. Check your connection and try again.',
            { label: 'Try again', run: () => reconnect() },
          );
        }
      }),
    );
    conn.on(
      'closed',
      live(({ ended, declined }) => {
        clearTimers();
        halt();
        if (ended || S.ended) setStatus('ended', 'Ended');
        else setStatus('closed', declined ? 'Disconnected (inactive)' : 'Disconnected');
      }),
    );
    conn.start();
  }

  /** The Reconnect button: a fresh socket, keeping the log (a new session follows). */
  function reconnect() {
    if (S.ended || !S.conn) {
      start();
      return;
    }
    if (el.status.dataset.state === 'reconnecting') {
      S.conn.retryNow();
      return;
    }
    hideBanner();
    S.conn.start();
  }

  /**
   * Start over: the restart frame ends this conversation (its summary still
   * reaches the business) and the server opens a new one on the same socket,
   * announced by session_ready and a fresh greeting. Without an open socket,
   * a new connection is a new conversation too.
   */
  function startOver() {
    if (!S.connected || !S.conn?.send({ type: 'restart' })) {
      start();
    } else {
      clearTimers();
      clearChat();
      resetPanel();
      S.session = null; // the next session_ready is this restart's, not a reconnect
      S.connected = false;
      S.restarting = true;
      setStatus('connecting', 'Starting over…');
      el.typing.hidden = false;
    }
    addNote('system', 'Started over. This is a new conversation.');
  }

  function stop() {
    clearTimers();
    S.conn?.stop();
    S.conn = null;
    stopDictation();
    speaker.cancel();
  }

  // ---- sending --------------------------------------------------------------------

  function sendText(raw) {
    const text = raw.trim();
    if (!text || !S.conn || !S.connected || S.ended) return false;
    if (S.bubble) {
      // Barge-in: tell the server what was shown so far, then send the prompt.
      const b = S.bubble;
      S.conn.send({
        type: 'interrupt',
        utteranceUntilInterrupt: b.text.slice(0, MAX_INTERRUPT_CHARS),
        durationUntilInterruptMs: Math.round(performance.now() - b.startedAt),
      });
      closeBubble(true);
    }
    speaker.cancel();
    if (!S.conn.send({ type: 'prompt', voicePrompt: text, lang: LANG, last: true })) {
      addNote('error', 'Not connected: your message was not sent.');
      return false;
    }
    S.lastActivity = Date.now();
    addMessage('user', text);
    el.typing.hidden = false;
    scrollToBottom(true);
    return true;
  }

  el.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (sendText(el.input.value)) {
      el.input.value = '';
      updateComposer();
      // The Send button is now disabled, which would drop focus to the body.
      el.input.focus();
    }
  });
  el.input.addEventListener('input', updateComposer);
  el.reconnect.addEventListener('click', reconnect);
  el.restart.addEventListener('click', () => start());
  el.startOver.addEventListener('click', () => {
    startOver();
    S.focusOnReady = true; // the button hides while connecting: focus goes to the message box
  });

  /** Stops what listens for the visitor (the page's dictation). */
  function stopDictation() {
    o.onHalt?.();
  }

  renderPanel();
  updateComposer();
  return {
    el,
    start,
    stop,
    retryNow: () => S.conn?.retryNow(),
    sendText,
    addNote,
    updateComposer,
    /** What became known about the business after mounting (before start). */
    setInfo(i, known) {
      info = i;
      required = i ? i.requiredFields : FIELDS;
      knownBusiness = known;
      renderPanel();
      showIdentity(i ? i.businessName : o.businessId, i ? i.agentName : '');
    },
    /** Shows a problem that stops the chat before it starts. */
    fail(title, text, action) {
      setStatus('error', title, { canReconnect: false });
      showBanner(title, text, action);
    },
  };
}
