/**
 * Import offline conversions from a CSV file: choose it, check how each column is read (the
 * importer's own guess from the column names, changed where it is wrong), preview the first rows
 * with their verdicts (a dry run that stores nothing), then import with progress, a summary, and the
 * rejected rows to download. Every row becomes an event with a nonce derived from it, so importing
 * the same file twice stores its rows once.
 */
import { html, useState } from '../lib/html.js';
import { currentKey, enc, signOut } from '../lib/api.js';
import { fmt } from '../lib/format.js';
import { download } from '../lib/csv.js';
import { IMPORT_FIELDS, importFieldOf } from '../generated/registry.js';

const PREVIEW_ROWS = 20;
const SAMPLE_BYTES = 256 * 1024;

/** The header and first rows, for display only: the server reads the file itself. */
function splitCsv(text, delimiter) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length <= PREVIEW_ROWS; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      if (row.some((x) => x !== '')) rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** The separator the importer would detect: the most frequent of , ; tab | in the header, outside quotes. */
function detectDelimiter(headerLine) {
  const counts = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let quoted = false;
  for (const c of headerLine) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && c in counts) counts[c] += 1;
  }
  const [best, count] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
  return count > 0 ? best : ',';
}

/** POST with upload progress (fetch cannot report it). Resolves to {status, headers, text}. */
function post(url, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Authorization', `Bearer ${currentKey()}`);
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
    xhr.onload = () => resolve({ status: xhr.status, header: (name) => xhr.getResponseHeader(name), text: xhr.responseText });
    xhr.onerror = () => reject(new Error('the server cannot be reached: check that Anole is running'));
    xhr.send(body);
  });
}

function failure(answer) {
  let message = `the server answered ${answer.status}`;
  try {
    message = JSON.parse(answer.text).message ?? message;
  } catch {
    // Not JSON.
  }
  if (answer.status === 401) signOut(message);
  if (answer.status === 403) return 'This key may not import into this site: importing needs an admin key or a key of this site.';
  return message;
}

function Summary({ summary, title }) {
  return html`<section class="card" aria-labelledby="summary-title" role="status">
    <h2 id="summary-title">${title}</h2>
    <dl class="facts">
      <dt>Rows read</dt><dd data-field="rows">${fmt.int(summary.rows)}</dd>
      <dt>${summary.dryRun ? 'Would be stored' : 'Stored'}</dt><dd data-field="accepted">${fmt.int(summary.accepted)}</dd>
      <dt>Already stored (duplicates)</dt><dd data-field="duplicate">${fmt.int(summary.duplicate)}</dd>
      <dt>Rejected</dt><dd data-field="rejected">${fmt.int(summary.rejected)}${Object.keys(summary.rejectedByCode ?? {}).length > 0
        ? ` (${Object.entries(summary.rejectedByCode).map(([code, n]) => `${code}: ${fmt.int(n)}`).join(', ')})`
        : ''}</dd>
      ${summary.seconds !== undefined ? html`<dt>Time</dt><dd>${summary.seconds.toFixed(2)} s</dd>` : ''}
    </dl>
    ${summary.hint ? html`<p class="notice">${summary.hint}</p>` : ''}
  </section>`;
}

export function ImportPage({ route }) {
  const [file, setFile] = useState(null);
  const [sample, setSample] = useState(null);
  const [map, setMap] = useState({});
  const [options, setOptions] = useState({ goalId: '', idColumn: '', timezone: 'UTC', decimal: '.' });
  const [preview, setPreview] = useState(null);
  const [progress, setProgress] = useState(null);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function choose(event) {
    const chosen = event.currentTarget.files?.[0] ?? null;
    setFile(chosen);
    setPreview(null);
    setResult(null);
    setError(null);
    setMap({});
    if (!chosen) return setSample(null);
    const text = await chosen.slice(0, SAMPLE_BYTES).text();
    const delimiter = detectDelimiter(text.split(/\r?\n/, 1)[0] ?? '');
    const rows = splitCsv(text.replace(/^\uFEFF/, ''), delimiter);
    setSample({ header: rows[0] ?? [], rows: rows.slice(1), delimiter, text });
  }

  /** The import's options as its query: only what differs from the defaults, `map` once per changed column. */
  function query(dryRun, errors) {
    const params = new URLSearchParams();
    const set = (name, value) => value && params.set(name, value);
    set('goalId', options.goalId);
    set('idColumn', options.idColumn);
    set('timezone', options.timezone === 'UTC' ? '' : options.timezone);
    set('decimal', options.decimal === '.' ? '' : options.decimal);
    set('dryRun', dryRun ? 'true' : '');
    set('errors', errors);
    for (const [column, field] of Object.entries(map)) if (field !== '') params.append('map', `${column}=${field}`);
    const text = params.toString();
    return `/api/sites/${enc(route.site)}/imports${text ? `?${text}` : ''}`;
  }

  async function runPreview() {
    setBusy(true);
    setError(null);
    try {
      // The header and the first rows only: a dry run stores nothing.
      const lines = sample.text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l !== '').slice(0, PREVIEW_ROWS + 1).join('\n');
      const answer = await post(query(true, ''), `${lines}\n`);
      if (answer.status !== 200) throw new Error(failure(answer));
      setPreview(JSON.parse(answer.text));
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }

  async function runImport() {
    setBusy(true);
    setError(null);
    setProgress(0);
    try {
      const answer = await post(query(false, 'csv'), file, setProgress);
      if (answer.status !== 200) throw new Error(failure(answer));
      const count = (name) => Number(answer.header(`anole-import-${name}`) ?? 0);
      setResult({ summary: { rows: count('rows'), accepted: count('accepted'), duplicate: count('duplicate'), rejected: count('rejected'), dryRun: false }, errorsCsv: answer.text });
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
      setProgress(null);
    }
  }

  const rejectedAt = new Map((preview?.errors ?? []).map((e) => [e.row, e]));
  return html`<h1>Import <span class="sub">${route.site}</span></h1>
    <p class="lead">Offline conversions (in-store purchases, phone sales, CRM deals) from a CSV file, through the same checks as every event. Importing a file again stores nothing twice.</p>
    <ol class="steps">
      <li><h2>1. Choose a file</h2>
        <label for="import-file">CSV file (a header row, then one conversion per row)</label>
        <input id="import-file" type="file" accept=".csv,.tsv,.txt,text/csv" onChange=${choose} />
        ${file ? html`<p class="muted">${file.name}: ${fmt.int(file.size)} bytes${sample ? `, separator ${sample.delimiter === '\t' ? 'tab' : `“${sample.delimiter}”`}` : ''}</p>` : ''}
      </li>
      ${sample
        ? html`<li><h2>2. Columns and options</h2>
            <table class="data compact">
              <caption>How each column is read (the importer's guess from its name, unless changed)</caption>
              <thead><tr><th scope="col">Column</th><th scope="col">First values</th><th scope="col">Read as</th></tr></thead>
              <tbody>${sample.header.map((column, i) => {
                const guess = column === options.idColumn ? 'order id' : importFieldOf(column) ?? 'ignored';
                return html`<tr><th scope="row">${column}</th>
                  <td>${sample.rows.slice(0, 3).map((r) => r[i] ?? '').join(' · ')}</td>
                  <td><label class="visually-hidden" for="map-${i}">Read ${column} as</label>
                    <select id="map-${i}" value=${map[column] ?? ''} onChange=${(e) => setMap({ ...map, [column]: e.currentTarget.value })}>
                      <option value="">${guess} (guessed)</option>
                      ${IMPORT_FIELDS.map((f) => html`<option value=${f}>${f}</option>`)}
                      <option value="ignore">ignore</option>
                    </select></td></tr>`;
              })}</tbody>
            </table>
            <div class="controls">
              <div class="control"><label for="import-goal">Goal id (for rows without a goal column)</label>
                <input id="import-goal" inputmode="numeric" pattern="[0-9]*" maxlength="10" value=${options.goalId} onInput=${(e) => setOptions({ ...options, goalId: e.currentTarget.value.trim() })} /></div>
              <div class="control"><label for="import-id-column">Order id column (nonces derive from it)</label>
                <select id="import-id-column" value=${options.idColumn} onChange=${(e) => setOptions({ ...options, idColumn: e.currentTarget.value })}>
                  <option value="">none: from the whole row</option>
                  ${sample.header.map((c) => html`<option value=${c}>${c}</option>`)}
                </select></div>
              <div class="control"><label for="import-timezone">Time zone of times without an offset</label>
                <input id="import-timezone" maxlength="64" value=${options.timezone} onInput=${(e) => setOptions({ ...options, timezone: e.currentTarget.value.trim() || 'UTC' })} /></div>
              <div class="control"><label for="import-decimal">Decimal mark</label>
                <select id="import-decimal" value=${options.decimal} onChange=${(e) => setOptions({ ...options, decimal: e.currentTarget.value })}><option value=".">. (23.50)</option><option value=",">, (23,50)</option></select></div>
            </div>
            <p><button type="button" disabled=${busy} onClick=${runPreview}>Preview the first ${PREVIEW_ROWS} rows</button></p>
          </li>`
        : ''}
      ${preview
        ? html`<li><h2>3. Preview (a dry run: nothing stored)</h2>
            <${Summary} summary=${preview} title="The first rows, checked" />
            <div class="table-scroll" tabindex="0" role="region" aria-label="Preview rows">
              <table class="data compact preview">
                <caption>The first rows and their verdicts</caption>
                <thead><tr><th scope="col">Row</th>${sample.header.map((c) => html`<th scope="col">${c}</th>`)}<th scope="col">Verdict</th></tr></thead>
                <tbody>${sample.rows.slice(0, PREVIEW_ROWS).map((r, i) => {
                  const rejected = rejectedAt.get(i + 2);
                  return html`<tr class=${rejected ? 'not-counted' : 'counted'}><th scope="row">${i + 2}</th>${sample.header.map((_c, j) => html`<td>${r[j] ?? ''}</td>`)}
                    <td>${rejected ? html`<span class="verdict not-counted">${rejected.code}</span> ${rejected.message}` : html`<span class="verdict counted">valid</span>`}</td></tr>`;
                })}</tbody>
              </table>
            </div>
            <p><button type="submit" disabled=${busy} onClick=${runImport}>Import ${file.name}</button></p>
          </li>`
        : ''}
    </ol>
    ${progress !== null ? html`<p role="status"><label for="import-progress">Sending the file</label> <progress id="import-progress" class="progress" max="1" value=${progress}></progress> ${fmt.pct(progress, 0)}${progress >= 1 ? ' — importing the rows…' : ''}</p>` : ''}
    ${error ? html`<p class="field-error" role="alert">${error}</p>` : ''}
    ${result
      ? html`<${Summary} summary=${result.summary} title="Imported" />
          ${result.summary.rejected > 0
            ? html`<p><button type="button" onClick=${() => download(`${route.site}-import-errors.csv`, result.errorsCsv)}>Download the ${fmt.int(result.summary.rejected)} rejected rows (CSV, with the reason of each)</button></p>`
            : ''}`
      : ''}`;
}
