// The standalone chat page: opens the one business its link names
// (?business=<id>) and runs the conversation (chat.js). The business picker
// exists only when the page names a business list (<meta name=
// "ahca-businesses-url">), which only `ahca dev` sets: a public page never
// lists the tenants.

import { businessInfoUrl, getJSON, LANG, parseBusinesses, parseBusinessInfo, resolveWsBase } from './config.js';
import { mountChat } from './chat.js';
import { createDictation, Speaker } from './speech.js';

const SPEAK_KEY = 'ahca.speakReplies';

const select = /** @type {HTMLSelectElement} */ (document.getElementById('business'));
const picker = /** @type {HTMLElement} */ (document.getElementById('picker'));
const app = /** @type {HTMLElement} */ (document.getElementById('app'));
const pageTitle = /** @type {HTMLElement} */ (document.getElementById('page-title'));

const metaContent = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content')?.trim() || '';

const wsBase = resolveWsBase(window.location, metaContent('ahca-ws-url'));
for (const w of wsBase.warnings) console.warn(`ahca: ${w}`);
const businessesUrl = metaContent('ahca-businesses-url'); // dev only
const pageBase = new URL('.', document.baseURI).href;

const speaker = new Speaker(window);
const dictation = createDictation(window);
const narrow = window.matchMedia('(max-width: 760px)');
const coarse = window.matchMedia('(pointer: coarse)');
try {
  speaker.enabled = localStorage.getItem(SPEAK_KEY) === '1';
} catch {
  /* storage unavailable */
}

/** @type {{businesses: {businessId: string, businessName: string, agentName: string}[], listLoaded: boolean, businessId: string, chat: ReturnType<typeof mountChat>|null}} */
const S = { businesses: [], listLoaded: false, businessId: '', chat: null };

/** The business's public info; null when it could not be loaded (not when unknown). */
async function loadInfo(id) {
  try {
    return { info: parseBusinessInfo(await getJSON(businessInfoUrl(pageBase, id), { cache: 'no-store' })), unknown: false };
  } catch (err) {
    if (err.status === 404 || err.status === 403) return { info: null, unknown: true }; // (a static host says 403 for a missing file)
    console.warn(`ahca: could not load business ${id}`, err);
    return { info: null, unknown: false };
  }
}

function mount(info, known) {
  S.chat?.stop();
  app.replaceChildren(pageTitle);
  const chat = mountChat(app, {
    businessId: S.businessId,
    wsBase: wsBase.url,
    info,
    knownBusiness: known,
    refusedHint: businessesUrl ? 'Choose a business from the list above.' : 'Check the link you followed.',
    onRefused: () => renderPicker(true),
    onIdentity: (businessName, agent) => {
      document.title = businessName ? `Chat with ${agent} · ${businessName}` : 'Chat · AHCA';
    },
    speaker,
    onHalt: () => stopDictation(chat),
    autoFocus: () => !coarse.matches,
  });
  S.chat = chat;
  wireSpeech(chat);
  syncPanelForViewport();
  chat.el.panelDetails.addEventListener('toggle', () => {
    if (!narrow.matches && !chat.el.panelDetails.open) chat.el.panelDetails.open = true; // always open beside the chat
  });
  return chat;
}

async function openBusiness(id) {
  S.businessId = id;
  // The old conversation stops now; the new one connects once its info is in.
  const chat = mount(null, true);
  const { info, unknown } = await loadInfo(id);
  if (S.chat !== chat) return; // switched again meanwhile
  const listed = S.businesses.some((b) => b.businessId === id);
  // Without info for it (404) the business is probably unknown: then a
  // refused handshake says so at once. The handshake decides, so a stack
  // that serves no business info still chats. Without info for another
  // reason (server down?) the connection retries a few times.
  chat.setInfo(info, !unknown && (info !== null || !S.listLoaded || listed));
  chat.start();
}

// ---- speech ---------------------------------------------------------------------

function stopDictation(chat) {
  if (dictation && dictation.active) dictation.abort();
  chat.el.mic.setAttribute('aria-pressed', 'false');
  chat.el.mic.classList.remove('is-listening');
}

/** Dictation and "Speak replies", where the browser has them. */
function wireSpeech(chat) {
  const { el, sendText, addNote, updateComposer } = chat;
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
    el.speak.checked = !!speaker.enabled;
    el.speak.addEventListener('change', () => {
      speaker.enabled = el.speak.checked;
      if (!speaker.enabled) speaker.cancel();
      try {
        localStorage.setItem(SPEAK_KEY, speaker.enabled ? '1' : '0');
      } catch {
        /* storage unavailable */
      }
    });
  }
}

// ---- dev-only business picker ---------------------------------------------------

function setUrlBusiness(id) {
  const u = new URL(window.location.href);
  if (u.searchParams.get('business') === id) return;
  u.searchParams.set('business', id);
  history.replaceState(null, '', u);
}

/** @param {boolean} [refused]  the server refused S.businessId */
function renderPicker(refused) {
  if (!businessesUrl) return;
  const opts = [];
  const inList = S.businesses.some((b) => b.businessId === S.businessId);
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
  select.replaceChildren(...opts);
  select.value = S.businessId;
  select.disabled = opts.length < 2 && inList;
}

select.addEventListener('change', () => {
  const id = select.value;
  if (!id || id === S.businessId) return;
  setUrlBusiness(id);
  S.businessId = id;
  renderPicker();
  openBusiness(id);
});

// ---- page -------------------------------------------------------------------------

function syncPanelForViewport() {
  // Side panel on wide screens; a collapsed summary bar on phones.
  if (S.chat) S.chat.el.panelDetails.open = !narrow.matches;
}
narrow.addEventListener('change', syncPanelForViewport);
window.addEventListener('online', () => S.chat?.retryNow());

async function init() {
  const requested = (new URL(window.location.href).searchParams.get('business') || '').trim();
  if (businessesUrl) {
    picker.hidden = false;
    try {
      S.businesses = parseBusinesses(await getJSON(businessesUrl, { cache: 'no-store' }));
      S.listLoaded = true;
    } catch (err) {
      console.warn('ahca: could not load the business list', err);
    }
  }
  S.businessId = requested || S.businesses[0]?.businessId || '';
  if (S.businessId && !requested) setUrlBusiness(S.businessId);
  renderPicker();
  if (!S.businessId) {
    const chat = mount(null, true);
    if (businessesUrl) {
      chat.fail(
        S.listLoaded ? 'No businesses are configured' : 'Can’t load the list of businesses',
        S.listLoaded ? 'The server has no business set up for web chat.' : 'The server did not answer. Check your connection, or open a link with ?business=<id>.',
        { label: 'Try again', run: () => window.location.reload() },
      );
    } else {
      chat.fail('No business chosen', 'Open this page from a business’s chat link (it ends in ?business=<id>).', null);
    }
    return;
  }
  await openBusiness(S.businessId);
}

init();
