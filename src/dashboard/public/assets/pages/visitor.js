/**
 * The visitor inspector, the offline-conversion tutorial's verification step as a page: find a
 * visitor code or user id, see every visit of every linked device, and for each conversion and
 * each experiment whether it counted, and why.
 */
import { html, useState, useEffect } from '../lib/html.js';
import { useApi } from '../lib/use-api.js';
import { href, navigate } from '../lib/router.js';
import { enc, withQuery } from '../lib/api.js';
import { fmt, formatTime, formatDuration } from '../lib/format.js';
import { eventSummary, identityText } from '../lib/events.js';
import { Loading, ErrorState, Empty } from '../components/states.js';

function SearchForm({ route }) {
  const initialKind = route.query.mappingValue ? 'mappingValue' : 'visitorCode';
  const [kind, setKind] = useState(initialKind);
  const [value, setValue] = useState(route.query.mappingValue ?? route.query.visitorCode ?? '');
  useEffect(() => {
    setKind(initialKind);
    setValue(route.query.mappingValue ?? route.query.visitorCode ?? '');
  }, [route.href]);
  return html`<form class="search" role="search" onSubmit=${(e) => {
    e.preventDefault();
    const v = value.trim();
    if (v) navigate(href.visitor(route.site, { [kind]: v }));
  }}>
    <label for="identity-kind">Search by</label>
    <select id="identity-kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
      <option value="visitorCode">Visitor code</option>
      <option value="mappingValue">Mapping value (user id)</option>
    </select>
    <label for="identity-value" class="visually-hidden">Value</label>
    <input id="identity-value" type="search" required maxlength="255" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} placeholder=${kind === 'visitorCode' ? 'e.g. 245fc' : 'e.g. user-42'} />
    <button type="submit">Inspect</button>
  </form>`;
}

function Verdict({ verdict, experimentName }) {
  return html`<span class=${`verdict ${verdict.counted ? 'counted' : 'not-counted'}`}>
    ${verdict.counted ? '✓ counted' : '✗ not counted'} for ${experimentName}</span>`;
}

function ExperimentCard({ experiment, site }) {
  const several = experiment.variationsSeen.length > 1;
  return html`<section class="card" aria-labelledby="exp-${experiment.experimentId}">
    <h3 id="exp-${experiment.experimentId}"><a href=${href.results(site, experiment.experimentId)}>${experiment.name}</a> <span class="id">#${experiment.experimentId}</span></h3>
    <p>Counts in <strong>${experiment.variationName}</strong>, first exposed ${formatTime(experiment.firstExposure)}.
      ${several ? html`<span class="badge warn">exposed to ${experiment.variationsSeen.map((v) => v.name).join(' and ')}</span> Counted in the first only.` : ''}
      ${experiment.outlierVisits > 0 ? html` <span class="badge warn">${fmt.int(experiment.outlierVisits)} outlier visit(s) left out</span>` : ''}</p>
    ${experiment.conversions.length === 0
      ? html`<p class="muted">No conversion of this person yet.</p>`
      : html`<table class="data compact">
          <caption>Conversions and why they count for ${experiment.name}, or not</caption>
          <thead><tr><th scope="col">Time</th><th scope="col">Goal</th><th scope="col" class="num">Revenue</th><th scope="col">Device</th><th scope="col">Counted</th><th scope="col">Why</th></tr></thead>
          <tbody>${experiment.conversions.map(
            (c) => html`<tr class=${c.counted ? 'counted' : 'not-counted'} data-nonce=${c.nonce}>
              <td>${formatTime(c.time)}</td><td>${c.goalId}</td><td class="num">${c.negative ? '−' : ''}${fmt.money(c.revenue)}</td>
              <td>${c.visitorCode}</td><td>${c.counted ? 'yes' : 'no'}</td><td>${c.explanation}</td>
            </tr>`,
          )}</tbody>
        </table>`}
  </section>`;
}

function EventItem({ event, verdicts }) {
  const backfilled = event.receivedAt - event.time > 60_000;
  return html`<li class="event type-${event.type}">
    <span class="when"><time datetime=${new Date(event.time).toISOString()}>${formatTime(event.time)}</time></span>
    <span class="type">${event.type}</span>
    <span class="what">${eventSummary(event)}</span>
    ${verdicts.map((v) => html`<${Verdict} verdict=${v} experimentName=${v.experimentName} />`)}
    <details>
      <summary>Details</summary>
      <dl>
        <dt>Sent as</dt><dd>${identityText(event.identity)}</dd>
        <dt>Nonce</dt><dd><code>${event.nonce}</code></dd>
        <dt>Received</dt><dd>${formatTime(event.receivedAt)}${backfilled ? ' (sent with an earlier event time: a backfill)' : ''}</dd>
        ${event.sdk ? html`<dt>SDK</dt><dd>${event.sdk.name} ${event.sdk.version}</dd>` : ''}
        ${verdicts.map((v) => html`<dt>${v.experimentName}</dt><dd>${v.explanation}</dd>`)}
      </dl>
      <pre><code>${JSON.stringify(event.data, null, 2)}</code></pre>
    </details>
  </li>`;
}

function Visits({ data }) {
  const verdictsOf = (visitorCode, nonce) =>
    data.experiments.flatMap((e) => e.conversions.filter((c) => c.visitorCode === visitorCode && c.nonce === nonce).map((c) => ({ ...c, experimentName: e.name })));
  return html`<section aria-labelledby="visits-title">
    <h2 id="visits-title">Visits <span class="sub">${fmt.int(data.visitCount)} visit${data.visitCount === 1 ? '' : 's'}, ${fmt.int(data.eventCount)} events, newest first</span></h2>
    ${data.truncated ? html`<p class="notice">Only the newest ${fmt.int(data.visits.length)} visits (or 5,000 events) are shown.</p>` : ''}
    <ol class="visits">
      ${data.visits.map(
        (visit) => html`<li class="visit">
          <h3>${visit.current ? html`<span class="badge good">current</span> ` : ''}Visit of <code>${visit.visitorCode}</code>,
            ${formatTime(visit.timeStarted)} <span class="muted">(${formatDuration(visit.timeLastEvent - visit.timeStarted)}, ${fmt.int(visit.eventCount)} events)</span></h3>
          <ol class="events">${visit.events.map((event) => html`<${EventItem} event=${event} verdicts=${event.type === 'conversion' ? verdictsOf(visit.visitorCode, event.nonce) : []} />`)}</ol>
        </li>`,
      )}
    </ol>
  </section>`;
}

export function VisitorPage({ route }) {
  const identity = route.query.visitorCode ? { visitorCode: route.query.visitorCode } : route.query.mappingValue ? { mappingValue: route.query.mappingValue } : null;
  const { data, error, loading, reload } = useApi(identity ? withQuery(`/api/sites/${enc(route.site)}/visitor`, identity) : null);
  return html`<h1>Visitor inspector <span class="sub">${route.site}</span></h1>
    <p class="lead">Check that events landed and whether each conversion counts for each experiment, and why.</p>
    <${SearchForm} route=${route} />
    ${!identity ? html`<${Empty} title="Find a visitor"><p>Type a visitor code, or a mapping value (a user id your back-end sends) to see every device linked to it.</p><//>` : ''}
    ${loading && !data ? html`<${Loading} what="Reading the visitor's events" />` : ''}
    ${error ? html`<${ErrorState} error=${error} retry=${reload} />` : ''}
    ${data && data.visitCount === 0
      ? html`<${Empty} title="Nothing stored for this visitor">
          <p>No event of <strong>${identityText(data.identity)}</strong> is stored on site ${route.site}. Check the site code and the identity, and that the request was answered 204 (or 200 with verdicts).</p>
        <//>`
      : ''}
    ${data && data.visitCount > 0
      ? html`<div class=${loading ? 'stale' : ''}>
          <p class="toolbar"><button type="button" class="link" onClick=${reload}>Refresh</button></p>
          <section class="person" aria-labelledby="person-title">
            <h2 id="person-title">Person</h2>
            <dl class="facts">
              <dt>Counted as</dt><dd><code>${data.person}</code> ${data.person.startsWith('m:') ? '(a user id and its linked devices)' : '(one device)'}</dd>
              <dt>Devices (visitor codes)</dt><dd>${data.visitorCodes.map((c, i) => html`${i > 0 ? ', ' : ''}<a href=${href.visitor(route.site, { visitorCode: c })}><code>${c}</code></a>`)}</dd>
              ${data.links.length > 0
                ? html`<dt>Links</dt><dd><ul>${data.links.map((l) => html`<li><code>${l.visitorCode}</code> → <a href=${href.visitor(route.site, { mappingValue: l.mappingValue })}><code>${l.mappingValue}</code></a> at ${formatTime(l.time)}</li>`)}</ul></dd>`
                : ''}
              <dt>Site rules</dt><dd>visits end after ${formatDuration(data.visitTimeoutMs)} without activity; conversions count up to ${formatDuration(data.attributionWindowMs)} after an exposure</dd>
            </dl>
          </section>
          <section aria-labelledby="experiments-title">
            <h2 id="experiments-title">Experiments</h2>
            ${data.experiments.length === 0
              ? html`<p class="muted">This person was never exposed to an experiment (inside its analysis period, outlier visits aside), so no conversion counts for one.</p>`
              : data.experiments.map((e) => html`<${ExperimentCard} experiment=${e} site=${route.site} />`)}
          </section>
          <${Visits} data=${data} />
        </div>`
      : ''}`;
}
