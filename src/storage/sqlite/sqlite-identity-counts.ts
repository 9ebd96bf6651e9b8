import type Database from 'better-sqlite3';
import type { IdentityTail } from './sqlite-event-keys.ts';

/** Identities whose counts the writer keeps; the least recently used are read again when needed. */
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
  of(siteId: number, vkey: number, identity: string): IdentityCount;
  /** One more event accepted for the identity (inside the transaction). */
  add(identity: string): void;
  /** One more event another handle stored: counted if the identity's count is held. */
  seen(identity: string): void;
  /** A merge moved keys from the tail into the index: any identity may now be found there. */
  merged(): void;
  /** The transaction rolled back, or rows were deleted: counts read from now on come from the store. */
  reset(): void;
}

/**
 * How many events each identity holds, for the per-identity cap, and whether the index holds any
 * of them. Counted once from the key index (by identity hash: a collision can only over-count, by
 * the other identity's events, or send the check to the index for nothing) and the tail, then kept
 * up to date by the writer as it accepts events. Another handle's rows are counted as this one
 * catches up on them (`seen`), so the cap holds with several writers on one file.
 */
export function sqliteIdentityCounts(db: Database.Database, tails: () => readonly IdentityTail[]): IdentityCounts {
  // Keys of a merge in progress are in the index and still in its tail: the index counts only up to
  // the watermark, the tails the rest.
  const indexed = db.prepare<[number, number], { all: number; merged: number | null }>(
    `SELECT count(*) AS "all", sum(seq <= (SELECT value FROM counters WHERE name = 'indexed_seq')) AS merged
     FROM event_keys WHERE site_id = ? AND vkey = ?`,
  );
  const counts = new Map<string, IdentityCount>();
  return {
    of(siteId, vkey, identity) {
      const known = counts.get(identity);
      if (known !== undefined) {
        counts.delete(identity);
        counts.set(identity, known);
        return known;
      }
      const row = indexed.get(siteId, vkey);
      let n = row?.merged ?? 0;
      for (const tail of tails()) n += tail.pairsOf(identity).length / 2;
      const count = { n, indexed: (row?.all ?? 0) > 0 };
      counts.set(identity, count);
      if (counts.size > KEPT) {
        let drop = KEPT / 10;
        for (const key of counts.keys()) {
          counts.delete(key);
          if (--drop <= 0) break;
        }
      }
      return count;
    },
    add(identity) {
      const known = counts.get(identity);
      if (known) known.n += 1;
    },
    seen(identity) {
      const known = counts.get(identity);
      if (known) known.n += 1;
    },
    merged() {
      for (const count of counts.values()) count.indexed = true;
    },
    reset() {
      counts.clear();
    },
  };
}
