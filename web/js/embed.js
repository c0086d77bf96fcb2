// The embeddable widget (loaded by /widget.js): a launcher button and a chat
// panel in an open shadow root, so the host page's CSS cannot reach in and
// ours cannot leak out. The conversation is chat.js, as on the standalone
// page. Shown only on a page whose origin the business allows.

import { mountChat } from './chat.js';
import { businessInfoUrl, getJSON, originAllowed, parseBusinessInfo, toWsUrl } from './config.js';

const TAG = 'ahca-chat';
const mounted = new WeakMap(); // document → business ids with a widget, or one on its way
const ICON_CHAT = 'M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.3 3.6c-.5.4-1.2 0-1.2-.6V16A2.5 2.5 0 0 1 4 13.5z';
const ICON_CLOSE = 'M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z';

/** A button with an SVG icon (static path data) and attributes. */
function iconButton(doc, className, testid, path, attrs) {
  const b = doc.createElement('button');
  b.type = 'button';
  b.className = className;
  b.dataset.testid = testid;
  for (const [k, v] of Object.entries(attrs)) b.setAttribute(k, v);
  b.insertAdjacentHTML('afterbegin', `<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="${path}"/></svg>`);
  return b;
}

/**
 * @param {{businessId: string, base: string, ws?: string, win?: Window}} o
 *   base: the widget's own URL folder (where widget.js is); ws: a WebSocket
 *   endpoint overriding the business info's.
 * @returns {Promise<{host: HTMLElement, open: () => void, close: () => void}|null>}
 */
export async function mountWidget(o) {
  const win = o.win || window;
  const doc = win.document;
  // Pasted twice: one widget per document. The two tags share this module
  // and mount concurrently, so the claim is taken before the first await
  // and given back when this mount shows nothing.
  let ids = mounted.get(doc);
  if (!ids) mounted.set(doc, (ids = new Set()));
  if (ids.has(o.businessId)) return null;
  ids.add(o.businessId);
  let widget = null;
  try {
    widget = await mount(o, win, doc);
  } finally {
    if (!widget) ids.delete(o.businessId);
  }
  return widget;
}

async function mount(o, win, doc) {
  const who = `AHCA chat widget for "${o.businessId}"`;
  const url = businessInfoUrl(o.base, o.businessId);
  let info;
  try {
    info = parseBusinessInfo(await getJSON(url));
  } catch (err) {
    console.error(
      err.status === 404
        ? `${who}: not shown: ${new URL(o.base).origin} has no business "${o.businessId}". Check data-business in the snippet.`
        : `${who}: not shown: could not load its settings from ${url} (${err.message}).`,
    );
    return null;
  }
  const origin = win.location.origin;
  if (!originAllowed(info.allowedOrigins, origin)) {
    console.error(
      `${who}: not shown: this page's origin ${origin} is not allowed to open a chat with ${info.businessName}. ` +
        `Add it to web.allowedOrigins in the business's config (allowed now: ${info.allowedOrigins.join(', ')}).`,
    );
    return null;
  }
  const wsBase = toWsUrl(o.ws || info.wsUrl || 'ws', o.base);
  if (!wsBase) {
    console.error(`${who}: not shown: ${o.ws || info.wsUrl} is not a ws:// or wss:// URL.`);
    return null;
  }

  const host = doc.createElement(TAG);
  host.dataset.business = info.businessId;
  const w = info.widget;
  if (w.accentColor) host.style.setProperty('--accent', w.accentColor);
  if (w.accentColor) host.style.setProperty('--accent-hover', w.accentColor);
  if (w.accentTextColor) host.style.setProperty('--on-accent', w.accentTextColor);
  const root = host.attachShadow({ mode: 'open' });
  // Stylesheets by <link> (not <style>), so a host CSP that allows our
  // origin's styles is enough.
  const loaded = ['css/chat.css', 'css/widget.css'].map((href) => {
    const link = doc.createElement('link');
    link.rel = 'stylesheet';
    link.href = new URL(href, o.base).href;
    root.append(link);
    return new Promise((resolve) => {
      link.onload = link.onerror = resolve;
    });
  });

  const box = doc.createElement('div');
  box.className = `w w--${w.position}`;
  box.hidden = true; // until styled
  const launcher = iconButton(doc, 'launcher', 'ahca-launcher', ICON_CHAT, { 'aria-expanded': 'false', 'aria-controls': 'ahca-panel' });
  const label = doc.createElement('span');
  label.textContent = w.launcherText;
  launcher.append(label);

  const panel = doc.createElement('div');
  panel.id = 'ahca-panel';
  panel.className = 'w__panel';
  panel.dataset.testid = 'ahca-panel';
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', `${w.launcherText} · ${info.businessName}`);
  panel.hidden = true;
  box.append(panel, launcher);
  root.append(box);

  const chat = mountChat(panel, {
    businessId: info.businessId,
    wsBase,
    info,
    // Focus moves into the panel only when the visitor opened it.
    autoFocus: () => userOpened && !win.matchMedia('(pointer: coarse)').matches,
  });
  const close = iconButton(doc, 'btn btn--icon w__close', 'ahca-close', ICON_CLOSE, { 'aria-label': 'Close chat' });
  panel.querySelector('.chat__head')?.append(close);

  let started = false;
  let userOpened = false;
  const isOpen = () => !panel.hidden;
  function open(byUser = true) {
    userOpened = userOpened || byUser;
    // Where the open panel covers the page (phones), it is modal.
    panel.setAttribute('aria-modal', String(win.matchMedia('(max-width: 480px)').matches));
    panel.hidden = false;
    box.classList.add('is-open');
    launcher.setAttribute('aria-expanded', 'true');
    if (!started) {
      started = true;
      chat.start(); // focuses the message box once the session is ready
    }
    if (byUser) (chat.el.input.disabled ? close : chat.el.input).focus();
  }
  function hide() {
    panel.hidden = true;
    box.classList.remove('is-open');
    launcher.setAttribute('aria-expanded', 'false');
    launcher.focus();
  }
  launcher.addEventListener('click', () => (isOpen() ? hide() : open()));
  close.addEventListener('click', hide);
  panel.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.stopPropagation();
      hide();
    }
  });

  (doc.body || doc.documentElement).append(host);
  await Promise.all(loaded);
  box.hidden = false;
  if (w.openOnLoad) open(false);
  return { host, open: () => open(), close: hide };
}
