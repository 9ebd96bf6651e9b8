/** The sites this server knows, each with a link to its experiments. */
import { html } from '../lib/html.js';
import { useApi } from '../lib/use-api.js';
import { href } from '../lib/router.js';
import { fmt, formatDuration } from '../lib/format.js';
import { Loading, ErrorState, Empty } from '../components/states.js';

export function SitesPage() {
  const { data, error, loading, reload } = useApi('/api/sites');
  return html`<h1>Sites</h1>
    ${loading && !data ? html`<${Loading} what="Loading the sites" />` : ''}
    ${error ? html`<${ErrorState} error=${error} retry=${reload} />` : ''}
    ${data && data.sites.length === 0
      ? html`<${Empty} title="No site yet">
          <p>A site is created when its first event arrives (or with <code>PATCH /api/sites/{site}</code>). Send one, for example:</p>
          <pre><code>curl -X POST '${window.location.origin}/visit/events?siteCode=my-site&visitorCode=v1' -d 'eventType=activity&nonce=0123456789abcdef'</code></pre>
        <//>`
      : ''}
    ${data && data.sites.length > 0
      ? html`<table class="data">
          <caption>${fmt.int(data.sites.length)} site${data.sites.length === 1 ? '' : 's'}${data.truncated ? ' (the first ones in code order)' : ''}</caption>
          <thead><tr><th scope="col">Site</th><th scope="col">Visit timeout</th><th scope="col">Attribution window</th><th scope="col">Ingestion</th><th scope="col">Visitor reads</th><th scope="col"><span class="visually-hidden">Pages</span></th></tr></thead>
          <tbody>
            ${data.sites.map(
              (s) => html`<tr>
                <th scope="row"><a href=${href.experiments(s.siteCode)}>${s.siteCode}</a></th>
                <td>${formatDuration(s.settings.visitTimeoutMs)}</td>
                <td>${formatDuration(s.settings.attributionWindowMs)}</td>
                <td>${s.settings.privateIngest ? 'private (key needed)' : 'open'}</td>
                <td>${s.settings.privateReads ? 'private (key needed)' : 'open'}</td>
                <td class="actions"><a href=${href.visitor(s.siteCode)}>Inspect a visitor</a> · <a href=${href.live(s.siteCode)}>Live</a></td>
              </tr>`,
            )}
          </tbody>
        </table>`
      : ''}`;
}
