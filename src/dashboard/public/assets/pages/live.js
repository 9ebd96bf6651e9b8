/** The latest events arriving for a site, filtered by type and visitor, updating by itself. */
import { html, useEffect, useRef, useState } from '../lib/html.js';
import { api, enc, withQuery } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { fmt, formatTime } from '../lib/format.js';
import { eventSummary } from '../lib/events.js';
import { ErrorState } from '../components/states.js';
import { EVENT_TYPES } from '../generated/registry.js';

const TYPES = EVENT_TYPES;
const POLL_MS = 2000;
/** Polls reach back this far before the previous answer's clock, so a commit finishing late is still seen. */
const OVERLAP_MS = 10_000;
const KEEP = 500;

const keyOf = (e) => `${e.identity.kind}\u0000${e.identity.value}\u0000${e.nonce}`;

export function LivePage({ route }) {
  const type = TYPES.includes(route.query.type) ? route.query.type : '';
  const visitor = route.query.visitor ?? '';
  const [events, setEvents] = useState([]);
  const [error, setError] = useState(null);
  const [paused, setPaused] = useState(false);
  const [announce, setAnnounce] = useState('');
  const [lastPoll, setLastPoll] = useState(null);
  const [visitorInput, setVisitorInput] = useState(visitor);
  const cursor = useRef(null);
  const seen = useRef(new Set());

  useEffect(() => setVisitorInput(visitor), [visitor]);

  useEffect(() => {
    // A new filter starts a new tail.
    cursor.current = null;
    seen.current = new Set();
    setEvents([]);
    setError(null);
    if (paused) return undefined;
    let timer = null;
    let stopped = false;
    const controller = new AbortController();
    async function poll() {
      if (document.hidden) {
        timer = setTimeout(poll, POLL_MS);
        return;
      }
      try {
        const answer = await api(withQuery(`/api/sites/${enc(route.site)}/events`, { type, visitor, since: cursor.current, limit: cursor.current === null ? 100 : 500 }), { signal: controller.signal });
        if (stopped) return;
        cursor.current = answer.now - OVERLAP_MS;
        const fresh = answer.events.filter((e) => !seen.current.has(keyOf(e)));
        for (const e of fresh) seen.current.add(keyOf(e));
        if (fresh.length > 0) {
          setEvents((list) => [...fresh, ...list].sort((a, b) => b.receivedAt - a.receivedAt).slice(0, KEEP));
          if (cursor.current !== null) setAnnounce(`${fresh.length} new event${fresh.length === 1 ? '' : 's'}`);
        }
        setLastPoll(answer.now);
        setError(null);
      } catch (failure) {
        if (failure.name === 'AbortError' || stopped) return;
        setError(failure);
        if (failure.status === 401 || failure.status === 403 || failure.status === 404) return;
      }
      timer = setTimeout(poll, POLL_MS);
    }
    poll();
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, [route.site, type, visitor, paused]);

  const setFilter = (name, value) => navigate(href.live(route.site, { type, visitor, [name]: value }), { replace: true });

  return html`<h1>Live events <span class="sub">${route.site}</span></h1>
    <form class="controls" onSubmit=${(e) => {
      e.preventDefault();
      setFilter('visitor', visitorInput.trim());
    }} aria-label="Filters">
      <div class="control"><label for="live-type">Type</label>
        <select id="live-type" value=${type} onChange=${(e) => setFilter('type', e.currentTarget.value)}>
          <option value="">All types</option>
          ${TYPES.map((t) => html`<option value=${t}>${t}</option>`)}
        </select>
      </div>
      <div class="control"><label for="live-visitor">Visitor code or mapping value</label>
        <input id="live-visitor" type="search" maxlength="255" value=${visitorInput} onInput=${(e) => setVisitorInput(e.currentTarget.value)} />
      </div>
      <button type="submit">Filter</button>
      <button type="button" onClick=${() => setPaused(!paused)} aria-pressed=${paused ? 'true' : 'false'}>${paused ? 'Resume' : 'Pause'}</button>
    </form>
    <p class="freshness" role="status">
      ${paused ? 'Paused.' : lastPoll ? html`Updating every ${POLL_MS / 1000} s; last checked ${formatTime(lastPoll)}.` : 'Connecting…'}
      <span class="visually-hidden" aria-live="polite">${announce}</span>
    </p>
    ${error ? html`<${ErrorState} error=${error} />` : ''}
    ${events.length === 0 && !error
      ? html`<p class="state empty">No event${type ? ` of type ${type}` : ''}${visitor ? ` from ${visitor}` : ''} received in the last 24 hours yet. New ones appear here as they arrive.</p>`
      : ''}
    ${events.length > 0
      ? html`<table class="data live">
          <caption>The ${fmt.int(events.length)} latest events, newest first${events.length >= KEEP ? ` (the page keeps ${KEEP})` : ''}</caption>
          <thead><tr><th scope="col">Received</th><th scope="col">Event time</th><th scope="col">Type</th><th scope="col">Sent as</th><th scope="col">What</th><th scope="col">Nonce</th></tr></thead>
          <tbody>${events.map(
            (e) => html`<tr key=${keyOf(e)} data-nonce=${e.nonce}>
              <td>${formatTime(e.receivedAt)}</td>
              <td>${e.time === e.receivedAt ? html`<span class="muted">same</span>` : formatTime(e.time)}</td>
              <td><span class="type type-${e.type}">${e.type}</span></td>
              <td><a href=${href.visitor(route.site, { [e.identity.kind]: e.identity.value })}>${e.identity.value}</a>${e.identity.kind === 'mappingValue' ? html` <span class="muted">(user id)</span>` : ''}</td>
              <td>${eventSummary(e)}</td>
              <td><code>${e.nonce}</code></td>
            </tr>`,
          )}</tbody>
        </table>`
      : ''}`;
}
