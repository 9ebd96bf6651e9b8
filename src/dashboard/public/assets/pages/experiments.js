/** A site's experiments at a glance: status, days running, exposed units, freshness and health. */
import { html } from '../lib/html.js';
import { useApi } from '../lib/use-api.js';
import { href } from '../lib/router.js';
import { enc } from '../lib/api.js';
import { fmt, formatDay, formatTime, ago } from '../lib/format.js';
import { Loading, ErrorState, Empty } from '../components/states.js';
import { NotAvailable } from '../components/figure.js';

function HealthBadge({ experiment }) {
  if (experiment.units === 0) return html`<span class="badge muted">no data</span>`;
  if (experiment.srm?.mismatch) return html`<span class="badge bad" title="Sample ratio mismatch: the observed split differs from the expected one (p < 0.001)">SRM</span>`;
  const issues = [];
  if (experiment.multipleVariationPersons > 0) issues.push(`${fmt.int(experiment.multipleVariationPersons)} persons in several variations`);
  if (experiment.excludedOutlierVisits > 0) issues.push(`${fmt.int(experiment.excludedOutlierVisits)} outlier visits left out`);
  if (issues.length > 0) return html`<span class="badge warn" title=${issues.join('; ')}>check</span><span class="visually-hidden"> ${issues.join('; ')}</span>`;
  return html`<span class="badge good" title="No sample ratio mismatch, no person in several variations, no outlier visit">healthy</span>`;
}

function srmText(srm) {
  if (!srm) return html`<${NotAvailable} reason="too_few_variations" />`;
  return srm.pValue.value === null ? html`<${NotAvailable} reason=${srm.pValue.reason} />` : `p = ${fmt.p(srm.pValue.value)}`;
}

/** Experiments per page: the API's most per answer (LIMITS.overviewExperiments). */
const PAGE_SIZE = 500;

/** Links to the neighbouring pages of a long list; `?page=` keeps the page in the URL. */
function Pager({ route, data }) {
  const page = Math.floor(data.offset / PAGE_SIZE) + 1;
  const pages = Math.max(1, Math.ceil(data.experimentCount / PAGE_SIZE));
  if (pages === 1) return '';
  const at = (n) => href.experiments(route.site, n === 1 ? {} : { page: String(n) });
  return html`<nav class="pager" aria-label="Pages of experiments">
    ${page > 1 ? html`<a href=${at(page - 1)} rel="prev">Previous ${fmt.int(PAGE_SIZE)}</a>` : ''}
    <span>Page ${fmt.int(page)} of ${fmt.int(pages)}</span>
    ${data.truncated ? html`<a href=${at(page + 1)} rel="next">Next ${fmt.int(Math.min(PAGE_SIZE, data.experimentCount - data.offset - data.experiments.length))}</a>` : ''}
  </nav>`;
}

export function ExperimentsPage({ route }) {
  const page = /^[1-9][0-9]{0,5}$/.test(route.query.page ?? '') ? Number(route.query.page) : 1;
  const offset = (page - 1) * PAGE_SIZE;
  const { data, error, loading, reload } = useApi(`/api/sites/${enc(route.site)}/overview${offset > 0 ? `?offset=${offset}` : ''}`);
  return html`<h1>Experiments <span class="sub">${route.site}</span></h1>
    ${loading && !data ? html`<${Loading} what="Loading the experiments" />` : ''}
    ${error ? html`<${ErrorState} error=${error} retry=${reload} />` : ''}
    ${data
      ? html`<p class="freshness">
          Latest event received: ${data.lastEventReceivedAt === null
            ? html`<span>none in the last 24 hours</span>`
            : html`<time datetime=${new Date(data.lastEventReceivedAt).toISOString()} title=${formatTime(data.lastEventReceivedAt)}>${ago(data.lastEventReceivedAt)}</time>`}
          ${data.pendingRecomputations > 0 ? html` · <span class="badge warn">${fmt.int(data.pendingRecomputations)} recomputations pending</span> figures are catching up` : ' · results are up to date'}
          · <button type="button" class="link" onClick=${reload}>Refresh</button>
        </p>`
      : ''}
    ${data && data.experiments.length === 0 && data.experimentCount > 0
      ? html`<${Empty} title="No experiment on this page">
          <p>The site has ${fmt.int(data.experimentCount)} experiments, fewer than this page skips. <a href=${href.experiments(route.site)}>Go to the first page</a>.</p>
        <//>`
      : ''}
    ${data && data.experimentCount === 0
      ? html`<${Empty} title="No experiment on this site yet">
          <p>Experiments appear here when the first <code>experiment</code> event (an exposure) arrives, or when one is registered with <code>PUT /api/sites/${route.site}/experiments/{id}</code>.</p>
          <p>Watch events arrive on the <a href=${href.live(route.site)}>live page</a>.</p>
        <//>`
      : ''}
    ${data && data.experiments.length > 0
      ? html`<table class="data experiments">
          <caption>${fmt.int(data.experimentCount)} experiment${data.experimentCount === 1 ? '' : 's'}${data.experiments.length < data.experimentCount
            ? `, ${fmt.int(data.offset + 1)} to ${fmt.int(data.offset + data.experiments.length)} shown (${fmt.int(PAGE_SIZE)} per page, in id order)`
            : ''}; units are persons (visitor level)</caption>
          <thead><tr>
            <th scope="col">Experiment</th><th scope="col">Status</th><th scope="col" class="num">Days running</th>
            <th scope="col" class="num">Exposed units</th><th scope="col">Split</th><th scope="col">Latest exposure</th><th scope="col">First unit</th>
            <th scope="col">SRM</th><th scope="col">Health</th>
          </tr></thead>
          <tbody>
            ${data.experiments.map(
              (e) => html`<tr>
                <th scope="row"><a href=${href.results(route.site, e.id)}>${e.name}</a> <span class="id">#${e.id}</span></th>
                <td><span class="status status-${e.status}">${e.status}</span></td>
                <td class="num">${e.daysRunning === null ? html`<span class="na" title="No unit exposed yet and no analysis start set">—</span>` : fmt.int(e.daysRunning)}</td>
                <td class="num">${fmt.int(e.units)}</td>
                <td>${e.variations.length === 0 ? '—' : e.variations.map((v) => `${v.name}: ${fmt.int(v.units)}`).join(' · ')}</td>
                <td>${e.lastExposureAt === null
                  ? html`<span class="na" title="No exposure event seen yet">—</span>`
                  : html`<time datetime=${new Date(e.lastExposureAt).toISOString()} title=${formatTime(e.lastExposureAt)}>${ago(e.lastExposureAt)}</time>`}</td>
                <td>${formatDay(e.firstUnitDay)}</td>
                <td>${srmText(e.srm)}</td>
                <td><${HealthBadge} experiment=${e} /></td>
              </tr>`,
            )}
          </tbody>
        </table>
        <${Pager} route=${route} data=${data} />`
      : ''}`;
}
