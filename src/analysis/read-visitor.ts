import { AnoleError } from '../core/error-codes.ts';
import type { EventType, Identity, VisitorEvent } from '../core/events.ts';
import { currentMappingValue, personVisitorCodes, resolveMappingValue, type IdentityLink } from '../core/identity.ts';
import { pushTo } from '../core/lists-by-key.ts';
import { visitorJson, type VisitorJson } from '../core/visitor-view.ts';
import { newestVisits } from '../core/newest-visits.ts';
import { splitCurrentVisit, type Visit } from '../core/visits.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import { FROM_SCRATCH, type EventRange, type Storage } from '../storage/port.ts';

export interface VisitorQuery {
  siteCode: string;
  identity: Identity;
  maxPreviousVisits: number;
  currentVisit: boolean;
  include: ReadonlySet<EventType>;
  now: number;
}

export interface ReadDeps {
  storage: Storage;
  sites: SiteDirectory;
}

/** Per mapping value, the links resolveMappingValue needs: those to the value and every link of the codes linked to it. */
function linksForResolution(valueLinks: readonly IdentityLink[], linksOfLinkedCodes: readonly IdentityLink[]): Map<string, IdentityLink[]> {
  const linksByCode = new Map<string, IdentityLink[]>();
  for (const link of linksOfLinkedCodes) pushTo(linksByCode, link.visitorCode, link);
  const linksByValue = new Map<string, IdentityLink[]>();
  for (const link of valueLinks) {
    const list = linksByValue.get(link.mappingValue) ?? [];
    list.push(link, ...(linksByCode.get(link.visitorCode) ?? []));
    linksByValue.set(link.mappingValue, list);
  }
  return linksByValue;
}

/** Visitor codes whose events to read together (one person), from `since` on (FROM_SCRATCH: every event). */
export interface CodeGroup {
  codes: readonly string[];
  since: number;
}

/**
 * Every event that belongs to these visitor codes: those sent with the code itself, and those sent
 * with a mapping value that resolves to the code (by the link history at the event's time).
 */
export async function eventsOfVisitorCodes(
  storage: Storage,
  siteId: number,
  visitorCodes: readonly string[],
  options: { since?: number } = {},
): Promise<Map<string, VisitorEvent[]>> {
  const [byCode] = await eventsOfCodeGroups(storage, siteId, [{ codes: visitorCodes, since: options.since ?? FROM_SCRATCH }]);
  return byCode!;
}

/**
 * eventsOfVisitorCodes for many groups at once (a worker round's persons), in a fixed number of
 * port calls whatever the number of groups: the codes' links, the links to the values they may be
 * sent under, and every group's events in one eventsSince.
 */
export async function eventsOfCodeGroups(storage: Storage, siteId: number, groups: readonly CodeGroup[]): Promise<Map<string, VisitorEvent[]>[]> {
  const allCodes = [...new Set(groups.flatMap((g) => g.codes))];
  if (allCodes.length === 0) return groups.map(() => new Map());
  const valuesOfCode = new Map<string, string[]>();
  for (const link of await storage.linksOfVisitorCodes(siteId, allCodes)) pushTo(valuesOfCode, link.visitorCode, link.mappingValue);
  const ranges: EventRange[] = [];
  const identitiesOf = groups.map(({ codes, since }) => {
    // A mapping value with no link resolves to itself, so each code is also a candidate value.
    const values = [...new Set([...codes, ...codes.flatMap((code) => valuesOfCode.get(code) ?? [])])];
    const identities = [
      ...codes.map((value): Identity => ({ kind: 'visitorCode', value })),
      ...values.map((value): Identity => ({ kind: 'mappingValue', value })),
    ];
    for (const identity of identities) ranges.push({ identity, since });
    return identities;
  });
  const values = [...new Set(ranges.filter((r) => r.identity.kind === 'mappingValue').map((r) => r.identity.value))];
  const [valueLinks, events] = await Promise.all([storage.linksOfMappingValues(siteId, values), storage.eventsSince(siteId, ranges)]);
  // A code linked to a value may have been re-linked elsewhere since; resolution needs its links too.
  const linkedCodes = [...new Set(valueLinks.map((l) => l.visitorCode))];
  const linksByValue = linksForResolution(valueLinks, await storage.linksOfVisitorCodes(siteId, linkedCodes));

  const eventsOf = new Map<string, VisitorEvent[]>();
  for (const event of events) pushTo(eventsOf, identityKey(event.identity), event);
  return groups.map(({ codes, since }, i) => {
    const byCode = new Map<string, VisitorEvent[]>(codes.map((code) => [code, []]));
    for (const identity of identitiesOf[i]!) {
      for (const event of eventsOf.get(identityKey(identity)) ?? []) {
        if (event.time < since) continue;
        const owner =
          event.identity.kind === 'visitorCode'
            ? event.identity.value
            : resolveMappingValue(event.identity.value, event.time, linksByValue.get(event.identity.value) ?? []);
        byCode.get(owner)?.push(event);
      }
    }
    return byCode;
  });
}

const identityKey = (identity: Identity) => `${identity.kind}\u0000${identity.value}`;

/** The visitor codes a query addresses: one code, or every code of the person a mapping value names. */
async function visitorCodesOf(storage: Storage, siteId: number, identity: Identity): Promise<string[]> {
  if (identity.kind === 'visitorCode') return [identity.value];
  const toValue = await storage.linksOfMappingValues(siteId, [identity.value]);
  const candidates = [...new Set([identity.value, ...toValue.map((l) => l.visitorCode)])];
  const allLinks = await storage.linksOfVisitorCodes(siteId, candidates);
  const codes = personVisitorCodes(identity.value, [...toValue, ...allLinks]);
  if (codes.length > 0) return codes;
  // Once a device's code carries a mapping identifier, the JavaScript SDK asks `mappingValue=<that
  // code>`: answer the person the code now belongs to (whose codes include it, so this ends here).
  const owner = currentMappingValue(identity.value, allLinks);
  return owner === null ? [] : visitorCodesOf(storage, siteId, { kind: 'mappingValue', value: owner });
}

/** Events of one identity, read newest first a page at a time. */
interface Stream {
  identity: Identity;
  /** Read but not yet taken, newest first. */
  buffer: VisitorEvent[];
  cursor: string | null;
  exhausted: boolean;
  limit: number;
}

/** First page of each identity: most visitors' whole history; later pages grow to bound the calls. */
const FIRST_PAGE = 64;
const LARGEST_PAGE = 4096;

async function fill(storage: Storage, siteId: number, stream: Stream): Promise<void> {
  const page = await storage.eventPage(siteId, stream.identity, { limit: stream.limit, cursor: stream.cursor });
  stream.buffer.push(...page.events);
  stream.cursor = page.cursor;
  stream.exhausted = page.cursor === null;
  stream.limit = Math.min(LARGEST_PAGE, stream.limit * 4);
}

/**
 * The visits GET /visit/visitor answers, read newest first: the identities' events are merged by
 * time, a page at a time, until the active visit and the `maxPreviousVisits` newest others are
 * whole (core/newest-visits.ts). The cost is the events of those visits plus one page per
 * identity, whatever the length of the visitor's history.
 */
async function newestVisitsOf(storage: Storage, siteId: number, codes: readonly string[], query: VisitorQuery, timeout: number): Promise<Visit[]> {
  const { identities, ownerOf } = await identitiesOfCodes(storage, siteId, codes);
  const streams: Stream[] = identities.map((identity) => ({ identity, buffer: [], cursor: null, exhausted: false, limit: FIRST_PAGE }));
  const collected = new Map<string, VisitorEvent[]>(codes.map((code) => [code, []]));
  await Promise.all(streams.map((stream) => fill(storage, siteId, stream)));
  for (;;) {
    // Every event newer than the oldest buffered one of each stream that has more is known.
    const unread = streams.filter((s) => !s.exhausted);
    const bound = unread.length === 0 ? null : Math.max(...unread.map((s) => s.buffer.at(-1)?.time ?? Number.MAX_SAFE_INTEGER));
    for (const stream of streams) {
      let taken = 0;
      while (taken < stream.buffer.length && (bound === null || stream.buffer[taken]!.time > bound)) taken += 1;
      for (const event of stream.buffer.splice(0, taken)) {
        const owner = ownerOf(event);
        if (owner !== null) collected.get(owner)?.push(event);
      }
    }
    const result = newestVisits(collected, bound, { maxPreviousVisits: query.maxPreviousVisits, visitTimeoutMs: timeout });
    if (result.done) return result.visits;
    // Read on in the streams that hold the bound: their next page moves it back.
    await Promise.all(unread.filter((s) => s.buffer.length === 0 || s.buffer.at(-1)!.time === bound).map((s) => fill(storage, siteId, s)));
  }
}

/**
 * The identities whose events may belong to these visitor codes (the codes, and every mapping
 * value that may resolve to one of them), and the code each event of theirs belongs to (null: to
 * another person), by the same rules as eventsOfVisitorCodes.
 */
async function identitiesOfCodes(
  storage: Storage,
  siteId: number,
  visitorCodes: readonly string[],
): Promise<{ identities: Identity[]; ownerOf: (event: VisitorEvent) => string | null }> {
  const codeLinks = await storage.linksOfVisitorCodes(siteId, visitorCodes);
  const values = [...new Set([...visitorCodes, ...codeLinks.map((l) => l.mappingValue)])];
  const valueLinks = await storage.linksOfMappingValues(siteId, values);
  const linkedCodes = [...new Set(valueLinks.map((l) => l.visitorCode))];
  const linksOfLinkedCodes = await storage.linksOfVisitorCodes(siteId, linkedCodes);
  const linksByValue = linksForResolution(valueLinks, linksOfLinkedCodes);
  const codes = new Set(visitorCodes);
  return {
    identities: [
      ...visitorCodes.map((value): Identity => ({ kind: 'visitorCode', value })),
      ...values.map((value): Identity => ({ kind: 'mappingValue', value })),
    ],
    ownerOf(event) {
      const owner =
        event.identity.kind === 'visitorCode'
          ? event.identity.value
          : resolveMappingValue(event.identity.value, event.time, linksByValue.get(event.identity.value) ?? []);
      return codes.has(owner) ? owner : null;
    },
  };
}

/** GET /visit/visitor: the visits of a visitor code, or of every code of a person, as Kameleoon shapes them. */
export async function readVisitor(deps: ReadDeps, query: VisitorQuery): Promise<VisitorJson> {
  const site = await deps.sites.lookup(query.siteCode);
  if (!site) {
    if (deps.sites.autoCreate) return {};
    throw new AnoleError('unknown_site', `site ${query.siteCode} is not registered`);
  }
  if (!query.currentVisit && query.maxPreviousVisits === 0) return {};
  const timeout = site.settings.visitTimeoutMs;
  const codes = await visitorCodesOf(deps.storage, site.id, query.identity);
  const visits = codes.length === 0 ? [] : await newestVisitsOf(deps.storage, site.id, codes, query, timeout);
  const split = splitCurrentVisit(visits, query.now, timeout);
  return visitorJson(split, {
    siteCode: site.code,
    maxPreviousVisits: query.maxPreviousVisits,
    currentVisit: query.currentVisit,
    include: query.include,
  });
}
