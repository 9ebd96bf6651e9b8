/** Loading, empty and error states that say what is happening and what to do. */
import { html } from '../lib/html.js';
import { href } from '../lib/router.js';

export function Loading({ what = 'Loading' }) {
  return html`<p class="state loading" role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>${what}…</p>`;
}

export function Empty({ title, children }) {
  return html`<section class="state empty" aria-label=${title}><h2>${title}</h2>${children}</section>`;
}

/** An API failure: a missing right, an unknown site, a bad query, or the server out of reach. */
export function ErrorState({ error, retry }) {
  if (error.status === 403) {
    return html`<section class="state error" role="alert">
      <h2>This key may not do that</h2>
      <p>The server refused: <q>${error.message}</q>.</p>
      <p>Sign in with a key that has the right (an admin key, or a key of this site), or ask whoever runs Anole for one.</p>
      <p><a href=${href.signIn(window.location.pathname + window.location.search)}>Sign in with another key</a></p>
    </section>`;
  }
  const title =
    error.status === 0 ? 'The server cannot be reached'
    : error.status === 404 ? 'Not found'
    : error.status === 429 ? 'Too many requests'
    : error.status >= 500 ? 'The server failed'
    : 'The request was refused';
  return html`<section class="state error" role="alert">
    <h2>${title}</h2>
    <p>${error.message}${error.code && error.status ? html` <span class="code">(${error.code})</span>` : ''}</p>
    ${error.status === 404 ? html`<p><a href=${href.sites()}>Back to the sites</a></p>` : ''}
    ${retry ? html`<p><button type="button" onClick=${retry}>Try again</button></p>` : ''}
  </section>`;
}
