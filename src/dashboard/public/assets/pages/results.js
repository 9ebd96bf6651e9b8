/**
 * Experiment results: per goal, one table row per variation with every comparison the API makes,
 * interval bars to a common scale, health in words, charts over time, and a CSV export.
 */
import { html, useMemo } from '../lib/html.js';
import { useApi } from '../lib/use-api.js';
import { href, navigate } from '../lib/router.js';
import { enc, withQuery } from '../lib/api.js';
import { fmt, formatTime, formatDuration } from '../lib/format.js';
import { toCsv, download } from '../lib/csv.js';
import { CONFIDENCES, resultsOptions, resultsPath } from '../lib/results-query.js';
import { Loading, ErrorState, Empty } from '../components/states.js';
import { Fig, NotAvailable } from '../components/figure.js';
import { IntervalBar, intervalScale } from '../components/interval-bar.js';
import { Chart, PALETTE } from '../components/chart.js';

const options = resultsOptions;

/** Changing an option changes the URL, so what is on screen can always be shared. */
function setOption(route, name, value) {
  const next = { ...options(route), [name]: value };
  navigate(
    href.results(route.site, route.experimentId, {
      level: next.level === 'visitor' ? undefined : next.level,
      confidence: next.confidence === '0.95' ? undefined : next.confidence,
      goal: next.goal === 'all' ? undefined : next.goal,
      chart: next.chart === 'cumulative' ? undefined : next.chart,
    }),
    { replace: true },
  );
}

function Controls({ route, data }) {
  const o = options(route);
  return html`<form class="controls" onSubmit=${(e) => e.preventDefault()} aria-label="Results options">
    <fieldset>
      <legend>Unit</legend>
      ${[['visitor', 'Visitors (persons)'], ['visit', 'Visits']].map(
        ([value, label]) => html`<label><input type="radio" name="level" value=${value} checked=${o.level === value} onChange=${() => setOption(route, 'level', value)} /> ${label}</label>`,
      )}
    </fieldset>
    <div class="control"><label for="results-confidence">Confidence</label>
      <select id="results-confidence" value=${o.confidence} onChange=${(e) => setOption(route, 'confidence', e.currentTarget.value)}>
        ${CONFIDENCES.map((c) => html`<option value=${c}>${Math.round(Number(c) * 100)}%</option>`)}
      </select>
    </div>
    <div class="control"><label for="results-goal">Goal</label>
      <select id="results-goal" value=${o.goal} onChange=${(e) => setOption(route, 'goal', e.currentTarget.value)}>
        <option value="all">All goals</option>
        ${(data?.allGoals ?? []).map((g) => html`<option value=${String(g.id)}>${g.name}</option>`)}
      </select>
    </div>
    <fieldset>
      <legend>Charts</legend>
      ${[['cumulative', 'Cumulative'], ['daily', 'Daily']].map(
        ([value, label]) => html`<label><input type="radio" name="chart" value=${value} checked=${o.chart === value} onChange=${() => setOption(route, 'chart', value)} /> ${label}</label>`,
      )}
    </fieldset>
  </form>`;
}

const SRM_ADVICE =
  'The observed split of units differs from the expected one by more than chance allows, so the assignment or the tracking is broken somewhere and the comparison may be biased. ' +
  'Before trusting these results, look for a variation that fails to send its exposure event, redirects that lose visitors, bots, or a split changed during the test.';

function Health({ data }) {
  const h = data.health;
  const srm = h.srm;
  const total = srm ? srm.observed.reduce((a, b) => a + b, 0) : 0;
  const expectedTotal = srm ? srm.expected.reduce((a, b) => a + b, 0) : 0;
  const nameOf = (id) => data.goals[0]?.variations.find((v) => v.variationId === id)?.name ?? `Variation ${id}`;
  return html`<section class="health" aria-labelledby="health-title">
    <h2 id="health-title">Health</h2>
    <ul class="checks">
      <li class=${srm?.mismatch ? 'bad' : srm ? 'good' : 'muted'}>
        <strong>Sample ratio: </strong>
        ${!srm
          ? 'not tested: it needs at least two variations with expected traffic.'
          : srm.mismatch
            ? html`<span>mismatch (p = ${fmt.p(srm.pValue.value)} < 0.001). ${SRM_ADVICE}</span>`
            : html`<span>no mismatch (p = ${srm.pValue.value === null ? html`<${NotAvailable} reason=${srm.pValue.reason} />` : fmt.p(srm.pValue.value)}; flagged below 0.001).</span>`}
        ${srm && total > 0
          ? html`<table class="data compact">
              <caption>Observed and expected split (visitor level, ${data.experiment.trafficSplit ? 'expected split as set' : 'equal split expected'})</caption>
              <thead><tr><th scope="col">Variation</th><th scope="col" class="num">Units</th><th scope="col" class="num">Observed share</th><th scope="col" class="num">Expected share</th></tr></thead>
              <tbody>${srm.variations.map(
                (id, i) => html`<tr><th scope="row">${nameOf(id)}</th><td class="num">${fmt.int(srm.observed[i])}</td><td class="num">${fmt.pct(srm.observed[i] / total)}</td><td class="num">${fmt.pct(srm.expected[i] / expectedTotal)}</td></tr>`,
              )}</tbody>
            </table>`
          : ''}
      </li>
      <li class=${h.multipleVariationPersons > 0 ? 'warn' : 'good'}>
        <strong>Persons in several variations: </strong>${fmt.int(h.multipleVariationPersons)}${h.multipleVariationPersons > 0
          ? ` of ${fmt.int(h.persons)} (${fmt.pct(h.multipleVariationPersons / Math.max(1, h.persons))}). Each counts in the variation of its first exposure; many of them point at an assignment that is not sticky (across devices, or after a cookie loss).`
          : '.'}
      </li>
      <li class=${h.excludedOutlierVisits > 0 ? 'warn' : 'good'}>
        <strong>Outlier visits left out: </strong>${fmt.int(h.excludedOutlierVisits)}${h.excludedOutlierVisits > 0 ? ' (over 120 minutes or 10,000 events: their exposures and conversions are not counted; usually bots or tests).' : '.'}
      </li>
      <li class=${data.pendingRecomputations > 0 ? 'warn' : 'good'}>
        <strong>Pending recomputations: </strong>${fmt.int(data.pendingRecomputations)}${data.pendingRecomputations > 0 ? ' — recent events are not all counted yet; refresh in a moment.' : ' — every acknowledged event is counted.'}
      </li>
    </ul>
    <p class="meta">Attribution window ${formatDuration(data.attributionWindowMs)} ·
      analysis period ${data.experiment.analysisPeriod.start === null && data.experiment.analysisPeriod.end === null
        ? 'unbounded'
        : `${formatTime(data.experiment.analysisPeriod.start)} to ${data.experiment.analysisPeriod.end === null ? 'open' : formatTime(data.experiment.analysisPeriod.end)}`}
      · ${Math.round(data.confidence * 100)}% confidence</p>
  </section>`;
}

/** The figures of one metric (rate or revenue per unit) of one variation, as table cells. */
function ComparisonCells({ comparison, level, scale }) {
  const f = comparison.frequentist;
  const cuped = comparison.cuped;
  const seq = comparison.sequential;
  const pct1 = (x) => fmt.pct(x, 1);
  return html`
    <td class="num" data-field="improvement"><${Fig} figure=${f.relativeImprovement} format=${fmt.signedPct} className=${f.relativeInterval.value ? `verdict-${verdictClass(f.relativeInterval.value)}` : ''} />
      <span class="below interval" data-field="interval"><${Fig} figure=${f.relativeInterval} format=${(iv) => fmt.interval(iv)} /></span></td>
    <td class="bar"><${IntervalBar} interval=${f.relativeInterval.value} estimate=${f.relativeImprovement.value} scale=${scale} /></td>
    <td class="num" data-field="reliability"><${Fig} figure=${f.reliability} format=${pct1} />
      <span class="below p" data-field="pValue">p <${Fig} figure=${f.pValue} format=${fmt.p} /></span></td>
    <td class="num" data-field="probabilityToBeat"><${Fig} figure=${comparison.probabilityToBeat} format=${pct1} /></td>
    ${cuped
      ? html`<td class="num" data-field="cuped"><${Fig} figure=${cuped.relativeImprovement} format=${fmt.signedPct} />
            <span class="below interval"><${Fig} figure=${cuped.relativeInterval} format=${(iv) => fmt.interval(iv)} /></span>
            <span class="below p" data-field="varianceReduction">variance cut <${Fig} figure=${cuped.varianceReduction} format=${pct1} /></span></td>`
      : html`<td class="num"><span class="na" title="CUPED uses each person's pre-exposure value, so it applies at visitor level only">${level === 'visit' ? 'visitor level only' : '—'}</span></td>`}
    <td class="num" data-field="sequential"><span class="interval"><${Fig} figure=${seq.relativeInterval} format=${(iv) => fmt.interval(iv)} /></span>
      <span class="below p">p <${Fig} figure=${seq.relativePValue} format=${fmt.p} /></span></td>
  `;
}

function verdictClass(iv) {
  return iv.lower > 0 ? 'up' : iv.upper < 0 ? 'down' : 'flat';
}

const COMPARISON_COLUMNS = 6;
const COMPARISON_HEADERS = html`
  <th scope="col" class="num">Improvement <span class="below">[interval]</span></th><th scope="col"><span class="visually-hidden">Interval bar, 0 marked</span></th>
  <th scope="col" class="num"><abbr title="1 − p-value (two-sided test against no difference)">Reliability</abbr> <span class="below">(p-value)</span></th>
  <th scope="col" class="num"><abbr title="Bayesian probability that this variation beats the reference">Chance to beat</abbr></th>
  <th scope="col" class="num"><abbr title="Improvement adjusted with each person's pre-exposure value of the same metric (CUPED), and the share of variance it removed">CUPED</abbr> <span class="below">[interval], variance cut</span></th>
  <th scope="col" class="num"><abbr title="Always-valid (sequential) interval of the improvement and its p-value: safe to look at any time">Always-valid</abbr> <span class="below">[interval] (p)</span></th>`;

/**
 * One metric's table: a row per variation, its own figures first (`columns`), then the comparison
 * with the reference, every interval bar on the table's one scale.
 */
function MetricTable({ goal, level, metric, caption, columns }) {
  const scale = intervalScale(goal.variations.map((v) => v.comparison?.[metric].frequentist.relativeInterval.value));
  return html`<table class="data results" data-metric=${metric === 'conversionRate' ? 'rate' : 'revenue'}>
    <caption>${caption}</caption>
    <thead><tr><th scope="col">Variation</th>${columns.map(([label]) => html`<th scope="col" class="num">${label}</th>`)}${COMPARISON_HEADERS}</tr></thead>
    <tbody>
      ${goal.variations.map(
        (v) => html`<tr data-variation=${v.variationId}>
          <th scope="row">${v.name}${v.reference ? html` <span class="badge muted">reference</span>` : ''}</th>
          ${columns.map(([, field, show]) => html`<td class="num" data-field=${field}>${v[field] === null ? html`<${NotAvailable} reason="no_units" />` : show(v[field])}</td>`)}
          ${v.comparison
            ? html`<${ComparisonCells} comparison=${v.comparison[metric]} level=${level} scale=${scale} />`
            : html`<td colspan=${COMPARISON_COLUMNS} class="reference-note">The reference: the other variations are compared with it.</td>`}
        </tr>`,
      )}
    </tbody>
  </table>`;
}

const RATE_COLUMNS = [['Units', 'units', fmt.int], ['Converted', 'convertedUnits', fmt.int], ['Conversions', 'conversions', fmt.int], ['Conversion rate', 'conversionRate', (x) => fmt.pct(x)]];
const REVENUE_COLUMNS = [['Units', 'units', fmt.int], ['Revenue', 'revenue', fmt.money], ['Revenue per unit', 'revenuePerUnit', fmt.money]];

function RateTable({ goal, level, confidence }) {
  const caption = `${goal.name}: conversion rate per ${level === 'visit' ? 'visit' : 'person'} (${Math.round(confidence * 100)}% intervals)`;
  return html`<${MetricTable} goal=${goal} level=${level} metric="conversionRate" caption=${caption} columns=${RATE_COLUMNS} />`;
}

function RevenueTable({ goal, level, confidence }) {
  const caption = `${goal.name}: net revenue per ${level === 'visit' ? 'visit' : 'person'} (refunds subtracted; ${Math.round(confidence * 100)}% intervals)`;
  return html`<${MetricTable} goal=${goal} level=${level} metric="revenuePerUnit" caption=${caption} columns=${REVENUE_COLUMNS} />`;
}

const dayStart = (iso) => Date.parse(`${iso}T00:00:00Z`) / 1000;

function GoalCharts({ goal, mode, referenceId }) {
  const charts = useMemo(() => {
    const x = goal.series.map((p) => dayStart(p.day));
    const ids = goal.variations.map((v) => v.variationId);
    const color = (i) => PALETTE[i % PALETTE.length];
    const name = (id) => goal.variations.find((v) => v.variationId === id)?.name ?? `Variation ${id}`;
    const at = (id, f) => goal.series.map((p) => f(p.variations[id]));
    const daily = (id, field) => goal.series.map((p, i) => (p.variations[id]?.[field] ?? 0) - (i === 0 ? 0 : goal.series[i - 1].variations[id]?.[field] ?? 0));
    const iv = (fig, side) => (fig && fig.value ? fig.value[side] : null);
    const rate =
      mode === 'cumulative'
        ? {
            title: 'Cumulative conversion rate, with its interval',
            format: (v) => fmt.pct(v, 1),
            lines: ids.map((id, i) => ({
              label: name(id),
              color: color(i),
              values: at(id, (f) => f?.conversionRate ?? null),
              lower: at(id, (f) => (iv(f?.conversionRateInterval, 'lower') === null ? null : Math.max(0, iv(f.conversionRateInterval, 'lower')))),
              upper: at(id, (f) => (iv(f?.conversionRateInterval, 'upper') === null ? null : Math.min(1, iv(f.conversionRateInterval, 'upper')))),
            })),
          }
        : {
            title: 'Converted units per day (first conversions)',
            format: fmt.int,
            lines: ids.map((id, i) => ({ label: name(id), color: color(i), values: daily(id, 'convertedUnits') })),
          };
    const exposures = {
      title: mode === 'cumulative' ? 'Cumulative exposed units' : 'Exposed units per day (new units)',
      format: fmt.int,
      lines: ids.map((id, i) => ({ label: name(id), color: color(i), values: mode === 'cumulative' ? at(id, (f) => f?.units ?? 0) : daily(id, 'units') })),
    };
    const improvement = {
      title: 'Improvement over the reference (cumulative), with its interval',
      format: (v) => fmt.signedPct(v, 0),
      lines: ids
        .map((id, i) => ({ id, i }))
        .filter(({ id }) => id !== referenceId)
        .map(({ id, i }) => ({
          label: name(id),
          color: color(i),
          values: at(id, (f) => f?.relativeImprovement?.value ?? null),
          lower: at(id, (f) => iv(f?.relativeInterval, 'lower')),
          upper: at(id, (f) => iv(f?.relativeInterval, 'upper')),
        })),
    };
    // The first days' intervals are wide; the y axis fits the days after 10% of the units arrived.
    const total = (p) => ids.reduce((n, id) => n + (p.variations[id]?.units ?? 0), 0);
    const finalTotal = goal.series.length > 0 ? total(goal.series[goal.series.length - 1]) : 0;
    const from = Math.max(0, goal.series.findIndex((p) => total(p) >= Math.max(30, finalTotal * 0.1)));
    const fit = (chart) => {
      const values = chart.lines.flatMap((l) => [l.values, l.lower ?? [], l.upper ?? []].flatMap((list) => list.slice(from))).filter((v) => v !== null && Number.isFinite(v));
      if (values.length === 0) return null;
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      const pad = (hi - lo || Math.abs(hi) || 1) * 0.08;
      return [lo - pad, hi + pad];
    };
    for (const chart of [rate, improvement]) chart.yRange = fit(chart);
    return { x, list: [rate, exposures, improvement] };
  }, [goal, mode, referenceId]);

  if (goal.series.length === 0) return html`<p class="muted">No daily figures yet: charts appear with the first exposed unit.</p>`;
  const last = goal.series[goal.series.length - 1];
  const summary = (chart) =>
    `${chart.title}, ${goal.series.length} days from ${goal.series[0].day} to ${last.day}. ` +
    chart.lines.map((l) => `${l.label}: ${chart.format(l.values[l.values.length - 1])} on the last day`).join('; ') + '.';
  return html`<div class="charts">${charts.list.map(
    (c) => html`<${Chart} key=${c.title} title=${c.title} summary=${summary(c)} x=${charts.x} lines=${c.lines} format=${c.format} yRange=${c.yRange ?? null} />`,
  )}</div>`;
}

function hasRevenue(goal) {
  return goal.kind === 'revenue' || goal.variations.some((v) => v.revenue !== 0);
}

/**
 * The tables as CSV: one row per goal, metric and variation, each carrying the unit and the
 * confidence level it was computed at, and every figure the tables show (rate and revenue figures,
 * the comparison with the reference, CUPED, the always-valid interval). Undefined figures are empty.
 */
function exportCsv(data) {
  const header = [
    'level', 'unit', 'confidence', 'goal_id', 'goal', 'goal_kind', 'metric', 'variation_id', 'variation', 'reference',
    'units', 'converted_units', 'conversions', 'conversion_rate', 'revenue', 'revenue_per_unit',
    'improvement', 'interval_low', 'interval_high', 'p_value', 'reliability', 'chance_to_beat',
    'cuped_improvement', 'cuped_interval_low', 'cuped_interval_high', 'cuped_variance_reduction',
    'sequential_interval_low', 'sequential_interval_high', 'sequential_p_value',
  ];
  const v = (fig) => (fig && fig.value !== null && fig.value !== undefined ? fig.value : '');
  const lo = (fig) => (fig && fig.value ? fig.value.lower : '');
  const hi = (fig) => (fig && fig.value ? fig.value.upper : '');
  const unit = data.level === 'visit' ? 'visit' : 'person';
  const rows = [];
  for (const goal of data.goals) {
    // The same tables as the page: the revenue one only for a goal with revenue.
    const metrics = hasRevenue(goal) ? [['conversion_rate', 'conversionRate'], ['revenue_per_unit', 'revenuePerUnit']] : [['conversion_rate', 'conversionRate']];
    for (const [metric, key] of metrics) {
      for (const variation of goal.variations) {
        const c = variation.comparison?.[key];
        rows.push([
          data.level, unit, data.confidence, goal.goalId, goal.name, goal.kind, metric, variation.variationId, variation.name, variation.reference,
          variation.units, variation.convertedUnits, variation.conversions, variation.conversionRate ?? '', variation.revenue, variation.revenuePerUnit ?? '',
          v(c?.frequentist.relativeImprovement), lo(c?.frequentist.relativeInterval), hi(c?.frequentist.relativeInterval), v(c?.frequentist.pValue), v(c?.frequentist.reliability), v(c?.probabilityToBeat),
          v(c?.cuped?.relativeImprovement), lo(c?.cuped?.relativeInterval), hi(c?.cuped?.relativeInterval), v(c?.cuped?.varianceReduction),
          lo(c?.sequential.relativeInterval), hi(c?.sequential.relativeInterval), v(c?.sequential.relativePValue),
        ]);
      }
    }
  }
  const confidence = Math.round(data.confidence * 100);
  download(`anole-${data.siteCode}-experiment-${data.experiment.id}-${data.level}-${confidence}.csv`, toCsv(header, rows));
}

export function ResultsPage({ route }) {
  const o = options(route);
  const results = useApi(resultsPath(route));
  // The goal list for the selector comes from the all-goals answer, fetched once per level.
  const allGoals = useApi(o.goal === 'all' ? null : withQuery(`/api/sites/${enc(route.site)}/goals`, {}));
  const data = results.data;
  const goalsForSelect = o.goal === 'all' ? data?.goals.map((g) => ({ id: g.goalId, name: g.name })) : allGoals.data?.goals;

  return html`
    <p class="crumbs"><a href=${href.experiments(route.site)}>Experiments</a> ›</p>
    <h1>${data ? data.experiment.name : `Experiment ${route.experimentId}`} ${data ? html`<span class="status status-${data.experiment.status}">${data.experiment.status}</span>` : ''}</h1>
    <${Controls} route=${route} data=${{ allGoals: goalsForSelect }} />
    ${results.loading && !data ? html`<${Loading} what="Computing the results" />` : ''}
    ${results.error ? html`<${ErrorState} error=${results.error} retry=${results.reload} />` : ''}
    ${data
      ? html`<div class=${results.loading ? 'stale' : ''} aria-busy=${results.loading ? 'true' : 'false'}>
          <p class="toolbar">
            <button type="button" onClick=${() => exportCsv(data)}>Export the tables as CSV</button>
            <button type="button" class="link" onClick=${results.reload}>Refresh</button>
            <span class="muted">Units: ${data.level === 'visit' ? 'visits with an exposure (or starting in its attribution window)' : 'persons (every linked device counts once)'}.</span>
          </p>
          <${Health} data=${data} />
          ${data.goals.length === 0
            ? html`<${Empty} title="No goal yet"><p>Goals appear when the first <code>conversion</code> event arrives, or when one is registered with <code>PUT /api/sites/${route.site}/goals/{id}</code>.</p><//>`
            : data.goals.map(
                (goal) => html`<section class="goal" aria-labelledby="goal-${goal.goalId}" data-goal=${goal.goalId}>
                  <h2 id="goal-${goal.goalId}">${goal.name} <span class="id">goal #${goal.goalId} · ${goal.kind}</span></h2>
                  <div class="table-scroll" tabindex="0" role="region" aria-label="${goal.name}: conversion rate table"><${RateTable} goal=${goal} level=${data.level} confidence=${data.confidence} /></div>
                  ${hasRevenue(goal) ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="${goal.name}: revenue table"><${RevenueTable} goal=${goal} level=${data.level} confidence=${data.confidence} /></div>` : ''}
                  <${GoalCharts} goal=${goal} mode=${o.chart} referenceId=${data.experiment.referenceVariationId} />
                </section>`,
              )}
        </div>`
      : ''}`;
}

