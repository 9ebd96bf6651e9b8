import type Database from 'better-sqlite3';
import type { VisitorEvent } from '../../core/events.ts';
import { fromEventRow } from '../event-rows.ts';
import type { Storage } from '../port.ts';
import { identityHash } from './sqlite-event-keys.ts';

/** Above every identity hash (they have 53 bits): the end of the scan. */
const END = Number.MAX_SAFE_INTEGER;

/**
 * Where a scan stands: the last identity hash answered, and the stretch of the log that was not
 * merged into the key index when the scan began (seq in (merged, logged]). Rows of that stretch
 * are found by a read of the stretch itself; rows merged since are found twice and kept once.
 */
interface ScanCursor {
  after: number;
  merged: number;
  logged: number;
}

function decode(cursor: string): ScanCursor {
  const [after, merged, logged] = cursor.split(':').map(Number);
  if (![after, merged, logged].every((n) => Number.isSafeInteger(n))) throw new Error(`invalid scan cursor ${cursor}`);
  return { after: after!, merged: merged!, logged: logged! };
}

/** The unmerged stretch's rows of one site, by identity hash: what a scan reads besides the index. */
interface Stretch {
  key: string;
  vkeys: Float64Array;
  seqs: Float64Array;
}

type RawRow = [number, number, string, string, string, number, number, string, number, string | null];

function toEvent(r: RawRow): VisitorEvent {
  return fromEventRow({ id_kind: r[1], identity: r[2], nonce: r[3], type: r[4], time: r[5], received_at: r[6], data: r[7], itp: r[8], sdk: r[9] });
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
 * row read per event; the rows the index does not hold yet (the log's unmerged tail) are read
 * once per scan and kept in memory as (hash, seq) pairs, sorted like the index. Every statement
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

  // One stretch at a time: a worker runs one scan after another, each reading its stretch once.
  let stretch: Stretch | null = null;
  function stretchOf(siteId: number, merged: number, logged: number): Stretch {
    const key = `${siteId}:${merged}:${logged}`;
    if (stretch?.key === key) return stretch;
    const pairs: [number, number][] = [];
    for (const [seq, kind, identity] of stretchRows.iterate(merged, logged, siteId)) pairs.push([identityHash(kind, identity), seq]);
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    stretch = { key, vkeys: Float64Array.from(pairs, (p) => p[0]), seqs: Float64Array.from(pairs, (p) => p[1]) };
    return stretch;
  }

  const page = db.transaction((siteId: number, cursor: string | null, limit: number) => {
    const at = cursor ? decode(cursor) : { after: -1, merged: counter.get('indexed_seq') ?? 0, logged: counter.get('log_seq') ?? 0 };
    const tail = stretchOf(siteId, at.merged, at.logged);
    const first = firstAbove(tail.vkeys, at.after);
    const take = Math.max(1, limit);
    // The page ends at the `limit`-th hash after the cursor in the index or in the stretch, whichever comes first.
    const hi = Math.min(indexBound.get(siteId, at.after, take - 1) ?? END, tail.vkeys[first + take - 1] ?? END);
    const byIdentity = new Map<string, VisitorEvent[]>();
    const seen = new Set<number>();
    const add = (row: RawRow) => {
      seen.add(row[0]);
      const id = `${row[1]}\u0000${row[2]}`;
      const list = byIdentity.get(id);
      if (list) list.push(toEvent(row));
      else byIdentity.set(id, [toEvent(row)]);
    };
    for (const row of indexed.iterate(siteId, at.after, hi)) add(row);
    for (let i = first; i < tail.vkeys.length && tail.vkeys[i]! <= hi; i++) {
      const seq = tail.seqs[i]!;
      if (seen.has(seq)) continue;
      // Absent when a forget deleted it since the scan began.
      const row = rowAt.get(seq, siteId);
      if (row) add(row);
    }
    const events: VisitorEvent[] = [];
    for (const list of byIdentity.values()) for (const event of list) events.push(event);
    return { events, cursor: hi >= END ? null : `${hi}:${at.merged}:${at.logged}` };
  });

  return {
    async scanEvents(siteId, { cursor, limit }) {
      return page(siteId, cursor, limit);
    },
  };
}
