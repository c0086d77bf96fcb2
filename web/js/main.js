// The chat page: picks a business, runs one conversation over ChatConnection
// and renders it. Every piece of server or user text reaches the DOM through
// textContent / text nodes, never as HTML.

import { DEFAULT_BUSINESSES_URL, formatPhone, LANG, parseBusinesses, resolveWsBase, wsUrlFor } from './config.js';
import { ChatConnection } from './connection.js';
import { createDictation, Speaker } from './speech.js';

const FIELDS = ['name', 'phone', 'email', 'reason'];
const EMPTY = '—';
const SESSION_READY_TIMEOUT_MS = 15000;
const LIST_TIMEOUT_MS = 8000;
// Reconnect by itself only if the conversation was active recently: a socket
// that the gateway closed for idleness (API Gateway: 10 min) stays closed until
// the user asks, so an unattended tab does not open session after session.
const AUTO_RECONNECT_IF_ACTIVE_MS = 5 * 60 * 1000;
const MAX_INTERRUPT_CHARS = 4000; // the server's limit on utteranceUntilInterrupt

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const el = {
  select: /** @type {HTMLSelectElement} */ ($('business')),
  status: $('status'),
  statusText: $('status-text'),
  reconnect: /** @type {HTMLButtonElement} */ ($('reconnect')),
  avatar: $('avatar'),
  agentName: $('agent-name'),
  businessName: $('business-name'),
  banner: $('banner'),
  bannerTitle: $('banner-title'),
  bannerText: $('banner-text'),
  bannerAction: /** @type {HTMLButtonElement} */ ($('banner-action')),
  scroller: $('scroller'),
  log: $('log'),
  typing: $('typing'),
  endNote: $('end-note'),
  restart: /** @type {HTMLButtonElement} */ ($('restart')),
  form: /** @type {HTMLFormElement} */ ($('composer')),
  input: /** @type {HTMLInputElement} */ ($('input')),
  send: /** @type {HTMLButtonElement} */ ($('send')),
  mic: /** @type {HTMLButtonElement} */ ($('mic')),
  speakWrap: $('speak-wrap'),
  speak: /** @type {HTMLInputElement} */ ($('speak')),
  sessionId: $('session-id'),
  panelDetails: /** @type {HTMLDetailsElement} */ ($('panel-details')),
  panelCount: $('panel-count'),
};

const metaContent = (name) => {
  const m = document.querySelector(`meta[name="${name}"]`);
  return m ? m.getAttribute('content') : null;
};

const wsBase = resolveWsBase(window.location, metaContent('ahca-ws-url'));
for (const w of wsBase.warnings) console.warn(`ahca: ${w}`);
const businessesUrl = metaContent('ahca-businesses-url') || DEFAULT_BUSINESSES_URL;

const speaker = new Speaker(window);
const dictation = createDictation(window);
const narrow = window.matchMedia('(max-width: 760px)');
const coarse = window.matchMedia('(pointer: coarse)');

/** Page state. */
const S = {
  /** @type {{businessId: string, businessName: string, agentName: string}[]} */
  businesses: [],
  listLoaded: false,
  businessId: '',
  /** @type {ChatConnection|null} */
  conn: null,
  /** @type {{sessionId?: string, businessName?: string, agentName?: string}|null} */
  session: null,
  connected: false,
  ended: false,
  /** the agent bubble being streamed: {el, text, startedAt} */
  bubble: null,
  info: { name: '', phone: '', email: '', reason: '' },
  lastActivity: 0,
  readyTimer: 0,
  countdownTimer: 0,
};

// ---- status, banner, composer ---------------------------------------------

/**
 * @param {'connecting'|'connected'|'reconnecting'|'closed'|'ended'|'error'} state
 * @param {string} text
 * @param {{canReconnect?: boolean}} [o]  offer Reconnect (default: when not connected or ended)
 */
function setStatus(state, text, o = {}) {
  el.status.dataset.state = state;
  el.statusText.textContent = text;
  const can = o.canReconnect ?? (state === 'reconnecting' || state === 'closed' || state === 'error');
  el.reconnect.hidden = !can;
  el.reconnect.textContent = state === 'reconnecting' ? 'Reconnect now' : 'Reconnect';
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
  if (action) {
    el.bannerAction.textContent = action.label;
    el.bannerAction.onclick = action.run;
    el.bannerAction.hidden = false;
  } else {
    el.bannerAction.hidden = true;
    el.bannerAction.onclick = null;
  }
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

function businessById(id) {
  return S.businesses.find((b) => b.businessId === id) || null;
}

function showIdentity(businessName, agentName) {
  const agent = agentName || 'Assistant';
  el.agentName.textContent = agent;
  el.businessName.textContent = businessName || '';
  el.avatar.textContent = agent.trim().charAt(0).toUpperCase() || 'A';
  document.title = businessName ? `Chat with ${agent} · ${businessName}` : 'Chat · AHCA';
}

function renderPanel() {
  let n = 0;
  for (const f of FIELDS) {
    const dd = /** @type {HTMLElement} */ (document.querySelector(`[data-field="${f}"]`));
    const v = S.info[f];
    dd.textContent = !v ? EMPTY : f === 'phone' ? formatPhone(v) : v;
    dd.title = f === 'phone' && v ? v : '';
    dd.classList.toggle('is-empty', !v);
    if (v) n++;
  }
  el.panelCount.textContent = `${n} of ${FIELDS.length}`;
}

function resetPanel() {
  S.info = { name: '', phone: '', email: '', reason: '' };
  renderPanel();
}

/**
 * user_info_updated carries the whole collected record (the server omits empty
 * fields), so a field that is absent is empty.
 * @param {unknown} info
 */
function applyUserInfo(info) {
  if (!info || typeof info !== 'object') return;
  for (const f of FIELDS) {
    const v = /** @type {any} */ (info)[f];
    S.info[f] = typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '';
  }
  renderPanel();
}

// ---- chat log ---------------------------------------------------------------

// The log follows new text while the reader is at the bottom; once they scroll
// up to read, it stays put until they scroll back down (or send).
let stick = true;
el.scroller.addEventListener('scroll', () => {
  const s = el.scroller;
  stick = s.scrollHeight - s.scrollTop - s.clientHeight < 48;
}, { passive: true });

function scrollToBottom(force) {
  if (force) stick = true;
  if (stick) el.scroller.scrollTop = el.scroller.scrollHeight;
}

/**
 * Appends one row to the log.
 * @param {'agent'|'user'} who
 * @param {string} text
 */
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

/**
 * Appends a system or error note.
 * @param {'system'|'error'} kind
 * @param {string} text
 */
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
  if (interrupted) {
    b.el.dataset.interrupted = 'true';
    const tag = document.createElement('span');
    tag.className = 'msg__tag';
    tag.textContent = 'interrupted';
    b.el.parentElement?.append(tag);
  }
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
  switch (msg.type) {
    case 'session_ready': {
      clearTimeout(S.readyTimer);
      const prev = S.session;
      S.session = msg;
      S.connected = true;
      S.lastActivity = Date.now();
      if (prev && prev.sessionId !== msg.sessionId) {
        closeBubble(false);
        resetPanel();
        addNote('system', 'Reconnected. This is a new conversation.');
      }
      const known = businessById(S.businessId);
      showIdentity(msg.businessName || known?.businessName || S.businessId, msg.agentName || known?.agentName);
      el.sessionId.textContent = msg.sessionId ? `Session ${String(msg.sessionId).slice(0, 8)}` : '';
      el.sessionId.title = msg.sessionId ? String(msg.sessionId) : '';
      hideBanner();
      setStatus('connected', 'Connected');
      el.typing.hidden = false; // the greeting follows
      if (!coarse.matches) el.input.focus();
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
      addNote('system', describeAppointment(msg));
      break;
    case 'error':
      closeBubble(false);
      el.typing.hidden = true;
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
      if (!coarse.matches) el.restart.focus();
      break;
    default:
      // Frames for other clients (play, sendDigits, language, …): nothing to show.
      break;
  }
}

/** A short readable line for an appointment_created frame. */
function describeAppointment(msg) {
  const a = msg.appointment && typeof msg.appointment === 'object' ? msg.appointment : msg;
  const parts = [];
  const title = a.title || a.summary || a.service;
  if (typeof title === 'string' && title) parts.push(title);
  const when = a.start || a.startTime || a.when || a.date || a.time;
  if (typeof when === 'string' && when) {
    const d = new Date(when);
    parts.push(Number.isNaN(d.getTime()) ? when : d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }));
  }
  return parts.length ? `Appointment booked: ${parts.join(', ')}.` : 'Appointment booked.';
}

// ---- connection ---------------------------------------------------------------

function startConversation() {
  clearTimers();
  if (S.conn) S.conn.stop();
  S.conn = null;
  S.session = null;
  S.connected = false;
  S.ended = false;
  clearChat();
  resetPanel();
  hideBanner();
  el.sessionId.textContent = '';
  const id = S.businessId;
  const known = businessById(id);
  showIdentity(known ? known.businessName : id, known ? known.agentName : '');
  if (!id) {
    setStatus('closed', 'Not connected');
    return;
  }

  const conn = new ChatConnection({
    url: wsUrlFor(wsBase.url, id),
    // Without a list (it failed to load) we cannot tell an unknown business
    // from a server that is down: treat it as known and retry a few times.
    knownBusiness: S.listLoaded ? !!known : true,
    shouldRetry: () => Date.now() - S.lastActivity < AUTO_RECONNECT_IF_ACTIVE_MS,
  });
  S.conn = conn;
  const live = (fn) => (d) => {
    if (S.conn === conn) fn(d);
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
      S.connected = false;
      clearTimeout(S.readyTimer);
      closeBubble(false);
      el.typing.hidden = true;
      stopDictation();
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
      S.connected = false;
      closeBubble(false);
      el.typing.hidden = true;
      stopDictation();
      const name = known ? known.businessName : id;
      if (kind === 'refused') {
        setStatus('error', 'Unknown business', { canReconnect: false });
        renderPicker(true);
        showBanner(
          `No business called “${id}”`,
          S.businesses.length
            ? 'The chat server refused this business. Choose a business from the list above.'
            : 'The chat server refused this business.',
        );
      } else if (kind === 'policy') {
        setStatus('error', 'Disconnected');
        showBanner(`The chat server closed the conversation with ${name}`, reason ? `${reason} (code ${code})` : `Close code ${code}.`, {
          label: 'Try again',
          run: () => startConversation(),
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
      S.connected = false;
      closeBubble(false);
      el.typing.hidden = true;
      stopDictation();
      if (ended || S.ended) setStatus('ended', 'Ended');
      else setStatus('closed', declined ? 'Disconnected (inactive)' : 'Disconnected');
    }),
  );
  conn.start();
}

/** The Reconnect button: a fresh socket, keeping the log (a new session follows). */
function reconnect() {
  if (S.ended || !S.conn) {
    startConversation();
    return;
  }
  if (el.status.dataset.state === 'reconnecting') {
    S.conn.retryNow();
    return;
  }
  hideBanner();
  S.conn.start();
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
  }
});
el.input.addEventListener('input', updateComposer);

// ---- business picker ------------------------------------------------------------

function setUrlBusiness(id) {
  const u = new URL(window.location.href);
  if (u.searchParams.get('business') === id) return;
  u.searchParams.set('business', id);
  history.replaceState(null, '', u);
}

/** @param {boolean} [refused]  the server refused S.businessId */
function renderPicker(refused) {
  const opts = [];
  const inList = !!businessById(S.businessId);
  if (!inList) {
    const o = document.createElement('option');
    o.value = S.businessId;
    o.textContent = !S.businessId ? 'Choose a business…' : refused ? `${S.businessId} (not found)` : S.businessId;
    if (!S.businessId || S.listLoaded) o.disabled = true;
    opts.push(o);
  }
  for (const b of S.businesses) {
    const o = document.createElement('option');
    o.value = b.businessId;
    o.textContent = b.businessName;
    opts.push(o);
  }
  el.select.replaceChildren(...opts);
  el.select.value = S.businessId;
  el.select.disabled = opts.length < 2 && inList;
}

el.select.addEventListener('change', () => {
  const id = el.select.value;
  if (!id || id === S.businessId) return;
  S.businessId = id;
  setUrlBusiness(id);
  renderPicker();
  startConversation();
});

async function loadBusinesses() {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), LIST_TIMEOUT_MS);
  try {
    const res = await fetch(businessesUrl, { headers: { Accept: 'application/json' }, signal: ctl.signal, cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return parseBusinesses(await res.json());
  } finally {
    clearTimeout(t);
  }
}

// ---- speech ---------------------------------------------------------------------------

function stopDictation() {
  if (dictation && dictation.active) dictation.abort();
  el.mic.setAttribute('aria-pressed', 'false');
  el.mic.classList.remove('is-listening');
}

if (dictation) {
  el.mic.hidden = false;
  el.mic.addEventListener('click', () => {
    if (dictation.active) {
      dictation.stop();
      return;
    }
    el.mic.setAttribute('aria-pressed', 'true');
    el.mic.classList.add('is-listening');
    dictation.start(LANG, {
      onInterim: (t) => {
        el.input.value = t;
        updateComposer();
      },
      onFinal: (t) => {
        if (sendText(t)) el.input.value = '';
        updateComposer();
      },
      onError: (code) => {
        if (code === 'no-speech' || code === 'aborted') return;
        if (code === 'not-allowed' || code === 'service-not-allowed' || code === 'network') {
          el.mic.hidden = true; // this browser cannot dictate here; typing still works
        }
        addNote('error', code === 'not-allowed' ? 'Microphone access was denied.' : 'Voice input is not available in this browser.');
      },
      onEnd: () => {
        el.mic.setAttribute('aria-pressed', 'false');
        el.mic.classList.remove('is-listening');
      },
    });
  });
}

if (speaker.supported) {
  el.speakWrap.hidden = false;
  let saved = false;
  try {
    saved = localStorage.getItem('ahca.speakReplies') === '1';
  } catch {
    /* storage unavailable */
  }
  el.speak.checked = saved;
  speaker.enabled = saved;
  el.speak.addEventListener('change', () => {
    speaker.enabled = el.speak.checked;
    if (!speaker.enabled) speaker.cancel();
    try {
      localStorage.setItem('ahca.speakReplies', speaker.enabled ? '1' : '0');
    } catch {
      /* storage unavailable */
    }
  });
}

// ---- wiring ---------------------------------------------------------------------------

el.reconnect.addEventListener('click', reconnect);
el.restart.addEventListener('click', () => startConversation());
window.addEventListener('online', () => S.conn?.retryNow());

function syncPanelForViewport() {
  // Side panel on wide screens; a collapsed summary bar on phones.
  el.panelDetails.open = !narrow.matches;
}
narrow.addEventListener('change', syncPanelForViewport);
el.panelDetails.addEventListener('toggle', () => {
  if (!narrow.matches && !el.panelDetails.open) el.panelDetails.open = true; // always open beside the chat
});
syncPanelForViewport();

async function init() {
  renderPanel();
  updateComposer();
  const requested = (new URL(window.location.href).searchParams.get('business') || '').trim();
  try {
    S.businesses = await loadBusinesses();
    S.listLoaded = true;
  } catch (err) {
    console.warn('ahca: could not load the business list', err);
    S.businesses = [];
    S.listLoaded = false;
  }

  if (requested) {
    S.businessId = requested;
  } else if (S.businesses.length) {
    S.businessId = S.businesses[0].businessId;
    setUrlBusiness(S.businessId);
  } else {
    S.businessId = '';
  }
  renderPicker();

  if (!S.businessId) {
    setStatus('error', S.listLoaded ? 'No businesses' : 'Cannot load businesses');
    showBanner(
      S.listLoaded ? 'No businesses are configured' : 'Can’t load the list of businesses',
      S.listLoaded
        ? 'The server has no business set up for web chat.'
        : 'The server did not answer. Check your connection, or open a link with ?business=<id>.',
      { label: 'Try again', run: () => window.location.reload() },
    );
    return;
  }
  startConversation();
}

init();
