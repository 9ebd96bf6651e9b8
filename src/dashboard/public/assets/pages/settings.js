/** A site's settings, goals and experiments, each editable with an admin key. */
import { html, useState, useEffect } from '../lib/html.js';
import { useApi } from '../lib/use-api.js';
import { api, enc } from '../lib/api.js';
import { Loading, ErrorState } from '../components/states.js';
import { GOAL_KINDS, EXPERIMENT_STATUSES } from '../generated/registry.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** What a save answered, in words; a 403 says the key may only read. */
function SaveStatus({ status }) {
  if (!status) return '';
  if (status.error) {
    const text = status.error.status === 403 ? 'This key may only read; changing settings needs an admin key.' : status.error.message;
    return html`<p class="field-error" role="alert">Not saved: ${text}</p>`;
  }
  return html`<p class="saved" role="status">${status.message}</p>`;
}

function useSave() {
  const [status, setStatus] = useState(null);
  const [busy, setBusy] = useState(false);
  async function save(run, message) {
    setBusy(true);
    setStatus(null);
    try {
      const answer = await run();
      setStatus({ message: typeof message === 'function' ? message(answer) : message });
      return answer;
    } catch (error) {
      setStatus({ error });
      return null;
    } finally {
      setBusy(false);
    }
  }
  return { status, busy, save };
}

function SiteForm({ site, settings, onSaved }) {
  const [form, setForm] = useState(null);
  useEffect(() => setForm({
    visitTimeoutMinutes: String(settings.visitTimeoutMs / MINUTE),
    attributionWindowDays: String(settings.attributionWindowMs / DAY),
    lateEventHorizonDays: String(settings.lateEventHorizonMs / DAY),
    privateIngest: settings.privateIngest,
    privateReads: settings.privateReads,
  }), [settings]);
  const { status, busy, save } = useSave();
  if (!form) return '';
  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    const body = {
      visitTimeoutMs: Math.round(Number(form.visitTimeoutMinutes) * MINUTE),
      attributionWindowMs: Math.round(Number(form.attributionWindowDays) * DAY),
      lateEventHorizonMs: Math.round(Number(form.lateEventHorizonDays) * DAY),
      privateIngest: form.privateIngest,
      privateReads: form.privateReads,
    };
    save(() => api(`/api/sites/${enc(site)}`, { method: 'PATCH', body }), (answer) =>
      answer.recomputing > 0 ? `Saved. ${answer.recomputing.toLocaleString('en-US')} identities are being recomputed with the new rules.` : 'Saved.',
    ).then((answer) => answer && onSaved());
  };
  return html`<form class="settings" onSubmit=${submit} aria-labelledby="site-settings-title">
    <h2 id="site-settings-title">Site</h2>
    <div class="field"><label for="visit-timeout">Visit timeout (minutes)</label>
      <input id="visit-timeout" type="number" min="1" max="1440" step="1" required value=${form.visitTimeoutMinutes} onInput=${set('visitTimeoutMinutes')} aria-describedby="visit-timeout-help" />
      <p id="visit-timeout-help" class="help">A longer gap between two events of a device starts a new visit. Changing it recomputes every result of the site.</p></div>
    <div class="field"><label for="attribution-window">Attribution window (days)</label>
      <input id="attribution-window" type="number" min="0" max="365" step="any" required value=${form.attributionWindowDays} onInput=${set('attributionWindowDays')} aria-describedby="attribution-help" />
      <p id="attribution-help" class="help">A conversion counts for an experiment up to this long after an exposure. Changing it recomputes every result of the site.</p></div>
    <div class="field"><label for="late-horizon">Late-event horizon (days)</label>
      <input id="late-horizon" type="number" min="0" max="366" step="any" required value=${form.lateEventHorizonDays} onInput=${set('lateEventHorizonDays')} aria-describedby="late-help" />
      <p id="late-help" class="help">How far back an event's own <code>time</code> may go (offline backfills).</p></div>
    <fieldset><legend>Privacy</legend>
      <label><input type="checkbox" checked=${form.privateIngest} onChange=${set('privateIngest')} /> Ingestion needs a key (<code>privateIngest</code>)</label>
      <label><input type="checkbox" checked=${form.privateReads} onChange=${set('privateReads')} /> Visitor and map reads need a key (<code>privateReads</code>)</label>
    </fieldset>
    <button type="submit" disabled=${busy}>Save site settings</button>
    <${SaveStatus} status=${status} />
  </form>`;
}

function GoalRow({ site, goal, kinds, onSaved }) {
  const [name, setName] = useState(goal.name);
  const [kind, setKind] = useState(goal.kind);
  const { status, busy, save } = useSave();
  const id = `goal-${goal.id}`;
  return html`<tr>
    <th scope="row">${goal.id}</th>
    <td><label class="visually-hidden" for="${id}-name">Name of goal ${goal.id}</label><input id="${id}-name" value=${name} maxlength="200" onInput=${(e) => setName(e.currentTarget.value)} /></td>
    <td><label class="visually-hidden" for="${id}-kind">Kind of goal ${goal.id}</label>
      <select id="${id}-kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>${kinds.map((k) => html`<option value=${k}>${k}</option>`)}</select></td>
    <td><button type="button" disabled=${busy} onClick=${() => save(() => api(`/api/sites/${enc(site)}/goals/${goal.id}`, { method: 'PUT', body: { name, kind } }), 'Saved.').then((a) => a && onSaved())}>Save</button>
      <${SaveStatus} status=${status} /></td>
  </tr>`;
}

const toInput = (ms) => (ms === null ? '' : new Date(ms).toISOString().slice(0, 16));
const fromInput = (text) => (text === '' ? null : Date.parse(`${text}:00Z`));

function ExperimentForm({ site, experiment, onSaved }) {
  const [form, setForm] = useState(() => ({
    name: experiment.name,
    status: experiment.status,
    reference: experiment.referenceVariationId === null ? '' : String(experiment.referenceVariationId),
    names: Object.fromEntries(experiment.variations.map((v) => [v.id, v.name])),
    split: Object.fromEntries(experiment.variations.map((v) => [v.id, experiment.trafficSplit?.[v.id] === undefined ? '' : String(experiment.trafficSplit[v.id])])),
    start: toInput(experiment.analysisPeriod.start),
    end: toInput(experiment.analysisPeriod.end),
  }));
  const { status, busy, save } = useSave();
  const id = `exp-${experiment.id}`;
  const submit = (e) => {
    e.preventDefault();
    const hasSplit = Object.values(form.split).some((w) => w !== '');
    const body = {
      name: form.name,
      status: form.status,
      variations: experiment.variations.map((v) => ({ id: v.id, name: form.names[v.id] || v.name })),
      referenceVariationId: form.reference === '' ? null : Number(form.reference),
      trafficSplit: hasSplit ? Object.fromEntries(Object.entries(form.split).map(([k, w]) => [k, Number(w || 0)])) : null,
      analysisPeriod: { start: fromInput(form.start), end: fromInput(form.end) },
    };
    save(() => api(`/api/sites/${enc(site)}/experiments/${experiment.id}`, { method: 'PUT', body }), (a) =>
      a.recomputing > 0 ? `Saved. The analysis period changed: ${a.recomputing.toLocaleString('en-US')} identities are being recomputed.` : 'Saved.',
    ).then((a) => a && onSaved());
  };
  return html`<details class="card">
    <summary><strong>${experiment.name}</strong> <span class="id">#${experiment.id}</span> <span class="status status-${experiment.status}">${experiment.status}</span></summary>
    <form onSubmit=${submit}>
      <div class="field"><label for="${id}-name">Name</label><input id="${id}-name" required maxlength="200" value=${form.name} onInput=${(e) => setForm({ ...form, name: e.currentTarget.value })} /></div>
      <div class="field"><label for="${id}-status">Status</label>
        <select id="${id}-status" value=${form.status} onChange=${(e) => setForm({ ...form, status: e.currentTarget.value })}>
          ${EXPERIMENT_STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select></div>
      <div class="field"><label for="${id}-reference">Reference variation</label>
        <select id="${id}-reference" value=${form.reference} onChange=${(e) => setForm({ ...form, reference: e.currentTarget.value })}>
          <option value="">The lowest id</option>
          ${experiment.variations.map((v) => html`<option value=${String(v.id)}>${v.name} (#${v.id})</option>`)}
        </select></div>
      ${experiment.variations.length > 0
        ? html`<table class="data compact">
            <caption>Variations and the expected traffic split (weights; empty everywhere means an equal split)</caption>
            <thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Expected weight</th></tr></thead>
            <tbody>${experiment.variations.map(
              (v) => html`<tr><th scope="row">${v.id}</th>
                <td><label class="visually-hidden" for="${id}-v${v.id}-name">Name of variation ${v.id}</label><input id="${id}-v${v.id}-name" maxlength="200" value=${form.names[v.id]} onInput=${(e) => setForm({ ...form, names: { ...form.names, [v.id]: e.currentTarget.value } })} /></td>
                <td><label class="visually-hidden" for="${id}-v${v.id}-split">Expected weight of variation ${v.id}</label><input id="${id}-v${v.id}-split" type="number" min="0" step="any" value=${form.split[v.id]} onInput=${(e) => setForm({ ...form, split: { ...form.split, [v.id]: e.currentTarget.value } })} /></td></tr>`,
            )}</tbody>
          </table>`
        : html`<p class="muted">No variation seen yet.</p>`}
      <fieldset><legend>Analysis period (UTC; empty means unbounded)</legend>
        <label for="${id}-start">Start</label><input id="${id}-start" type="datetime-local" value=${form.start} onInput=${(e) => setForm({ ...form, start: e.currentTarget.value })} />
        <label for="${id}-end">End</label><input id="${id}-end" type="datetime-local" value=${form.end} onInput=${(e) => setForm({ ...form, end: e.currentTarget.value })} />
      </fieldset>
      <button type="submit" disabled=${busy}>Save ${experiment.name}</button>
      <${SaveStatus} status=${status} />
    </form>
  </details>`;
}

export function SettingsPage({ route }) {
  const base = `/api/sites/${enc(route.site)}`;
  const site = useApi(base);
  const goals = useApi(`${base}/goals`);
  const experiments = useApi(`${base}/experiments`);
  const error = site.error ?? goals.error ?? experiments.error;
  return html`<h1>Settings <span class="sub">${route.site}</span></h1>
    ${error ? html`<${ErrorState} error=${error} retry=${() => { site.reload(); goals.reload(); experiments.reload(); }} />` : ''}
    ${site.loading && !site.data ? html`<${Loading} what="Loading the settings" />` : ''}
    ${site.data ? html`<${SiteForm} site=${route.site} settings=${site.data.settings} onSaved=${site.reload} />` : ''}
    ${goals.data
      ? html`<section aria-labelledby="goals-title"><h2 id="goals-title">Goals</h2>
          ${goals.data.goals.length === 0
            ? html`<p class="muted">No goal yet: goals appear with the first conversion event.</p>`
            : html`<table class="data">
                <caption>Goals of ${route.site}</caption>
                <thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Kind</th><th scope="col"><span class="visually-hidden">Save</span></th></tr></thead>
                <tbody>${goals.data.goals.map((g) => html`<${GoalRow} key=${g.id} site=${route.site} goal=${g} kinds=${GOAL_KINDS} onSaved=${goals.reload} />`)}</tbody>
              </table>`}
        </section>`
      : ''}
    ${experiments.data
      ? html`<section aria-labelledby="experiments-title"><h2 id="experiments-title">Experiments</h2>
          ${experiments.data.experiments.length === 0
            ? html`<p class="muted">No experiment yet: experiments appear with the first exposure event.</p>`
            : experiments.data.experiments.map((e) => html`<${ExperimentForm} key=${e.id} site=${route.site} experiment=${e} onSaved=${experiments.reload} />`)}
        </section>`
      : ''}`;
}
