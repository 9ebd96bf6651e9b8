/** The dashboard: one page, one view per URL, every figure from /api. */
import { html, render, useEffect, useState } from './lib/html.js';
import { currentKey, onKeyChange } from './lib/api.js';
import { useRoute, href } from './lib/router.js';
import { Layout } from './components/layout.js';
import { SignIn } from './pages/sign-in.js';
import { prefetch } from './lib/use-api.js';
import { resultsPath } from './lib/results-query.js';

const TITLES = {
  sites: 'Sites', experiments: 'Experiments', results: 'Results', visitor: 'Visitor inspector',
  live: 'Live events', import: 'Import', settings: 'Settings', 'not-found': 'Not found', 'sign-in': 'Sign in',
};

/** Page modules load on first use: a first visit downloads only what its page needs. */
const PAGES = {
  sites: () => import('./pages/sites.js').then((m) => m.SitesPage),
  experiments: () => import('./pages/experiments.js').then((m) => m.ExperimentsPage),
  // The main page: its own imports are asked for with it, not after it has been parsed.
  results: () =>
    Promise.all([import('./pages/results.js'), import('./components/chart.js'), import('./components/interval-bar.js'), import('./lib/csv.js')]).then(([m]) => m.ResultsPage),
  visitor: () => import('./pages/visitor.js').then((m) => m.VisitorPage),
  live: () => import('./pages/live.js').then((m) => m.LivePage),
  import: () => import('./pages/import.js').then((m) => m.ImportPage),
  settings: () => import('./pages/settings.js').then((m) => m.SettingsPage),
};

/** A page's first API request, sent while its module loads (the results page: the main one). */
const FIRST_REQUEST = {
  results: resultsPath,
};

function NotFound() {
  return html`<section class="state"><h1>No such page</h1><p>This address names no dashboard page.</p><p><a href=${href.sites()}>Go to the sites</a></p></section>`;
}

function Page({ route }) {
  const [loaded, setLoaded] = useState(null);
  useEffect(() => {
    const load = PAGES[route.name];
    if (!load) return;
    if (FIRST_REQUEST[route.name]) prefetch(FIRST_REQUEST[route.name](route));
    let live = true;
    load().then((component) => live && setLoaded({ name: route.name, component }));
    return () => {
      live = false;
    };
  }, [route.name]);
  if (!PAGES[route.name]) return html`<${NotFound} />`;
  if (!loaded || loaded.name !== route.name) return html`<p class="state loading" role="status">Loading…</p>`;
  const Component = loaded.component;
  return html`<${Component} route=${route} />`;
}

function App() {
  const route = useRoute();
  const [signedIn, setSignedIn] = useState(() => currentKey() !== null);
  const [notice, setNotice] = useState(null);
  useEffect(
    () =>
      onKeyChange((reason) => {
        setSignedIn(currentKey() !== null);
        setNotice(reason ? `Signed out: ${reason}` : null);
      }),
    [],
  );
  useEffect(() => {
    const site = route.site ? ` · ${route.site}` : '';
    document.title = `${TITLES[route.name] ?? 'Anole'}${site} · Anole`;
  }, [route.name, route.site]);
  // Moving between pages puts the keyboard focus at the start of the new content.
  useEffect(() => {
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [route.name, route.site, route.experimentId]);

  if (!signedIn || route.name === 'sign-in') {
    const next = route.name === 'sign-in' ? route.query.next : route.href;
    return html`<main id="main" tabindex="-1"><${SignIn} next=${next} notice=${notice} /></main>`;
  }
  return html`<${Layout} route=${route}><${Page} route=${route} /><//>`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
