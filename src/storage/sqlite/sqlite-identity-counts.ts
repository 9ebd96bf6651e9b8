import type Database from 'better-sqlite3';
import type { IdentityTail } from './sqlite-event-keys.ts';

/** Identities whose counts the writer keeps; the least recently used are read again when needed. */
const KEPT = 100_000;

export interface IdentityCounts {
  /** Events the identity holds now, counting those accepted earlier in the running transaction. */
  of(siteId: number, vkey: number, identity: string): number;
  /** One more event accepted for the identity (inside the transaction). */
  add(identity: string): void;
  /** One more event another handle stored: counted if the identity's count is held. */
  seen(identity: string): void;
  /** The transaction rolled back, or rows were deleted: counts read from now on come from the store. */
  reset(): void;
}

/**
 * How many events each identity holds, for the per-identity cap. Counted once from the key index
 * (by identity hash: a collision can only over-count, by the other identity's events) and the tail,
 * then kept up to date by the writer as it accepts events. A second handle writing the same file
 * is not seen until the count is read again, so the cap is exact with one writer.
 */
export function sqliteIdentityCounts(db: Database.Database, tails: () => readonly IdentityTail[]): IdentityCounts {
  // Keys of a merge in progress are in the index and still in its tail: the index counts only up to
  // the watermark, the tails the rest.
  const indexed = db.prepare<[number, number], { n: number }>(
    "SELECT count(*) AS n FROM event_keys WHERE site_id = ? AND vkey = ? AND seq <= (SELECT value FROM counters WHERE name = 'indexed_seq')",
  );
  const counts = new Map<string, number>();
  return {
    of(siteId, vkey, identity) {
      const known = counts.get(identity);
      if (known !== undefined) {
        counts.delete(identity);
        counts.set(identity, known);
        return known;
      }
      let n = indexed.get(siteId, vkey)?.n ?? 0;
      for (const tail of tails()) n += tail.pairsOf(identity).length / 2;
      counts.set(identity, n);
      if (counts.size > KEPT) {
        let drop = KEPT / 10;
        for (const key of counts.keys()) {
          counts.delete(key);
          if (--drop <= 0) break;
        }
      }
      return n;
    },
    add(identity) {
      counts.set(identity, (counts.get(identity) ?? 0) + 1);
    },
    seen(identity) {
      const known = counts.get(identity);
      if (known !== undefined) counts.set(identity, known + 1);
    },
    reset() {
      counts.clear();
    },
  };
}
