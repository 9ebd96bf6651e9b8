import type { PersonKey } from '../core/attribution/person.ts';
import type { Identity } from '../core/events.ts';
import { pushTo } from '../core/lists-by-key.ts';
import { quotasOf, type SiteQuotas } from '../core/site-settings.ts';
import type { DirtyMark, PersonContributions, Storage } from '../storage/port.ts';
import { withRoundLinks } from './round-links.ts';
import { attributionSettingsOf, noSeenIds, personsTouchedByAll, recomputePersons, seenIdsOf } from './person-state.ts';
import { replaceInChunks, runRecomputeStep } from './full-recompute.ts';
import { yieldEvery } from '../loop-slices.ts';

const KINDS: Identity['kind'][] = ['visitorCode', 'mappingValue'];
/**
 * A round gives the event loop back at least this often. With SQLite every read is synchronous, so
 * a round of hundreds of persons would otherwise hold up acknowledgements and results requests.
 */
const SLICE_MS = 10;
/** Persons whose events one read of a round fetches (eventsOfCodeGroups): a few reads a round, bounded memory. */
const READ_CHUNK_PERSONS = 100;

export interface WorkerOptions {
  /** Marks claimed per round. */
  batch: number;
  /** How long a claim holds before another worker may take the marks over. */
  leaseMs: number;
  /** Pause between rounds when there is nothing to do. */
  idleMs: number;
  /**
   * Pause after a round that took fewer marks than `batch` (the backlog is then nearly empty), not
   * cut short by kicks: marks that arrive meanwhile are handled together in the next round. Under a
   * steady trickle of events this turns hundreds of tiny rounds a second, each a few writer
   * transactions that appends wait behind, into a few rounds of many marks; results lag by at most
   * this much more.
   */
  gatherMs: number;
  now: () => number;
  /** The server's default quotas: ids seen in events are registered only while the site's registry has room. */
  quotas: SiteQuotas;
  onError?: (error: unknown) => void;
  /** Called after each round that handled marks. */
  onRound?: (report: RoundReport) => void;
}

/** What a round did: marks handled, persons recomputed, how many of those incrementally, and persons a site-wide recomputation did. */
export interface RoundReport {
  marks: number;
  persons: number;
  incremental: number;
  scanned: number;
}

/**
 * One round: the dirty marks (markedRound), then one step of a site-wide recomputation when one
 * is waiting (full-recompute.ts), so that marks keep being handled while a large site is
 * recomputed from scratch.
 */
export async function runAttributionRound(storage: Storage, options: Pick<WorkerOptions, 'batch' | 'leaseMs' | 'now' | 'quotas'>): Promise<RoundReport> {
  const report = await markedRound(storage, options);
  report.scanned = await runRecomputeStep(storage, options);
  return report;
}

/**
 * Claim dirty identities, recompute every person they touch (incrementally when the person's
 * stored state allows, see recomputePersons), replace the person's contributions to the results,
 * complete the marks. Safe to run in any number of processes: claims are leased, and a person's
 * state is a pure function of the events, so recomputing twice gives the same answer.
 */
export async function markedRound(storage: Storage, options: Pick<WorkerOptions, 'batch' | 'leaseMs' | 'now' | 'quotas'>): Promise<RoundReport> {
  const report: RoundReport = { marks: 0, persons: 0, incremental: 0, scanned: 0 };
  const marks = await storage.claimDirty({ limit: options.batch, leaseMs: options.leaseMs, now: options.now() });
  if (marks.length === 0) return report;
  // After the claim, before any read: a worker that reads these persons later writes with a larger
  // version, and its write stays whichever lands last (Storage.replacePersonsContributions).
  const version = await storage.nextDerivedVersion();
  report.marks = marks.length;
  const reader = withRoundLinks(storage);
  const pause = yieldEvery(SLICE_MS);
  const bySite = new Map<number, DirtyMark[]>();
  for (const mark of marks) pushTo(bySite, mark.siteId, mark);
  for (const [siteId, siteMarks] of bySite) {
    const site = await storage.siteById(siteId);
    if (!site) continue;
    // Each person touched, with the oldest event time among the marks that touched it: the links
    // of every mark read together (personsTouchedByAll), not one mark after another.
    const touched = await personsTouchedByAll(
      reader,
      siteId,
      siteMarks.map((mark): Identity => ({ kind: KINDS[mark.idKind] ?? 'visitorCode', value: mark.identity })),
    );
    const persons = new Map<PersonKey, number>();
    siteMarks.forEach((mark, i) => {
      for (const person of touched[i]!) persons.set(person, Math.min(persons.get(person) ?? Infinity, mark.since));
    });
    // One reading of the site's periods and of the persons' states per round, not one per person.
    const settings = await attributionSettingsOf(storage, site);
    const states = await storage.personStates(siteId, [...persons.keys()]);
    const seen = noSeenIds();
    const replaced: PersonContributions[] = [];
    const pending = [...persons].map(([person, since]) => ({ person, state: states.get(person), since }));
    // The persons' events in a few set-based reads, READ_CHUNK_PERSONS at a time (a round of
    // heavy persons never holds all their events at once).
    for (let i = 0; i < pending.length; i += READ_CHUNK_PERSONS) {
      const chunk = pending.slice(i, i + READ_CHUNK_PERSONS);
      const results = await recomputePersons(reader, site, chunk, settings, pause);
      results.forEach((result, k) => {
        seenIdsOf(result.events, seen);
        replaced.push({ personKey: chunk[k]!.person, next: result.next, state: result.state });
        report.persons += 1;
        if (result.incremental) report.incremental += 1;
      });
    }
    // Ids the registry has no room for stay unregistered (their events are stored and attributed
    // all the same); the store counts them for the site's usage and /metrics. Contributions go in
    // short transactions (replaceInChunks), so that appends never wait long behind a round.
    await storage.registerSeen(siteId, seen, { maxEntries: quotasOf(site, options.quotas).registryEntries });
    await replaceInChunks(storage, siteId, replaced, version);
  }
  await storage.completeDirty(marks);
  return report;
}

export interface AttributionWorker {
  /** Wakes the worker now (after a commit) instead of at its next idle tick. */
  kick(): void;
  /** Resolves when no mark is waiting and no round is running (tests, graceful stop). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export function startAttributionWorker(storage: Storage, options: WorkerOptions): AttributionWorker {
  let stopped = false;
  /** Ends the current pause, whichever it is (stop, settle). */
  let cut: (() => void) | null = null;
  /** Ends the current pause if a kick may end it (an idle pause; a gathering one waits its time out). */
  let wake: (() => void) | null = null;
  /** A round's marks are completed before its report is made: settle waits for the round itself too. */
  let inRound = false;
  const pause = (ms: number, kickable: boolean) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        cut = wake = null;
        resolve();
      }
      cut = done;
      if (kickable) wake = done;
    });

  const loop = (async () => {
    while (!stopped) {
      let handled = 0;
      let scanning = false;
      inRound = true;
      try {
        const report = await runAttributionRound(storage, options);
        handled = report.marks;
        scanning = report.scanned > 0;
        if (handled > 0 || scanning) options.onRound?.(report);
      } catch (error) {
        options.onError?.(error);
      }
      inRound = false;
      if (stopped) break;
      // A site-wide recomputation under way goes on at once: it has a whole site to do.
      if (handled === 0 && !scanning) await pause(options.idleMs, true);
      else if (!scanning && handled < options.batch && options.gatherMs > 0) await pause(options.gatherMs, false);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  })();

  return {
    kick() {
      wake?.();
    },
    async settle() {
      while (inRound || (await storage.dirtyBacklog()) > 0) {
        cut?.();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async stop() {
      stopped = true;
      cut?.();
      await loop;
    },
  };
}
