import { AnoleError } from '../core/error-codes.ts';
import type { EventType, Identity, VisitorEvent } from '../core/events.ts';
import { currentMappingValue, personVisitorCodes, resolveMappingValue, type IdentityLink } from '../core/identity.ts';
import { visitorJson, type VisitorJson } from '../core/visitor-view.ts';
import { sessionize, splitCurrentVisit, type Visit } from '../core/visits.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { Storage } from '../storage/port.ts';

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

/**
 * Every event that belongs to these visitor codes: those sent with the code itself, and those sent
 * with a mapping value that resolves to the code (by the link history at the event's time).
 */
export async function eventsOfVisitorCodes(
  storage: Storage,
  siteId: number,
  visitorCodes: readonly string[],
): Promise<Map<string, VisitorEvent[]>> {
  const codeLinks = await storage.linksOfVisitorCodes(siteId, visitorCodes);
  // A mapping value with no link resolves to itself, so each code is also a candidate value.
  const values = [...new Set([...visitorCodes, ...codeLinks.map((l) => l.mappingValue)])];
  const [valueLinks, events] = await Promise.all([
    storage.linksOfMappingValues(siteId, values),
    storage.eventsOf(siteId, [
      ...visitorCodes.map((value): Identity => ({ kind: 'visitorCode', value })),
      ...values.map((value): Identity => ({ kind: 'mappingValue', value })),
    ]),
  ]);
  // A code linked to a value may have been re-linked elsewhere since; resolution needs its links too.
  const linkedCodes = [...new Set(valueLinks.map((l) => l.visitorCode))];
  const linksOfLinkedCodes = await storage.linksOfVisitorCodes(siteId, linkedCodes);
  const linksByCode = new Map<string, IdentityLink[]>();
  for (const link of linksOfLinkedCodes) linksByCode.set(link.visitorCode, [...(linksByCode.get(link.visitorCode) ?? []), link]);
  const linksByValue = new Map<string, IdentityLink[]>();
  for (const link of valueLinks) {
    const list = linksByValue.get(link.mappingValue) ?? [];
    list.push(link, ...(linksByCode.get(link.visitorCode) ?? []));
    linksByValue.set(link.mappingValue, list);
  }

  const byCode = new Map<string, VisitorEvent[]>(visitorCodes.map((code) => [code, []]));
  for (const event of events) {
    const owner =
      event.identity.kind === 'visitorCode'
        ? event.identity.value
        : resolveMappingValue(event.identity.value, event.time, linksByValue.get(event.identity.value) ?? []);
    byCode.get(owner)?.push(event);
  }
  return byCode;
}

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

/** GET /visit/visitor: the visits of a visitor code, or of every code of a person, as Kameleoon shapes them. */
export async function readVisitor(deps: ReadDeps, query: VisitorQuery): Promise<VisitorJson> {
  const site = await deps.sites.lookup(query.siteCode);
  if (!site) {
    if (deps.sites.autoCreate) return {};
    throw new AnoleError('unknown_site', `site ${query.siteCode} is not registered`);
  }
  const timeout = site.settings.visitTimeoutMs;
  const codes = await visitorCodesOf(deps.storage, site.id, query.identity);
  const eventsByCode = await eventsOfVisitorCodes(deps.storage, site.id, codes);
  const visits: Visit[] = [];
  for (const [code, events] of eventsByCode) visits.push(...sessionize(code, events, timeout));
  const split = splitCurrentVisit(visits, query.now, timeout);
  return visitorJson(split, {
    siteCode: site.code,
    maxPreviousVisits: query.maxPreviousVisits,
    currentVisit: query.currentVisit,
    include: query.include,
  });
}
