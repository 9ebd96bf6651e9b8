import type Database from 'better-sqlite3';
import type { Identity, VisitorEvent } from '../../core/events.ts';
import { eventOfColumns, identityKindCode, widestRanges, type EventRow } from '../event-rows.ts';
import type { EventRange } from '../port.ts';
import { identityHash } from './sqlite-event-keys.ts';
import { jsonChunks } from './sqlite-key-sets.ts';
import { below, type IdentityTail, type Position, type TailCursor } from './sqlite-identity-tail.ts';

export type SeqRow = EventRow & { seq: number; site_id: number };

/** A row of COLUMNS read as an array (better-sqlite3's raw mode): no object with 11 named properties made per row. */
type RawRow = [seq: number, siteId: number, idKind: number, identity: string, nonce: string, type: string, time: number, receivedAt: number, data: string, itp: number, sdk: string | null];

/** Where an event page ends is a Position: (time, seq) of its oldest event, the next page starts below it. */
const TOP: Position = { time: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER };

/** The newest row of several tails' cursors, and a way to step past it. */
function newestOf(cursors: readonly TailCursor[]): { peek(): Position | undefined; advance(): void } {
  let newest: TailCursor | undefined;
  const pick = () => {
    newest = undefined;
    let best: Position | undefined;
    for (const cursor of cursors) {
      const head = cursor.peek();
      if (head && (!best || below(best, head))) {
        best = head;
        newest = cursor;
      }
    }
    return best;
  };
  return {
    peek: pick,
    advance() {
      pick();
      newest?.advance();
    },
  };
}

export function encodeCursor(position: Position): string {
  return `${position.time}:${position.seq}`;
}

export function decodeCursor(cursor: string | null | undefined): Position {
  if (!cursor) return TOP;
  const [time, seq] = cursor.split(':').map(Number);
  if (!Number.isSafeInteger(time) || !Number.isSafeInteger(seq)) throw new Error(`invalid event cursor ${cursor}`);
  return { time: time!, seq: seq! };
}

export interface EventReads {
  /** Every row of the identity: the on-disk key index plus the tails, each row once. */
  rowsOf(siteId: number, identity: Identity): SeqRow[];
  /** Up to `limit` rows of the identity below `cursor`, newest first, and the cursor after them (null at the end). */
  pageOf(siteId: number, identity: Identity, limit: number, cursor: string | null): { rows: SeqRow[]; cursor: string | null };
  /** Storage.eventsSince: each identity's events at or after its `since`, each identity once from the smallest `since` asked, in log order. */
  eventsInRanges(siteId: number, ranges: readonly EventRange[]): VisitorEvent[];
}

const COLUMNS = 'e.seq, e.site_id, e.id_kind, e.identity, e.nonce, e.type, e.time, e.received_at, e.data, e.itp, e.sdk';
/** The log rows of a JSON array of seqs (sqlite-key-sets.ts). */
const ROWS_AT = `SELECT ${COLUMNS} FROM json_each(?) j CROSS JOIN events e ON e.seq = j.value`;

/**
 * Reads of an identity's events, shared by the writer (whose tail is exact) and the reading threads
 * (whose tail copies are synced from the log). Rows found through a hash are kept only when they are
 * the identity's (collisions cost a read, never a wrong event), and rows a forget deleted while a
 * tail still names them are simply absent.
 */
export function sqliteEventReads(db: Database.Database, tails: () => readonly IdentityTail[]): EventReads {
  const indexedRowsOf = db.prepare<[number, number, number, number, string], SeqRow>(
    `SELECT ${COLUMNS} FROM event_keys k CROSS JOIN events e ON e.seq = k.seq
     WHERE k.site_id = ? AND k.vkey = ? AND e.site_id = ? AND e.id_kind = ? AND e.identity = ?`,
  );
  const indexedBelow = db.prepare<[number, number, number, number, number], { seq: number; time: number }>(
    `SELECT seq, time FROM event_times WHERE site_id = ? AND vkey = ? AND (time, seq) < (?, ?)
     ORDER BY time DESC, seq DESC LIMIT ?`,
  );

  // Rows by seq, and a round's reads, as sets (sqlite-key-sets.ts): a page's or a round's seqs,
  // the round's (vkey, since) pairs.
  const rowsAt = db.prepare<[string], SeqRow>(ROWS_AT);
  // A worker round reads thousands of rows and turns each into an event at once: as arrays, which
  // costs better-sqlite3 about a third less a row than objects (4.3 against 6.3–7.3 µs for these
  // 11 columns, measured on 200k rows).
  const rawRowsAt = db.prepare<[string], RawRow>(ROWS_AT).raw(true);
  const indexedSince = db
    .prepare<[string, number], number>(
      `SELECT t.seq FROM json_each(?) j CROSS JOIN event_times t
       ON t.site_id = ? AND t.vkey = j.value ->> 0 AND t.time >= j.value ->> 1`,
    )
    .pluck();

  const isOf = (row: SeqRow | undefined, siteId: number, kind: number, value: string): row is SeqRow =>
    row !== undefined && row.site_id === siteId && row.id_kind === kind && row.identity === value;

  return {
    rowsOf(siteId, identity) {
      const kind = identityKindCode(identity.kind);
      const seen = new Set<number>();
      const out: SeqRow[] = [];
      const take = (row: SeqRow | undefined) => {
        if (!isOf(row, siteId, kind, identity.value) || seen.has(row.seq)) return;
        seen.add(row.seq);
        out.push(row);
      };
      const vkey = identityHash(kind, identity.value);
      for (const row of indexedRowsOf.iterate(siteId, vkey, siteId, kind, identity.value)) take(row);
      const unindexed = tails().flatMap((tail) => tail.seqsOf(siteId, vkey).filter((seq) => !seen.has(seq)));
      for (const chunk of jsonChunks(unindexed)) for (const row of rowsAt.iterate(chunk)) take(row);
      return out;
    },

    pageOf(siteId, identity, limit, cursor) {
      const kind = identityKindCode(identity.kind);
      const vkey = identityHash(kind, identity.value);
      let from = decodeCursor(cursor);
      // The tails' rows below the cursor, newest first, read as the page consumes them: each tail
      // keeps an identity's rows in time order, so a page costs its rows, not the identity's tail.
      const fromTails = newestOf(tails().map((tail) => tail.below(siteId, vkey, from)));
      const rows: SeqRow[] = [];
      const seen = new Set<number>();
      for (;;) {
        const indexed = indexedBelow.all(siteId, vkey, from.time, from.seq, limit);
        // Walk both sources in order, but never past the index's last entry while it may hold more.
        const indexDone = indexed.length < limit;
        const last = indexed.at(-1);
        let i = 0;
        // The page's next positions in order, then their rows in one read (sqlite-key-sets.ts).
        const taken: number[] = [];
        while (rows.length + taken.length < limit) {
          const a = indexed[i];
          const b = fromTails.peek();
          let next: Position | undefined;
          if (a && (!b || !below(a, b))) {
            next = a;
            i += 1;
          } else if (b && (indexDone || (last && !below(b, last)))) {
            next = b;
            fromTails.advance();
          } else break;
          from = next;
          if (seen.has(next.seq)) continue;
          seen.add(next.seq);
          taken.push(next.seq);
        }
        const found = new Map<number, SeqRow>();
        for (const chunk of jsonChunks(taken)) for (const row of rowsAt.iterate(chunk)) found.set(row.seq, row);
        for (const seq of taken) {
          const row = found.get(seq);
          if (isOf(row, siteId, kind, identity.value)) rows.push(row);
        }
        if (rows.length >= limit) return { rows, cursor: encodeCursor(from) };
        if (indexDone && fromTails.peek() === undefined) return { rows, cursor: null };
        // Otherwise the index page was used up before the page filled (tail rows in between, hash
        // collisions, forgotten rows): read its next entries below the last one taken.
      }
    },

    eventsInRanges(siteId, ranges) {
      // Each identity once, from the smallest `since` asked for it.
      const sinceOf = new Map<string, number>();
      const byHash: [number, number][] = [];
      for (const { identity, since } of widestRanges(ranges)) {
        const kind = identityKindCode(identity.kind);
        sinceOf.set(`${kind}\u0000${identity.value}`, since);
        byHash.push([identityHash(kind, identity.value), since]);
      }
      // Two identities sharing a hash bring the same seqs: each is read once.
      const seqs: number[] = [];
      for (const tail of tails()) for (const [vkey, since] of byHash) tail.seqsSince(siteId, vkey, since, seqs);
      for (const chunk of jsonChunks(byHash)) for (const seq of indexedSince.iterate(chunk, siteId)) seqs.push(seq);
      const unique = [...new Set(seqs)].sort((a, b) => a - b);
      const out: VisitorEvent[] = [];
      for (const chunk of jsonChunks(unique)) {
        for (const [, rowSite, kind, identity, nonce, type, time, receivedAt, data, itp, sdk] of rawRowsAt.all(chunk)) {
          // Rows found through a hash are the asked identity's only when they say so.
          const since = rowSite === siteId ? sinceOf.get(`${kind}\u0000${identity}`) : undefined;
          if (since !== undefined && time >= since) out.push(eventOfColumns(kind, identity, nonce, type, time, receivedAt, data, itp, sdk));
        }
      }
      return out;
    },
  };
}
