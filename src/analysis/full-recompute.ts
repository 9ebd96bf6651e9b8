import type { PersonKey } from '../core/attribution/person.ts';
import type { Identity, VisitorEvent } from '../core/events.ts';
import { quotasOf, type Site, type SiteQuotas } from '../core/site-settings.ts';
import { FROM_SCRATCH, type PersonContributions, type Storage } from '../storage/port.ts';
import { yieldEvery, type Pause } from '../loop-slices.ts';
import { withRoundLinks } from './round-links.ts';
import { attributionSettingsOf, noSeenIds, personsTouchedByAll, recomputeFromEvents, recomputePersons, seenIdsOf } from './person-state.ts';

/** Events one page of a site-wide recomputation reads (whole identities, so a little more). */
export const SCAN_PAGE_EVENTS = 2_000;
/**
 * Persons per replacePersonsContributions call. Each call is one writer transaction, and an append
 * that arrives while one runs waits for it (the writer lets appends go before the calls queued
 * after it, writer-order.ts): small ones keep an acknowledgement from waiting long. Smaller still
 * (20) gained the 1-event load about 10% and made the worker's catch-up 1.5× slower (docs/performance.md).
 */
const WRITE_CHUNK_PERSONS = 100;

export interface RecomputeStepOptions {
  leaseMs: number;
  now: () => number;
  quotas: SiteQuotas;
  /** Events per page (SCAN_PAGE_EVENTS) and how long a step goes on reading pages (STEP_MS): tests make them small. */
  pageEvents?: number;
  stepMs?: number;
}

/**
 * Writes persons' contributions in chunks of WRITE_CHUNK_PERSONS, each its own short transaction,
 * with the version taken before they were read (Storage.nextDerivedVersion).
 */
export async function replaceInChunks(storage: Storage, siteId: number, persons: readonly PersonContributions[], version: number): Promise<void> {
  for (let i = 0; i < persons.length; i += WRITE_CHUNK_PERSONS) {
    await storage.replacePersonsContributions(siteId, persons.slice(i, i + WRITE_CHUNK_PERSONS), { version });
  }
}

const keyOf = (identity: Identity) => `${identity.kind === 'visitorCode' ? 0 : 1}\u0000${identity.value}`;

/** A step reads and attributes pages for about this long before it lets the marks have a round. */
const STEP_MS = 100;
/** The worker gives its event loop back this often, so that the writes of the previous page go on meanwhile. */
const SLICE_MS = 5;

/**
 * Writes issued one after another, each once the previous one is done, while the caller goes on
 * reading and attributing: the writer thread writes page k while the worker attributes page k+1.
 * One at a time, so that the worker has one write at the writer at most: what queues there is appends.
 * After a failure nothing more is written (a later advance must not pass persons never written).
 */
class WriteChain {
  private last: Promise<unknown> = Promise.resolve();

  push(write: () => Promise<unknown>): void {
    this.last = this.last.then(write);
  }

  /** Resolves once every write is done; rejects with the first failure. */
  async done(): Promise<void> {
    await this.last;
  }
}

/** One page of a site's events, recomputed: every person it touches, with the ids seen. */
async function recomputePage(storage: Storage, site: Site, settings: Awaited<ReturnType<typeof attributionSettingsOf>>, events: readonly VisitorEvent[], pause: Pause) {
  const siteId = site.id;
  const identities = new Map<string, { identity: Identity; events: VisitorEvent[] }>();
  for (const event of events) {
    const key = keyOf(event.identity);
    const entry = identities.get(key);
    if (entry) entry.events.push(event);
    else identities.set(key, { identity: event.identity, events: [event] });
  }
  const codes = [...identities.values()].filter((i) => i.identity.kind === 'visitorCode').map((i) => i.identity.value);
  const reader = withRoundLinks(storage);
  // Which codes are more than themselves: linked (either way), or sent as a mapping value too.
  const [own, toThem, asValues] = await Promise.all([
    reader.linksOfVisitorCodes(siteId, codes),
    reader.linksOfMappingValues(siteId, codes),
    storage.eventsOf(siteId, codes.map((value): Identity => ({ kind: 'mappingValue', value }))),
  ]);
  const linked = new Set([...own.map((l) => l.visitorCode), ...toThem.map((l) => l.mappingValue), ...asValues.map((e) => e.identity.value)]);

  const seen = noSeenIds();
  const replaced = new Map<PersonKey, PersonContributions>();
  const others: Identity[] = [];
  for (const { identity, events: own } of identities.values()) {
    if (identity.kind === 'visitorCode' && !linked.has(identity.value)) {
      const person: PersonKey = `v:${identity.value}`;
      const byCode = new Map([[identity.value, own]]);
      seenIdsOf(byCode, seen);
      replaced.set(person, { personKey: person, ...recomputeFromEvents(byCode, settings, [identity.value]) });
      await pause();
    } else others.push(identity);
  }
  // Every other person of the page recomputed with their links and events read together.
  const touched = [...new Set((await personsTouchedByAll(reader, siteId, others)).flat())];
  const results = await recomputePersons(reader, site, touched.map((person) => ({ person, state: undefined, since: FROM_SCRATCH })), settings, pause);
  results.forEach((result, i) => {
    const person = touched[i]!;
    seenIdsOf(result.events, seen);
    replaced.set(person, { personKey: person, next: result.next, state: result.state });
  });
  return { persons: [...replaced.values()], seen };
}

/**
 * One step of a site-wide recomputation (Storage.markAllDirty): claims one of its parts (a lease:
 * a node that dies mid-step hands it over when the lease runs out, and the next step goes to
 * whichever worker claims it; workers holding different parts run at once), then for about STEP_MS
 * reads the part's next pages of the site's events in the store's scan order (whole identities)
 * and recomputes their persons from scratch:
 * - a visitor code with no link either way and no events sent under it as a mapping value is a
 *   person on its own, whose events are exactly the ones the page holds: attributed at once, with
 *   no further read (nearly every person of most sites);
 * - every other identity (linked codes, mapping values) has its persons recomputed the ordinary
 *   way, reading their events and links together (recomputePersons).
 * Each page's contributions are written in short chunks, then the scan's cursor moves on (in that
 * order: a crash never skips persons). Marks made meanwhile are handled by ordinary rounds as
 * usual: each write is a person's state as the store stood when it was read, and whatever changed
 * after that read has a mark of its own. Answers the persons recomputed (0: none was waiting).
 */
export async function runRecomputeStep(storage: Storage, options: RecomputeStepOptions): Promise<number> {
  const claimed = await storage.claimSiteRecompute({ leaseMs: options.leaseMs, now: options.now() });
  if (!claimed) return 0;
  const site = await storage.siteById(claimed.siteId);
  if (!site) {
    await storage.advanceSiteRecompute(claimed, { cursor: null, persons: 0, leaseMs: 0, now: options.now() });
    return 0;
  }
  const settings = await attributionSettingsOf(storage, site);
  const started = performance.now();
  const pause = yieldEvery(SLICE_MS);
  const writes = new WriteChain();
  let job = claimed;
  let lost = false;
  let total = 0;
  try {
    for (;;) {
      // Taken before the page is read: a round that reads these persons later writes with a larger one and stays.
      const version = await storage.nextDerivedVersion();
      const page = await storage.scanEvents(site.id, { cursor: job.cursor, limit: options.pageEvents ?? SCAN_PAGE_EVENTS });
      const { persons, seen } = await recomputePage(storage, site, settings, page.events, pause);
      total += persons.length;
      const from = job;
      job = { ...job, cursor: page.cursor, done: job.done + persons.length };
      writes.push(() => storage.registerSeen(site.id, seen, { maxEntries: quotasOf(site, options.quotas).registryEntries }));
      writes.push(() => replaceInChunks(storage, site.id, persons, version));
      // False when the site was marked again meanwhile (the scan then starts over) or another worker took over.
      writes.push(async () => {
        if (!(await storage.advanceSiteRecompute(from, { cursor: page.cursor, persons: persons.length, leaseMs: options.leaseMs, now: options.now() }))) lost = true;
      });
      if (page.cursor === null || lost || performance.now() - started >= (options.stepMs ?? STEP_MS)) break;
      await pause();
    }
  } catch (error) {
    // What was issued still lands in order (or stops at its first failure); the lease hands the rest over.
    await writes.done().catch(() => undefined);
    throw error;
  }
  await writes.done();
  // The lease ends with the step: the next step goes to whichever worker claims it.
  if (!lost && job.cursor !== null) await storage.advanceSiteRecompute(job, { cursor: job.cursor, persons: 0, leaseMs: 0, now: options.now() });
  return Math.max(1, total);
}
