import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareEvents, type EventType, type Identity, type VisitorEvent } from '../core/events.ts';
import { linkFromEvent, type IdentityLink } from '../core/identity.ts';
import { DEFAULT_SITE_SETTINGS, type Site } from '../core/site-settings.ts';
import { visitorJson } from '../core/visitor-view.ts';
import { sessionize, splitCurrentVisit, type Visit } from '../core/visits.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { EventPage, Storage } from '../storage/port.ts';
import { eventsOfVisitorCodes, readVisitor, type VisitorQuery } from './read-visitor.ts';

const T0 = 1_795_900_000_000;
const MIN = 60_000;
const TIMEOUT = DEFAULT_SITE_SETTINGS.visitTimeoutMs;
const SITE: Site = { id: 1, code: 'rv', settings: DEFAULT_SITE_SETTINGS };
const ALL = new Set<EventType>(['page', 'conversion', 'customData', 'experiment', 'staticData']);

/**
 * An in-memory store holding just what a visitor read touches. Its pages are deliberately short
 * and uneven (`pageSize` picks each one's length, never more than asked), so that the reader's
 * merging across identities and page boundaries is exercised, not just its first page.
 */
function memoryStore(events: readonly VisitorEvent[], pageSize: (limit: number) => number, counter = { read: 0 }): Storage {
  const links: IdentityLink[] = events.map(linkFromEvent).filter((l): l is IdentityLink => l !== null);
  const key = (i: Identity) => `${i.kind}\u0000${i.value}`;
  const byIdentity = new Map<string, VisitorEvent[]>();
  for (const e of events) byIdentity.set(key(e.identity), [...(byIdentity.get(key(e.identity)) ?? []), e]);
  for (const list of byIdentity.values()) list.sort((a, b) => -compareEvents(a, b));
  const store: Partial<Storage> = {
    async linksOfVisitorCodes(_site, codes) {
      return links.filter((l) => codes.includes(l.visitorCode));
    },
    async linksOfMappingValues(_site, values) {
      return links.filter((l) => values.includes(l.mappingValue));
    },
    async eventsOf(_site, identities) {
      return identities.flatMap((i) => byIdentity.get(key(i)) ?? []);
    },
    async eventsSince(_site, ranges) {
      return ranges.flatMap((r) => (byIdentity.get(key(r.identity)) ?? []).filter((e) => e.time >= r.since));
    },
    async eventPage(_site, identity, { limit, cursor }): Promise<EventPage> {
      const list = byIdentity.get(key(identity)) ?? [];
      const from = cursor ? Number(cursor) : 0;
      const n = Math.max(1, Math.min(limit, pageSize(limit)));
      const page = list.slice(from, from + n);
      counter.read += page.length;
      return { events: page, cursor: from + n >= list.length ? null : String(from + n) };
    },
  };
  return store as Storage;
}

const sites: SiteDirectory = {
  autoCreate: true,
  resolve: async () => SITE,
  lookup: async () => SITE,
  forget: () => undefined,
  cachedSites: 0,
};

/** What the reader answered before it learned to stop early: every event of the person, sessionized. */
async function everyVisitRead(storage: Storage, query: VisitorQuery, codes: string[]) {
  const byCode = await eventsOfVisitorCodes(storage, SITE.id, codes);
  const visits: Visit[] = [];
  for (const [code, events] of byCode) visits.push(...sessionize(code, events, TIMEOUT));
  return visitorJson(splitCurrentVisit(visits, query.now, TIMEOUT), { siteCode: SITE.code, maxPreviousVisits: query.maxPreviousVisits, currentVisit: query.currentVisit, include: ALL });
}

let n = 0;
const nonce = () => (++n).toString(16).padStart(16, '0');
function event(identity: Identity, time: number, type: 'page' | 'conversion' = 'page'): VisitorEvent {
  const base = { identity, nonce: nonce(), time, receivedAt: time, itp: false, sdk: null };
  if (type === 'conversion') return { ...base, type, data: { goalId: 1, revenue: 2, negative: false, metadata: {} } };
  return { ...base, type, data: { href: 'https://x.example/', canonicalHref: null, title: 't', keyPagesIndices: [], referrerHref: null, referrersIndices: [] } };
}
const link = (code: string, value: string, time: number): VisitorEvent => ({
  type: 'customData',
  data: { index: 1, valuesCountMap: { [value]: 1 }, overwrite: true, mappingIdentifier: true },
  identity: { kind: 'visitorCode', value: code },
  nonce: nonce(),
  time,
  receivedAt: time,
  itp: false,
  sdk: null,
});

/** A person of up to three devices and two user ids, events in bursts (visits) with ties in time. */
const personArb = fc
  .record({
    bursts: fc.array(
      fc.record({
        identity: fc.constantFrom<Identity>({ kind: 'visitorCode', value: 'a' }, { kind: 'visitorCode', value: 'b' }, { kind: 'visitorCode', value: 'c' }, { kind: 'mappingValue', value: 'u1' }, { kind: 'mappingValue', value: 'a' }),
        start: fc.oneof(fc.integer({ min: 0, max: 6 * 60 }), fc.integer({ min: 0, max: 40 * 60 })),
        gaps: fc.array(fc.constantFrom(0, 0, 1, 5, 29, 30, 31), { maxLength: 8 }),
      }),
      { maxLength: 12 },
    ),
    links: fc.array(fc.record({ code: fc.constantFrom('a', 'b', 'c'), value: fc.constantFrom('u1', 'u1', 'u2'), at: fc.integer({ min: 0, max: 6 * 60 }) }), { maxLength: 4 }),
  })
  .map(({ bursts, links }) => {
    const events: VisitorEvent[] = links.map((l) => link(l.code, l.value, T0 + l.at * MIN));
    for (const burst of bursts) {
      let t = T0 + burst.start * MIN;
      events.push(event(burst.identity, t, 'conversion'));
      for (const gap of burst.gaps) events.push(event(burst.identity, (t += gap * MIN)));
    }
    return events;
  });

describe('GET /visit/visitor reads newest first and stops early', () => {
  it('answers exactly what reading every event answers, whatever the page boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        personArb,
        fc.constantFrom<Identity>({ kind: 'visitorCode', value: 'a' }, { kind: 'visitorCode', value: 'b' }, { kind: 'mappingValue', value: 'u1' }, { kind: 'mappingValue', value: 'u1' }, { kind: 'mappingValue', value: 'a' }),
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 8 * 60 }),
        fc.integer({ min: 1, max: 7 }),
        async (events, identity, maxPreviousVisits, currentVisit, nowOffset, pageCap) => {
          // Now is mostly shortly after the newest event, when the active visit is current.
          const newest = Math.max(T0, ...events.map((e) => e.time));
          const now = nowOffset < 60 ? newest + nowOffset * MIN : T0 + nowOffset * MIN;
          const query: VisitorQuery = { siteCode: SITE.code, identity, maxPreviousVisits, currentVisit, include: ALL, now };
          const storage = memoryStore(events, (limit) => Math.min(limit, pageCap));
          const answered = await readVisitor({ storage, sites }, query);
          // The codes the reader resolved, read in full the old way.
          const codes = new Set<string>();
          for (const v of [answered.currentVisit, ...(answered.previousVisits ?? [])]) if (v) codes.add(v.visitorCode);
          const full = await readVisitor({ storage: memoryStore(events, (limit) => limit), sites }, { ...query, maxPreviousVisits: 25, currentVisit: true });
          for (const v of [full.currentVisit, ...(full.previousVisits ?? [])]) if (v) codes.add(v.visitorCode);
          expect(answered).toEqual(await everyVisitRead(storage, query, codes.size > 0 ? [...codes] : [identity.value]));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reads the visits it returns and a page more, however long the history', async () => {
    const code: Identity = { kind: 'visitorCode', value: 'heavy' };
    const history: VisitorEvent[] = [];
    // 2,000 visits of 10 events, an hour apart.
    for (let v = 0; v < 2000; v++) for (let e = 0; e < 10; e++) history.push(event(code, T0 + v * 60 * MIN + e * MIN));
    const counter = { read: 0 };
    const storage = memoryStore(history, (limit) => limit, counter);
    const now = T0 + 2000 * 60 * MIN;
    const body = await readVisitor({ storage, sites }, { siteCode: SITE.code, identity: code, maxPreviousVisits: 2, currentVisit: true, include: ALL, now });
    expect(body.previousVisits).toHaveLength(2);
    expect(body.previousVisits![0]!.timeStarted).toBe(T0 + 1999 * 60 * MIN);
    expect(counter.read).toBeLessThanOrEqual(64 * 2);
  });
});
