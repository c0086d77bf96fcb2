// Configuration of the page and the widget: where the WebSocket and the
// business info live, the reconnect backoff, and the parsing and formatting
// of what the server sends. No DOM access, so Node can unit-test them.

/** Language sent with every prompt (and used for speech recognition). */
export const LANG = 'en-US';

/**
 * Converts s (absolute or relative to base) to a ws: or wss: URL; http(s)
 * becomes ws(s). Returns null for anything else.
 * @param {string} s
 * @param {string} base
 * @returns {string|null}
 */
export function toWsUrl(s, base) {
  let u;
  try {
    u = new URL(s, base);
  } catch {
    return null;
  }
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') return null;
  u.hash = '';
  return u.href;
}

/**
 * The WebSocket endpoint, first match wins:
 *   1. the page's `?ws=` query parameter,
 *   2. `<meta name="ahca-ws-url" content="...">` (set when deploying to AWS:
 *      the API Gateway wss:// URL including its stage),
 *   3. ws(s)://<page host>/ws.
 * An override that is not a ws/wss/http/https URL is skipped (and reported).
 * @param {{href: string, search: string, protocol: string, host: string}} loc  window.location
 * @param {string|null|undefined} metaContent  the meta tag's content
 * @returns {{url: string, warnings: string[]}}
 */
export function resolveWsBase(loc, metaContent) {
  const warnings = [];
  const override = new URLSearchParams(loc.search).get('ws');
  for (const [from, value] of [['?ws=', override], ['meta ahca-ws-url', metaContent]]) {
    if (!value || !value.trim()) continue;
    const url = toWsUrl(value.trim(), loc.href);
    if (url) return { url, warnings };
    warnings.push(`ignoring ${from} value ${JSON.stringify(value)}: not a ws:// or wss:// URL`);
  }
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return { url: `${scheme}://${loc.host}/ws`, warnings };
}

/**
 * The connection URL for one business: the base with `businessId` set (other
 * query parameters of the base are kept).
 * @param {string} base
 * @param {string} businessId
 */
export function wsUrlFor(base, businessId) {
  const u = new URL(base);
  u.searchParams.set('businessId', businessId);
  return u.href;
}

/**
 * Delay before reconnect attempt n (1-based): exponential from baseMs, capped
 * at maxMs, with ±jitter.
 * @param {number} attempt
 * @param {{baseMs?: number, maxMs?: number, jitter?: number, random?: () => number}} [o]
 */
export function backoffDelay(attempt, o = {}) {
  const { baseMs = 1000, maxMs = 30000, jitter = 0.2, random = Math.random } = o;
  const n = Math.max(1, attempt);
  const raw = Math.min(maxMs, baseMs * 2 ** (n - 1));
  return Math.round(raw * (1 + jitter * (2 * random() - 1)));
}

/**
 * Validates the JSON of GET /api/businesses: keeps well-formed entries.
 * @param {unknown} data
 * @returns {{businessId: string, businessName: string, agentName: string}[]}
 */
export function parseBusinesses(data) {
  if (!Array.isArray(data)) throw new Error('business list is not a JSON array');
  const out = [];
  const seen = new Set();
  for (const b of data) {
    if (!b || typeof b.businessId !== 'string' || !b.businessId || seen.has(b.businessId)) continue;
    seen.add(b.businessId);
    out.push({
      businessId: b.businessId,
      businessName: typeof b.businessName === 'string' && b.businessName ? b.businessName : b.businessId,
      agentName: typeof b.agentName === 'string' ? b.agentName : '',
    });
  }
  return out;
}

/**
 * A phone number for display: North American E.164 (+1 and ten digits) as
 * "(503) 555-0142"; anything else unchanged.
 * @param {string} s
 */
export function formatPhone(s) {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(s);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : s;
}

/** The caller details an intake can collect, in display order. */
export const FIELDS = ['name', 'phone', 'email', 'reason'];

/** The public info URL of one business (GET, JSON; served with CORS for the widget). */
export function businessInfoUrl(base, businessId) {
  return new URL(`api/businesses/${encodeURIComponent(businessId)}`, base).href;
}

/**
 * Validates the JSON of GET /api/businesses/<id>: what a page or the widget
 * may know about one business before a conversation. Unknown or malformed
 * fields fall back to safe defaults.
 * @param {unknown} data
 * @returns {{businessId: string, businessName: string, agentName: string, timeZone: string,
 *   requiredFields: string[], allowedOrigins: string[], wsUrl: string,
 *   widget: {position: string, launcherText: string, accentColor: string, accentTextColor: string, openOnLoad: boolean}}}
 */
export function parseBusinessInfo(data) {
  const [b] = parseBusinesses([data]);
  if (!b) throw new Error('business info has no businessId');
  const d = /** @type {any} */ (data);
  const strs = (v) => (Array.isArray(v) ? v.filter((s) => typeof s === 'string' && s) : []);
  const str = (v) => (typeof v === 'string' ? v : '');
  const w = d.widget && typeof d.widget === 'object' ? d.widget : {};
  const hex = (v) => (/^#(?:[0-9a-f]{3}){1,2}$/i.test(str(v)) ? v : '');
  const required = strs(d.requiredFields).filter((f) => FIELDS.includes(f));
  return {
    ...b,
    timeZone: validTimeZone(str(d.timeZone)) ? d.timeZone : '',
    // No list: the four fields, the count the page always showed.
    requiredFields: Array.isArray(d.requiredFields) ? required : FIELDS.slice(),
    allowedOrigins: strs(d.allowedOrigins).map((o) => o.toLowerCase()),
    wsUrl: str(d.wsUrl),
    widget: {
      position: w.position === 'bottom-left' ? 'bottom-left' : 'bottom-right',
      launcherText: str(w.launcherText).trim() || `Chat with ${b.agentName || b.businessName}`,
      accentColor: hex(w.accentColor),
      accentTextColor: hex(w.accentTextColor),
      openOnLoad: w.openOnLoad === true,
    },
  };
}

/**
 * Whether a page origin may show the business's chat: an empty list allows
 * any origin; the string "null" (file:, sandboxed frames) never matches.
 * @param {string[]} allowed  lower-case origins (parseBusinessInfo)
 * @param {string} origin     location.origin
 */
export function originAllowed(allowed, origin) {
  return allowed.length === 0 || allowed.includes(String(origin).toLowerCase());
}

function validTimeZone(tz) {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * How many of the required fields are collected.
 * @param {Record<string, string>} info
 * @param {string[]} required
 */
export function countCollected(info, required) {
  return { n: required.filter((f) => !!info[f]).length, of: required.length };
}

/**
 * A booking's time in the business's zone, with the zone named:
 * "Tue, Dec 8, 10:00 AM MST". Without a zone it is the wall time of start's
 * own offset, labelled with that offset ("UTC−07:00"), never the browser's
 * zone. Falls back to the server's read-back text (when).
 * @param {{start?: string, when?: string, timeZone?: string}} a
 * @param {string} [timeZone]  the business's IANA zone
 */
export function formatBookingTime(a, timeZone) {
  const start = typeof a.start === 'string' ? a.start : '';
  const d = new Date(start);
  const when = typeof a.when === 'string' ? a.when.trim() : '';
  if (!start || Number.isNaN(d.getTime())) return when;
  const opts = { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };
  const zone = [a.timeZone, timeZone].find((z) => typeof z === 'string' && validTimeZone(z));
  if (zone) return new Intl.DateTimeFormat('en-US', { ...opts, timeZone: zone, timeZoneName: 'short' }).format(d);
  const m = /(?:([+-])(\d\d):?(\d\d)|Z)$/i.exec(start);
  if (!m) return when || d.toISOString();
  const mins = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  const wall = new Date(d.getTime() + mins * 60000);
  const label = mins === 0 ? 'UTC' : `UTC${m[1] === '-' ? '−' : '+'}${m[2]}:${m[3]}`;
  return `${new Intl.DateTimeFormat('en-US', { ...opts, timeZone: 'UTC' }).format(wall)} ${label}`;
}

/**
 * GETs JSON, giving up after timeoutMs; a non-2xx answer throws an Error
 * carrying its status.
 * @param {string} url
 * @param {{timeoutMs?: number, cache?: RequestCache}} [o]
 */
export async function getJSON(url, o = {}) {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), o.timeoutMs ?? 8000);
  try {
    const res = await fetch(url, { headers: { Accept: 'application/json' }, signal: ctl.signal, cache: o.cache || 'default' });
    if (!res.ok) throw Object.assign(new Error(`GET ${url}: HTTP ${res.status}`), { status: res.status });
    return await res.json();
  } finally {
    clearTimeout(t);
  }
}
