/**
 * Every view has its own URL under /dashboard/, so any page can be shared or bookmarked:
 * the path names the view, the query its options (level, goal, confidence…).
 */
import { useEffect, useState } from './html.js';
import { withSearch } from './url.js';

const BASE = '/dashboard';
const ROUTES = [
  ['sites', /^\/?$/],
  ['sign-in', /^\/sign-in$/],
  ['experiments', /^\/sites\/([^/]+)\/?$/],
  ['results', /^\/sites\/([^/]+)\/experiments\/([0-9]{1,10})$/],
  ['visitor', /^\/sites\/([^/]+)\/visitors$/],
  ['live', /^\/sites\/([^/]+)\/live$/],
  ['import', /^\/sites\/([^/]+)\/import$/],
  ['settings', /^\/sites\/([^/]+)\/settings$/],
];

export function parseLocation(loc = window.location) {
  const path = loc.pathname.startsWith(BASE) ? loc.pathname.slice(BASE.length) : loc.pathname;
  const query = Object.fromEntries(new URLSearchParams(loc.search));
  for (const [name, pattern] of ROUTES) {
    const m = pattern.exec(path);
    if (!m) continue;
    let params;
    try {
      params = m.slice(1).map(decodeURIComponent);
    } catch {
      break;
    }
    return { name, site: params[0], experimentId: params[1], query, href: loc.pathname + loc.search };
  }
  return { name: 'not-found', query, href: loc.pathname + loc.search };
}

const listeners = new Set();
function notify() {
  for (const listener of listeners) listener(parseLocation());
}
window.addEventListener('popstate', notify);

/** Goes to a dashboard URL; `replace` for option changes that should not fill the history. */
export function navigate(href, { replace = false } = {}) {
  if (href === window.location.pathname + window.location.search) return;
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  notify();
  if (!replace) window.scrollTo(0, 0);
}

/** The current route; re-renders on navigation. */
export function useRoute() {
  const [route, setRoute] = useState(parseLocation);
  useEffect(() => {
    listeners.add(setRoute);
    return () => listeners.delete(setRoute);
  }, []);
  return route;
}

/** Plain links stay links (open in a new tab, copy); a plain click navigates in place. */
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target instanceof Element ? event.target.closest('a[href]') : null;
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin || !url.pathname.startsWith(BASE + '/')) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

export const href = {
  sites: () => `${BASE}/`,
  signIn: (next) => `${BASE}/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}`,
  experiments: (site, query = {}) => withSearch(`${BASE}/sites/${encodeURIComponent(site)}`, query),
  results: (site, id, query = {}) => withSearch(`${BASE}/sites/${encodeURIComponent(site)}/experiments/${id}`, query),
  visitor: (site, query = {}) => withSearch(`${BASE}/sites/${encodeURIComponent(site)}/visitors`, query),
  live: (site, query = {}) => withSearch(`${BASE}/sites/${encodeURIComponent(site)}/live`, query),
  import: (site) => `${BASE}/sites/${encodeURIComponent(site)}/import`,
  settings: (site) => `${BASE}/sites/${encodeURIComponent(site)}/settings`,
};
