import type Database from 'better-sqlite3';
import type { LoggedKey } from './sqlite-event-keys.ts';
import type { IdentityTail } from './sqlite-identity-tail.ts';
import type { KeyRows } from './sqlite-key-table.ts';
import { ROWS_PER_STATEMENT } from './sqlite-row-batch.ts';

/** Identities whose counts the writer keeps per generation; older ones are read again when needed. */
const KEPT = 100_000;

export interface IdentityCount {
  /**
   * Events the identity holds now, counting those accepted earlier in the running transaction:
   * the writer adds one to the count `of` answered for each event it accepts.
   */
  n: number;
  /**
   * Whether the on-disk key index may hold some of its events. When it cannot (an identity whose
   * events all arrived since the last merge: most events of a visit), de-duplication needs only
   * the exact tail and skips the index probe.
   */
  indexed: boolean;
  /**
   * Whether some of its keys in the index are older than the log's filter (EventLog.filteredAfter).
   * When none is, a key the filter has never seen is not in the index either, and the probe is
   * skipped for it too.
   */
  beforeFilter: boolean;
}

export interface IdentityCounts {
  /** The count of each key's identity (the same object for keys of one identity). */
  of(keys: readonly Pick<LoggedKey, 'siteId' | 'vkey'>[]): IdentityCount[];
  /** One more event another handle stored: counted if the identity's count is held. */
  seen(siteId: number, vkey: number): void;
  /** A merge moved these keys from the tail into the index: their identities may now be found there. */
  merged(keys: Pick<KeyRows, 'length' | 'siteAt' | 'vkeyAt'>): void;
  /** The transaction rolled back, or rows were deleted: counts read from now on come from the store. */
  reset(): void;
  /** The log's filter holds every key of the index now: no identity has keys older than it. */
  filterWarm(): void;
}

/** A site's held counts: the recently used ones, and the generation before them. */
interface Generations {
  young: Map<number, IdentityCount>;
  old: Map<number, IdentityCount>;
}

/** What the event log's key filter tells (EventLog.filteredAfter, EventLog.identityMayBeIndexed). */
export interface CountFilter {
  filteredAfter(): number;
  identityMayBeIndexed(siteId: number, vkey: number): boolean;
}

/**
 * How many events each identity holds, for the per-identity cap, and whether the index holds any
 * of them. Identities are named by (site, identity hash), as in the index and the tail: a collision
 * can only over-count, by the other identity's events, or send the check to the index for nothing.
 * Counted once from the key index and the tail, then kept up to date by the writer as it accepts
 * events. Another handle's rows are counted as this one catches up on them (`seen`), so the cap
 * holds with several writers on one file.
 *
 * Held counts are two generations per site instead of an LRU list: a hit in the young one costs one
 * Map lookup (an LRU's delete and re-insert per event cost more than the count), a hit in the old one
 * moves the count up, and once the young one holds KEPT counts the old one is dropped. An
 * identity the log's key filter has never seen has no key in the index, and is counted from the
 * tail alone, without a read.
 */
export function sqliteIdentityCounts(db: Database.Database, tails: () => readonly IdentityTail[], filter: CountFilter): IdentityCounts {
  // Keys of a merge in progress are in the index and still in its tail: the index counts only up to
  // the watermark, the tails the rest.
  // Counts not held are read for a whole batch at once, ROWS_PER_STATEMENT identities a statement:
  // a statement call costs more than the lookup, and most identities of a batch of new visitors
  // are not held. Hashes are never negative, so -1 pads a short statement without matching a row.
  const indexed = db.prepare<unknown[], { vkey: number; all: number; merged: number | null; unfiltered: number | null }>(
    `WITH q (vkey) AS (VALUES ${Array<string>(ROWS_PER_STATEMENT).fill('(?)').join(', ')})
     SELECT q.vkey AS vkey, count(k.seq) AS "all", sum(k.seq <= (SELECT value FROM counters WHERE name = 'indexed_seq')) AS merged,
       sum(k.seq <= ?) AS unfiltered
     FROM q LEFT JOIN event_keys k ON k.site_id = ? AND k.vkey = q.vkey GROUP BY q.vkey`,
  );
  const sites = new Map<number, Generations>();
  /** The held count, looked at without being moved up a generation. */
  const peek = (siteId: number, vkey: number): IdentityCount | undefined => {
    const site = sites.get(siteId);
    return site?.young.get(vkey) ?? site?.old.get(vkey);
  };
  /** The held count, used: one found in the old generation moves up to the young one. */
  const held = (siteId: number, vkey: number): IdentityCount | undefined => {
    const site = sites.get(siteId);
    if (!site) return undefined;
    const young = site.young.get(vkey);
    if (young) return young;
    const old = site.old.get(vkey);
    if (old) keep(site, vkey, old);
    return old;
  };
  const keep = (site: Generations, vkey: number, count: IdentityCount) => {
    site.young.set(vkey, count);
    if (site.young.size >= KEPT) {
      site.old = site.young;
      site.young = new Map();
    }
  };
  /** Reads the counts of these identities of one site (each once), holds them and sets them in `found`. */
  const read = (siteId: number, found: Map<number, IdentityCount | null>) => {
    let site = sites.get(siteId);
    if (!site) sites.set(siteId, (site = { young: new Map(), old: new Map() }));
    const tailCount = (vkey: number) => {
      let n = 0;
      for (const tail of tails()) n += tail.countOf(siteId, vkey);
      return n;
    };
    // An identity the filter rules out has no key in the index: its count is its tail's.
    const vkeys: number[] = [];
    for (const vkey of found.keys()) {
      if (filter.identityMayBeIndexed(siteId, vkey)) vkeys.push(vkey);
      else {
        const count = { n: tailCount(vkey), indexed: false, beforeFilter: false };
        keep(site, vkey, count);
        found.set(vkey, count);
      }
    }
    const args = Array<number>(ROWS_PER_STATEMENT + 2).fill(-1);
    args[ROWS_PER_STATEMENT] = filter.filteredAfter();
    args[ROWS_PER_STATEMENT + 1] = siteId;
    for (let at = 0; at < vkeys.length; at += ROWS_PER_STATEMENT) {
      for (let j = 0; j < ROWS_PER_STATEMENT; j++) args[j] = at + j < vkeys.length ? vkeys[at + j]! : -1;
      for (const row of indexed.iterate(args)) {
        if (row.vkey < 0) continue;
        const n = (row.merged ?? 0) + tailCount(row.vkey);
        const count = { n, indexed: row.all > 0, beforeFilter: (row.unfiltered ?? 0) > 0 };
        keep(site, row.vkey, count);
        found.set(row.vkey, count);
      }
    }
  };
  return {
    of(keys) {
      const out = new Array<IdentityCount>(keys.length);
      /** Per site, the identities not held: filled by `read`. */
      let missing: Map<number, Map<number, IdentityCount | null>> | null = null;
      for (let i = 0; i < keys.length; i++) {
        const { siteId, vkey } = keys[i]!;
        const known = held(siteId, vkey);
        if (known) out[i] = known;
        else {
          missing ??= new Map();
          let site = missing.get(siteId);
          if (!site) missing.set(siteId, (site = new Map()));
          site.set(vkey, null);
        }
      }
      if (!missing) return out;
      for (const [siteId, found] of missing) read(siteId, found);
      for (let i = 0; i < keys.length; i++) out[i] ??= missing.get(keys[i]!.siteId)!.get(keys[i]!.vkey)!;
      return out;
    },
    seen(siteId, vkey) {
      const known = held(siteId, vkey);
      if (known) known.n += 1;
    },
    merged(keys) {
      // Only the identities of the merged run: one first seen since the run was frozen (a new
      // customer of an import) still has every key in the tail, and its events skip the index
      // lookup until a run holding them is merged. Dead rows (forgotten) only over-mark.
      // A merge is not a use of the identity: its count stays in its generation.
      for (let r = 0; r < keys.length; r++) {
        const count = peek(keys.siteAt(r), keys.vkeyAt(r));
        if (count) count.indexed = true;
      }
    },
    reset() {
      sites.clear();
    },
    filterWarm() {
      for (const site of sites.values()) for (const generation of [site.young, site.old]) for (const count of generation.values()) count.beforeFilter = false;
    },
  };
}
