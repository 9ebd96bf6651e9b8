import { personContributions } from '../core/attribution/contributions.ts';
import type { PersonKey } from '../core/attribution/person.ts';
import type { Identity } from '../core/events.ts';
import type { DirtyMark, PersonContributions, Storage } from '../storage/port.ts';
import { withRoundLinks } from './round-links.ts';
import { attributionOfPerson, attributionSettingsOf, noSeenIds, personsTouchedBy, seenIdsOf } from './person-state.ts';

const KINDS: Identity['kind'][] = ['visitorCode', 'mappingValue'];
/**
 * A round gives the event loop back at least this often. With SQLite every read is synchronous, so
 * a round of hundreds of persons would otherwise hold up acknowledgements and results requests.
 */
const SLICE_MS = 10;

export interface WorkerOptions {
  /** Marks claimed per round. */
  batch: number;
  /** How long a claim holds before another worker may take the marks over. */
  leaseMs: number;
  /** Pause between rounds when there is nothing to do. */
  idleMs: number;
  now: () => number;
  onError?: (error: unknown) => void;
}

/**
 * One round: claim dirty identities, recompute every person they touch from that person's events,
 * replace the person's contributions to the results, complete the marks. Answers how many marks
 * it handled. Safe to run in any number of processes: claims are leased, and a person's state is a
 * pure function of the events, so recomputing twice gives the same answer.
 */
export async function runAttributionRound(storage: Storage, options: Pick<WorkerOptions, 'batch' | 'leaseMs' | 'now'>): Promise<number> {
  const marks = await storage.claimDirty({ limit: options.batch, leaseMs: options.leaseMs, now: options.now() });
  if (marks.length === 0) return 0;
  const reader = withRoundLinks(storage);
  let sliceStarted = performance.now();
  const pause = async () => {
    if (performance.now() - sliceStarted < SLICE_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    sliceStarted = performance.now();
  };
  const bySite = new Map<number, DirtyMark[]>();
  for (const mark of marks) bySite.set(mark.siteId, [...(bySite.get(mark.siteId) ?? []), mark]);
  for (const [siteId, siteMarks] of bySite) {
    const site = await storage.siteById(siteId);
    if (!site) continue;
    const persons = new Set<PersonKey>();
    for (const mark of siteMarks) {
      const identity: Identity = { kind: KINDS[mark.idKind] ?? 'visitorCode', value: mark.identity };
      for (const person of await personsTouchedBy(reader, siteId, identity)) persons.add(person);
      await pause();
    }
    // One reading of the site's periods per round, not one per person.
    const settings = await attributionSettingsOf(storage, site);
    const seen = noSeenIds();
    const replaced: PersonContributions[] = [];
    for (const person of persons) {
      const { events, attributions } = await attributionOfPerson(reader, site, person, settings);
      seenIdsOf(events, seen);
      replaced.push({ personKey: person, next: personContributions(attributions) });
      await pause();
    }
    // One commit for the round: a commit waits for the disk, a person's recomputation does not.
    await storage.registerSeen(siteId, seen);
    await storage.replacePersonsContributions(siteId, replaced);
  }
  await storage.completeDirty(marks);
  return marks.length;
}

export interface AttributionWorker {
  /** Wakes the worker now (after a commit) instead of at its next idle tick. */
  kick(): void;
  /** Resolves when no mark is waiting (tests, graceful stop). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export function startAttributionWorker(storage: Storage, options: WorkerOptions): AttributionWorker {
  let stopped = false;
  let wake: (() => void) | null = null;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  const loop = (async () => {
    while (!stopped) {
      let handled = 0;
      try {
        handled = await runAttributionRound(storage, options);
      } catch (error) {
        options.onError?.(error);
      }
      if (handled === 0 && !stopped) await sleep(options.idleMs);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  })();

  return {
    kick() {
      wake?.();
    },
    async settle() {
      while ((await storage.dirtyBacklog()) > 0) {
        wake?.();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
