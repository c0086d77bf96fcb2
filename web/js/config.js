// Page configuration: where the WebSocket and the business list live, and the
// reconnect backoff. Pure functions (no DOM access) so Node can unit-test them.

/** Default path of the business list served by the local dev server. */
export const DEFAULT_BUSINESSES_URL = '/api/businesses';

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
