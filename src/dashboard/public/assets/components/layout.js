/** The frame of every page: the product name, the site's sections, the key's sign-out. */
import { html } from '../lib/html.js';
import { href } from '../lib/router.js';
import { signOut } from '../lib/api.js';

const SECTIONS = [
  ['experiments', 'Experiments', (site) => href.experiments(site)],
  ['visitor', 'Visitor inspector', (site) => href.visitor(site)],
  ['live', 'Live events', (site) => href.live(site)],
  ['import', 'Import', (site) => href.import(site)],
  ['settings', 'Settings', (site) => href.settings(site)],
];

export function Layout({ route, children }) {
  const site = route.site;
  const current = route.name === 'results' ? 'experiments' : route.name;
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <a class="brand" href=${href.sites()}><img src="/dashboard/assets/favicon.svg" alt="" width="24" height="24" /> Anole</a>
      ${site
        ? html`<nav aria-label="Site ${site}">
            <a class="site-name" href=${href.experiments(site)} aria-label="Site ${site}">${site}</a>
            <ul>
              ${SECTIONS.map(
                ([name, label, to]) => html`<li><a href=${to(site)} aria-current=${current === name ? 'page' : undefined}>${label}</a></li>`,
              )}
            </ul>
          </nav>`
        : html`<nav aria-label="Main"><ul><li><a href=${href.sites()} aria-current=${route.name === 'sites' ? 'page' : undefined}>Sites</a></li></ul></nav>`}
      <button type="button" class="link sign-out" onClick=${() => signOut()}>Sign out</button>
    </header>
    <main id="main" tabindex="-1">${children}</main>
  `;
}
