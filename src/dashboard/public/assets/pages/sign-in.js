/** Sign-in: the key is typed once and kept for this tab's session only. */
import { html, useState, useRef, useEffect } from '../lib/html.js';
import { api, signIn } from '../lib/api.js';
import { navigate, href } from '../lib/router.js';

export function SignIn({ next, notice }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const input = useRef(null);
  useEffect(() => input.current?.focus(), []);

  async function submit(event) {
    event.preventDefault();
    const typed = key.trim();
    if (!typed) {
      setError('Type the key first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api('/api/sites?limit=1', { key: typed });
    } catch (failure) {
      // 403: the key is genuine but may not list sites (a site's own key); its pages say what it may do.
      if (failure.status !== 403) {
        setBusy(false);
        setError(failure.status === 401 ? 'The server does not accept this key. Check it and try again.' : failure.message);
        return;
      }
    }
    signIn(typed);
    navigate(next && next.startsWith('/dashboard/') && !next.startsWith('/dashboard/sign-in') ? next : href.sites(), { replace: true });
  }

  return html`<section class="sign-in">
    <h1>Sign in to Anole</h1>
    ${notice ? html`<p class="notice" role="alert">${notice}</p>` : ''}
    <form onSubmit=${submit} novalidate>
      <label for="api-key">API key</label>
      <input id="api-key" ref=${input} type="password" autocomplete="current-password" spellcheck="false" value=${key}
        onInput=${(e) => setKey(e.currentTarget.value)} aria-describedby="key-help${error ? ' key-error' : ''}" aria-invalid=${error ? 'true' : undefined} />
      <p id="key-help" class="help">The admin key (printed at the first start and kept in <code>data/admin-key</code>), or a read-only key.
        It is kept for this browser tab only and sent to this server's API as a bearer token.</p>
      ${error ? html`<p id="key-error" class="field-error" role="alert">${error}</p>` : ''}
      <button type="submit" disabled=${busy}>${busy ? 'Checking…' : 'Sign in'}</button>
    </form>
  </section>`;
}
