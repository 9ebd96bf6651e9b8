import type Database from 'better-sqlite3';
import type { VisitorEvent } from '../../core/events.ts';
import { pushTo } from '../../core/lists-by-key.ts';
import { eventOfColumns } from '../event-rows.ts';
import type { Storage } from '../port.ts';
import { identityHash } from './sqlite-event-keys.ts';

/** Above every identity hash (they have 53 bits): the end of the scan. */
const END = Number.MAX_SAFE_INTEGER;

/**
 * Where a scan stands: the last identity hash answered, the key index's watermark when the scan
 * began, and the last hash the scan covers (a part of the site's hashes, partCursors). Rows past
 * that watermark are found by reading the log past it (they are few: the unmerged tail, and what
 * was appended since); rows merged since are found twice and kept once.
 */
interface ScanCursor {
  after: number;
  merged: number;
  end: number;
}

const encode = (c: ScanCursor) => (c.end === END ? `${c.after}:${c.merged}` : `${c.after}:${c.merged}:${c.end}`);

function decode(cursor: string): ScanCursor {
  const [after, merged, end = END, ...rest] = cursor.split(':').map(Number);
  if (rest.length > 0 || ![after, merged, end].every((n) => Number.isSafeInteger(n)) || end < after!) throw new Error(`invalid scan cursor ${cursor}`);
  return { after: after!, merged: merged!, end };
}

/**
 * The first cursors of a scan split in `parts` scans of equal ranges of identity hashes (together
 * every hash once), for a key index whose watermark is `merged`: each scans its range alone, so
 * that several workers share a site-wide recomputation.
 */
export function partCursors(parts: number, merged: number): string[] {
  const span = (END + 1) / parts;
  return Array.from({ length: parts }, (_, i) =>
    encode({ after: Math.floor(i * span) - 1, merged, end: i === parts - 1 ? END : Math.floor((i + 1) * span) - 1 }),
  );
}

/** Rows kept unsorted before they are folded into the sorted ones: each page looks at them one by one. */
const FOLD_AT = 4_096;

/**
 * One site's rows past the scan's watermark, as (identity hash, seq): sorted by hash, plus the
 * rows read since, folded in once they are many.
 */
class Stretch {
  vkeys = new Float64Array(0);
  seqs = new Float64Array(0);
  recent: [number, number][] = [];
  /** The last seq of the log read into it. */
  upTo: number;

  constructor(
    readonly key: string,
    merged: number,
  ) {
    this.upTo = merged;
  }

  /**
   * Folds the recent rows into the sorted ones when they are many (always with `force`), one
   * linear merge, dropping rows the index has merged since (`merged`): the index answers them.
   */
  fold(force: boolean, merged: number): void {
    if (this.recent.length === 0 || (!force && this.recent.length < FOLD_AT)) return;
    const recent = this.recent.filter((p) => p[1] > merged).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const vkeys: number[] = [];
    const seqs: number[] = [];
    let i = 0;
    let j = 0;
    while (i < this.vkeys.length || j < recent.length) {
      const takeOld = j >= recent.length || (i < this.vkeys.length && (this.vkeys[i]! < recent[j]![0] || (this.vkeys[i] === recent[j]![0] && this.seqs[i]! < recent[j]![1])));
      if (takeOld) {
        if (this.seqs[i]! > merged) {
          vkeys.push(this.vkeys[i]!);
          seqs.push(this.seqs[i]!);
        }
        i += 1;
      } else {
        vkeys.push(recent[j]![0]);
        seqs.push(recent[j]![1]);
        j += 1;
      }
    }
    this.vkeys = Float64Array.from(vkeys);
    this.seqs = Float64Array.from(seqs);
    this.recent = [];
  }
}

type RawRow = [number, number, string, string, string, number, number, string, number, string | null];

function toEvent(r: RawRow): VisitorEvent {
  return eventOfColumns(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]);
}

/** First position in the sorted `vkeys` holding a hash above `after`. */
function firstAbove(vkeys: Float64Array, after: number): number {
  let lo = 0;
  let hi = vkeys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (vkeys[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Storage.scanEvents for SQLite: identities in the order of their hash in the key index
 * (event_keys: site, identity hash, nonce hash, seq), so a page is one range of the index and one
 * row read per event; the rows the index did not hold when the scan began (the log's unmerged
 * tail, then whatever is appended during the scan) are read from the log once each and kept in
 * memory as (hash, seq) pairs, sorted like the index. Every statement
 * of a page runs in one read transaction, so the page sees one state of the store. Works on any
 * connection (the writer's or a reader's): it needs only what is committed.
 */
export function sqliteEventScan(db: Database.Database): Pick<Storage, 'scanEvents'> {
  const counter = db.prepare<[string], number>('SELECT value FROM counters WHERE name = ?').pluck();
  const stretchRows = db
    .prepare<[number, number, number], [number, number, string]>('SELECT seq, id_kind, identity FROM events WHERE seq > ? AND seq <= ? AND +site_id = ?')
    .raw();
  const indexBound = db.prepare<[number, number, number], number>(
    'SELECT vkey FROM event_keys WHERE site_id = ? AND vkey > ? ORDER BY vkey LIMIT 1 OFFSET ?',
  ).pluck();
  const indexed = db
    .prepare<[number, number, number], RawRow>(
      `SELECT e.seq, e.id_kind, e.identity, e.nonce, e.type, e.time, e.received_at, e.data, e.itp, e.sdk
       FROM event_keys k CROSS JOIN events e ON e.seq = k.seq WHERE k.site_id = ? AND k.vkey > ? AND k.vkey <= ?`,
    )
    .raw();
  const rowAt = db
    .prepare<[number, number], RawRow>('SELECT seq, id_kind, identity, nonce, type, time, received_at, data, itp, sdk FROM events WHERE seq = ? AND site_id = ?')
    .raw();

  // One stretch at a time: a worker runs one scan after another. Each page first reads the log
  // rows committed since the previous page, so it sees every event committed before it began.
  let stretch: Stretch | null = null;
  function stretchOf(siteId: number, merged: number): Stretch {
    const key = `${siteId}:${merged}`;
    if (stretch?.key !== key) stretch = new Stretch(key, merged);
    const logged = counter.get('log_seq') ?? 0;
    for (const [seq, kind, identity] of stretchRows.iterate(stretch.upTo, logged, siteId)) stretch.recent.push([identityHash(kind, identity), seq]);
    stretch.upTo = Math.max(stretch.upTo, logged);
    stretch.fold(stretch.vkeys.length === 0, counter.get('indexed_seq') ?? 0);
    return stretch;
  }

  const page = db.transaction((siteId: number, cursor: string | null, limit: number) => {
    const at = cursor ? decode(cursor) : { after: -1, merged: counter.get('indexed_seq') ?? 0, end: END };
    const tail = stretchOf(siteId, at.merged);
    const first = firstAbove(tail.vkeys, at.after);
    const take = Math.max(1, limit);
    // The page ends at the `limit`-th hash after the cursor in the index or in the stretch, whichever
    // comes first, and at the end of the scan's range.
    const hi = Math.min(indexBound.get(siteId, at.after, take - 1) ?? END, tail.vkeys[first + take - 1] ?? END, at.end);
    const byIdentity = new Map<string, VisitorEvent[]>();
    const seen = new Set<number>();
    const add = (row: RawRow) => {
      seen.add(row[0]);
      pushTo(byIdentity, `${row[1]}\u0000${row[2]}`, toEvent(row));
    };
    for (const row of indexed.iterate(siteId, at.after, hi)) add(row);
    const fromStretch = (seq: number) => {
      if (seen.has(seq)) return;
      // Absent when a forget deleted it since it was read into the stretch.
      const row = rowAt.get(seq, siteId);
      if (row) add(row);
    };
    for (let i = first; i < tail.vkeys.length && tail.vkeys[i]! <= hi; i++) fromStretch(tail.seqs[i]!);
    for (const [vkey, seq] of tail.recent) if (vkey > at.after && vkey <= hi) fromStretch(seq);
    const events: VisitorEvent[] = [];
    for (const list of byIdentity.values()) for (const event of list) events.push(event);
    return { events, cursor: hi >= at.end ? null : encode({ ...at, after: hi }) };
  });

  return {
    async scanEvents(siteId, { cursor, limit }) {
      return page(siteId, cursor, limit);
    },
  };
}
