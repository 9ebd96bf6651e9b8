import type Database from 'better-sqlite3';
import type { IdentityTail } from './sqlite-identity-tail.ts';
import type { KeyRows } from './sqlite-key-table.ts';

/** Identities whose counts the writer keeps per generation; older ones are read again when needed. */
const KEPT = 100_000;

export interface IdentityCount {
  /** Events the identity holds now, counting those accepted earlier in the running transaction. */
  n: number;
  /**
   * Whether the on-disk key index may hold some of its events. When it cannot (an identity whose
   * events all arrived since the last merge: most events of a visit), de-duplication needs only
   * the exact tail and skips the index probe.
   */
  indexed: boolean;
}

export interface IdentityCounts {
  of(siteId: number, vkey: number): IdentityCount;
  /** One more event accepted for the identity (inside the transaction). */
  add(siteId: number, vkey: number): void;
  /** One more event another handle stored: counted if the identity's count is held. */
  seen(siteId: number, vkey: number): void;
  /** A merge moved these keys from the tail into the index: their identities may now be found there. */
  merged(keys: Pick<KeyRows, 'length' | 'siteAt' | 'vkeyAt'>): void;
  /** The transaction rolled back, or rows were deleted: counts read from now on come from the store. */
  reset(): void;
}

/** A site's held counts: the recently used ones, and the generation before them. */
interface Generations {
  young: Map<number, IdentityCount>;
  old: Map<number, IdentityCount>;
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
 * moves the count up, and once the young one holds KEPT counts the old one is dropped.
 */
export function sqliteIdentityCounts(db: Database.Database, tails: () => readonly IdentityTail[]): IdentityCounts {
  // Keys of a merge in progress are in the index and still in its tail: the index counts only up to
  // the watermark, the tails the rest.
  const indexed = db.prepare<[number, number], { all: number; merged: number | null }>(
    `SELECT count(*) AS "all", sum(seq <= (SELECT value FROM counters WHERE name = 'indexed_seq')) AS merged
     FROM event_keys WHERE site_id = ? AND vkey = ?`,
  );
  const sites = new Map<number, Generations>();
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
  return {
    of(siteId, vkey) {
      const known = held(siteId, vkey);
      if (known) return known;
      const row = indexed.get(siteId, vkey);
      let n = row?.merged ?? 0;
      for (const tail of tails()) n += tail.countOf(siteId, vkey);
      const count = { n, indexed: (row?.all ?? 0) > 0 };
      let site = sites.get(siteId);
      if (!site) sites.set(siteId, (site = { young: new Map(), old: new Map() }));
      keep(site, vkey, count);
      return count;
    },
    add(siteId, vkey) {
      const known = held(siteId, vkey);
      if (known) known.n += 1;
    },
    seen(siteId, vkey) {
      const known = held(siteId, vkey);
      if (known) known.n += 1;
    },
    merged(keys) {
      // Only the identities of the merged run: one first seen since the run was frozen (a new
      // customer of an import) still has every key in the tail, and its events skip the index
      // lookup until a run holding them is merged. Dead rows (forgotten) only over-mark.
      for (let r = 0; r < keys.length; r++) {
        const count = held(keys.siteAt(r), keys.vkeyAt(r));
        if (count) count.indexed = true;
      }
    },
    reset() {
      sites.clear();
    },
  };
}
