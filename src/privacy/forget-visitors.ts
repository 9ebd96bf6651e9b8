import { setImmediate as yieldToOtherRequests } from 'node:timers/promises';
import { eventsOfVisitorCodes } from '../analysis/read-visitor.ts';
import { AnoleError } from '../core/error-codes.ts';
import type { Identity } from '../core/events.ts';
import { identifierProblem } from '../core/identifiers.ts';
import { personVisitorCodes } from '../core/identity.ts';
import { LIMITS } from '../core/limits.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { ForgetCounts, ForgetPlan, Storage } from '../storage/port.ts';

export interface ForgetDeps {
  storage: Storage;
  sites: SiteDirectory;
}

export interface ForgetReport extends ForgetCounts {
  /** Visitor codes named by the request (after de-duplication). */
  named: number;
  /** Visitor codes forgotten, including those of persons named by a user id. */
  visitorCodes: number;
}

/** The body of POST /visit/forget: one visitor code per line; blank lines are ignored. */
export function parseForgetBody(body: string): string[] {
  const codes = new Set<string>();
  const lines = body.split('\n');
  for (const [i, raw] of lines.entries()) {
    const code = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (code.trim() === '') continue;
    const problem = identifierProblem(code, LIMITS.identityLength);
    if (problem) throw new AnoleError('invalid_body', `line ${i + 1}: a visitor code ${problem}`);
    codes.add(code);
    if (codes.size > LIMITS.forgetVisitorsPerRequest) {
      throw new AnoleError('too_many_visitors', `one request may name at most ${LIMITS.forgetVisitorsPerRequest} visitor codes; split the list`);
    }
  }
  return [...codes];
}

/**
 * The plan for the named codes. A named code is forgotten with every event it sent, every event
 * sent under a mapping value that resolves to it, the links it made and its map key. A named code
 * that is also a user id (a mapping value some code was linked to) names a person: every visitor
 * code currently linked to it is forgotten too, with every event sent under that user id and every
 * link to it. A device once linked to the user id but since linked to another person keeps its own
 * data: it is no longer that person's.
 */
async function planFor(storage: Storage, siteId: number, named: readonly string[]): Promise<{ plan: ForgetPlan; codes: string[] }> {
  const codes = new Set(named);
  const linksToNamed = await storage.linksOfMappingValues(siteId, named);
  const candidates = [...new Set(linksToNamed.map((l) => l.visitorCode))];
  const candidateLinks = await storage.linksOfVisitorCodes(siteId, candidates);
  for (const value of new Set(linksToNamed.map((l) => l.mappingValue))) {
    for (const code of personVisitorCodes(value, [...linksToNamed, ...candidateLinks])) codes.add(code);
  }
  const all = [...codes];
  const identities: Identity[] = [
    ...all.map((value): Identity => ({ kind: 'visitorCode', value })),
    ...named.map((value): Identity => ({ kind: 'mappingValue', value })),
  ];
  const namedValues = new Set(named);
  const events: ForgetPlan['events'][number][] = [];
  const withEvents = new Set<string>();
  const valuesWithEvents = new Set<string>();
  for (const [code, owned] of await eventsOfVisitorCodes(storage, siteId, all)) {
    if (owned.length > 0) withEvents.add(code);
    for (const event of owned) {
      if (event.identity.kind !== 'mappingValue') continue;
      valuesWithEvents.add(event.identity.value);
      if (!namedValues.has(event.identity.value)) events.push({ identity: event.identity, nonce: event.nonce });
    }
  }
  // Persons the forgotten codes belonged to, or were ever linked into, lose their contributions to
  // results: mark the codes and every value they were linked to, while the links still say so. A
  // code with no event and no link has no contributions: it is not marked, so forgetting unknown
  // codes gives the attribution worker nothing to do.
  const ownLinks = await storage.linksOfVisitorCodes(siteId, all);
  const linkedCodes = new Set(ownLinks.map((l) => l.visitorCode));
  const linkedValues = new Set([...linksToNamed, ...ownLinks].map((l) => l.mappingValue));
  const dirty: Identity[] = [
    ...all.filter((code) => withEvents.has(code) || linkedCodes.has(code)).map((value): Identity => ({ kind: 'visitorCode', value })),
    ...[...new Set([...linkedValues, ...named.filter((v) => valuesWithEvents.has(v))])].map((value): Identity => ({ kind: 'mappingValue', value })),
  ];
  return {
    codes: all,
    plan: { identities, events, linkVisitorCodes: all, linkMappingValues: named, mapKeys: all, dirty },
  };
}

/**
 * Named codes planned and deleted per transaction. At the documented limit (10,000 codes on a site
 * holding data) one transaction held the event loop 6 s on SQLite; a batch of 100 holds it for a
 * few tens of milliseconds, and other requests run between batches.
 */
export const FORGET_BATCH = 100;

/**
 * POST /visit/forget: deletes every stored trace of the named visitors, in batches of FORGET_BATCH
 * codes, each planned and deleted in its own transaction, yielding to other requests in between.
 * Idempotent, so a request cut short (a crash between batches) is completed by sending it again;
 * it is answered only once every batch is done.
 */
export async function forgetVisitors(deps: ForgetDeps, request: { siteCode: string; body: string }): Promise<ForgetReport> {
  const named = parseForgetBody(request.body);
  const site = await deps.sites.lookup(request.siteCode);
  if (!site) {
    if (!deps.sites.autoCreate) throw new AnoleError('unknown_site', `site ${request.siteCode} is not registered`);
    return { named: named.length, visitorCodes: 0, events: 0, links: 0, maps: 0 };
  }
  const report: ForgetReport = { named: named.length, visitorCodes: 0, events: 0, links: 0, maps: 0 };
  const forgotten = new Set<string>();
  for (let start = 0; start < named.length; start += FORGET_BATCH) {
    if (start > 0) await yieldToOtherRequests();
    const { plan, codes } = await planFor(deps.storage, site.id, named.slice(start, start + FORGET_BATCH));
    const counts = await deps.storage.forgetVisitors(site.id, plan);
    for (const code of codes) forgotten.add(code);
    report.events += counts.events;
    report.links += counts.links;
    report.maps += counts.maps;
  }
  report.visitorCodes = forgotten.size;
  return report;
}
