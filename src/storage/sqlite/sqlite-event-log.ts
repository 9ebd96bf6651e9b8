import type Database from 'better-sqlite3';
import type { Identity } from '../../core/events.ts';
import type { EventColumns } from '../event-columns.ts';
import { identityKindCode } from '../event-rows.ts';
import { sqliteEventReads, type EventReads, type SeqRow } from './sqlite-event-reads.ts';
import { KeyTail, loggedKey, type LoggedKey } from './sqlite-event-keys.ts';
import type { IdentityTail } from './sqlite-identity-tail.ts';
import { keyFilter } from './sqlite-key-filter.ts';
import { KeyRows } from './sqlite-key-table.ts';
import { ROWS_PER_STATEMENT, rowBatch } from './sqlite-row-batch.ts';
import { sqliteKeyIndex, type MergeRun } from './sqlite-key-index.ts';

export interface EventLogOptions {
  /** Unindexed events held in memory before their keys are merged into the index. */
  mergeAt: number;
  /** Longest a merge chunk holds the writer, in ms. */
  mergeStepMs: number;
  /** Memory of the filter of the index's keys (sqlite-key-filter.ts), in MiB. */
  keyFilterMb: number;
  /** Called once the filter holds every key of the index too (`filteredAfter` is then 0). */
  onFilterWarm?: () => void;
  /** Sees each row another handle appended, as this one catches up on it. */
  onForeignRow?: (key: LoggedKey) => void;
  /** Called when a merge run is complete (its keys, `merged`, are now in the index, no longer in memory). */
  onMerged?: (merged: KeyRows) => void;
}

/** A forgotten row, as the forget path needs it to leave a tombstone and drop its keys. */
export type DeletedRow = LoggedKey & { idKind: number; identityValue: string; nonce: string };

/**
 * The events of the SQLite store: an append-only log (`events`, in seq order, payload inline), so a
 * commit writes only new pages at the end of the table, plus the keys that find an event by
 * (site, identity as sent, nonce) and a visitor's events. Keys of the log's tail live in memory,
 * exact; older keys are in the on-disk index, merged in sorted runs between commits.
 *
 * Several handles may share one file (a second process, a test). Each catches up on rows past the
 * last one it knows before it decides anything, inside the write transaction for writes, so its
 * memory always covers every row above the index's watermark.
 */
export interface EventLog extends EventReads {
  /** The identity keys of the unmerged tail (the running merge's and the newest). */
  tails(): IdentityTail[];
  /** Catches up on rows other handles appended (call inside the write transaction before deciding). */
  sync(): void;
  /**
   * Every key of a row past this seq is in the filter that `mayBeIndexed` reads; a key at or
   * below it may be in the index without being in the filter. The watermark at open, until the
   * index's keys are read into the filter (between commits); 0 from then on.
   */
  readonly filteredAfter: number;
  /**
   * False when the key's row cannot be in the on-disk index, provided none of its identity's
   * indexed keys has a seq at or below `filteredAfter` (IdentityCount.beforeFilter); true otherwise.
   */
  mayBeIndexed(key: LoggedKey): boolean;
  /** False when the identity has no key in the on-disk index (known once `filteredAfter` is 0); true otherwise. */
  identityMayBeIndexed(siteId: number, vkey: number): boolean;
  /** The key of row `i` of the columns (seq 0 until appended). */
  keyOf(columns: EventColumns, i: number): LoggedKey;
  /**
   * Whether a live row has this key: the running transaction's rows, then the tails, then the
   * index, each hash match confirmed against the log row. `probeIndex: false` when the identity is
   * known to have no key in the index.
   */
  isStored(key: LoggedKey, kind: number, identity: string, nonce: string, options?: { probeIndex: boolean }): boolean;
  /**
   * Which of these rows of the columns have a live row in the on-disk index (`keys[j]` is the key
   * of `rows[j]`), each hash match confirmed against the log row: the index part of `isStored`
   * for a whole batch, read in index order by multi-row lookups. The index does not change within
   * the write transaction (merges run in their own), so a batch's rows may be looked up before any
   * of them is appended.
   */
  inIndex(columns: EventColumns, rows: readonly number[], keys: readonly LoggedKey[]): Set<number>;
  /**
   * Appends row `i` of the columns (inside the write transaction); sets `key.seq`. The row may be
   * held for a multi-row insert until `endAppend`: only this module reads the log in between.
   */
  append(key: LoggedKey, columns: EventColumns, i: number): void;
  /** Ends the write transaction's appends: writes the rows held and the last seq handed out. */
  endAppend(): void;
  /** After the commit: the appended keys join the tail. */
  committed(keys: readonly LoggedKey[]): void;
  /** After a rollback: the seqs handed out were not used. */
  rolledBack(): void;
  /** Deletes an identity's rows, or one event of it (inside the forget transaction). */
  deleteRows(siteId: number, identity: Identity, nonce?: string): DeletedRow[];
  /** After the forget commit: drops the deleted rows' keys from memory. */
  forgotten(rows: readonly DeletedRow[]): void;
  /** Stops merging; keys not merged stay in the log and are reloaded at the next open. */
  close(): void;
}

/**
 * The nonce hash under which the filter also records each key's identity (a real nonce hash with
 * the same 32 bits on each side is only a false positive): an identity absent from it has no key
 * in the index, and its count needs no read.
 */
const IDENTITY_MARK = -1;

/** Index keys one read of the filter's warming fetches. */
const WARM_KEYS_PER_READ = 2_000;

export function sqliteEventLog(db: Database.Database, options: EventLogOptions): EventLog {
  const index = sqliteKeyIndex(db);
  // A transaction's rows are written in multi-row statements (flushed before anything reads the log).
  const newRows = rowBatch(db, 'INSERT INTO events (seq, site_id, id_kind, identity, nonce, type, time, received_at, data, itp, sdk)', '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const rowsAfter = db.prepare<[number], { seq: number; site_id: number; id_kind: number; identity: string; nonce: string; time: number }>(
    'SELECT seq, site_id, id_kind, identity, nonce, time FROM events WHERE seq > ? ORDER BY seq',
  );
  const readSeq = db.prepare<[], { value: number }>("SELECT value FROM counters WHERE name = 'log_seq'");
  const writeSeq = db.prepare("UPDATE counters SET value = ? WHERE name = 'log_seq'");
  const indexedRow = db.prepare<[number, number, number, number, number, string, string], { seq: number }>(
    `SELECT e.seq FROM event_keys k CROSS JOIN events e ON e.seq = k.seq
     WHERE k.site_id = ? AND k.vkey = ? AND k.nkey = ? AND e.site_id = ? AND e.id_kind = ? AND e.identity = ? AND e.nonce = ? LIMIT 1`,
  );
  const indexedRows = db
    .prepare<unknown[], number>(
      `WITH q (i, site_id, vkey, nkey, id_kind, identity, nonce) AS (VALUES ${Array<string>(ROWS_PER_STATEMENT).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')})
       SELECT q.i FROM q CROSS JOIN event_keys k ON k.site_id = q.site_id AND k.vkey = q.vkey AND k.nkey = q.nkey CROSS JOIN events e ON e.seq = k.seq
       WHERE e.site_id = q.site_id AND e.id_kind = q.id_kind AND e.identity = q.identity AND e.nonce = q.nonce`,
    )
    .pluck();
  const deleteRow = db.prepare('DELETE FROM events WHERE seq = ?');
  const keyAt = db.prepare<[number], { site_id: number; id_kind: number; identity: string; nonce: string }>(
    'SELECT site_id, id_kind, identity, nonce FROM events WHERE seq = ?',
  );

  // Hash matches are confirmed against the row; `confirm` is made once, and reads the key asked
  // (one object, its fields set per question: isStored runs for every event appended).
  const asked = { siteId: 0, kind: 0, identity: '', nonce: '' };
  const confirm = (seq: number): boolean => {
    // A match among the running transaction's own rows (a key sent twice in one batch) reads a row
    // that may still be held in the batch.
    newRows.flush();
    const row = keyAt.get(seq);
    return row !== undefined && row.site_id === asked.siteId && row.id_kind === asked.kind && row.identity === asked.identity && row.nonce === asked.nonce;
  };

  let tail = new KeyTail();
  /** Keys of the rows the running write transaction appended: they join the tail once committed. */
  let pending = new KeyRows(64);
  let merging: MergeRun | null = null;
  /** The highest seq this handle has seen committed. */
  let lastSeq = index.watermark();
  // Every key above the watermark at open passes through `sync` or `committed`, which add it; the
  // index's keys are read into the filter in steps between commits (warmStep), unless there are
  // more than it can tell apart.
  let filteredAfter = lastSeq;
  const filter = keyFilter(options.keyFilterMb);
  const keysAfter = db
    .prepare<[number, number, number, number], [number, number, number]>(
      'SELECT site_id, vkey, nkey FROM event_keys WHERE (site_id, vkey, nkey) > (?, ?, ?) ORDER BY site_id, vkey, nkey LIMIT ?',
    )
    .raw();
  const remember = (siteId: number, vkey: number, nkey: number) => {
    filter.add(siteId, vkey, nkey);
    filter.add(siteId, vkey, IDENTITY_MARK);
  };
  let warmFrom: [number, number, number] | null = lastSeq > 0 && lastSeq <= filter.capacity ? [-1, -1, -1] : null;
  let warming: NodeJS.Immediate | null = null;
  /** The seq handed out last inside the current write transaction. */
  let writing = 0;
  let scheduled: NodeJS.Immediate | NodeJS.Timeout | null = null;
  let failed = false;
  let closed = false;

  function sync(): void {
    for (const row of rowsAfter.iterate(lastSeq)) {
      const key = loggedKey(row.seq, row.site_id, row.id_kind, row.identity, row.nonce, row.time);
      tail.add(key);
      remember(key.siteId, key.vkey, key.nkey);
      options.onForeignRow?.(key);
      lastSeq = row.seq;
    }
  }

  function tails(): KeyTail[] {
    return merging ? [tail, merging.tail] : [tail];
  }

  /** One bounded merge step (at least `minKeys` keys of the run); answers whether more merging is due. */
  function mergeStep(budgetMs: number, minKeys = 0): boolean {
    if (!merging) {
      if (tail.size < options.mergeAt) return false;
      merging = { tail, order: tail.mergeOrder(), bucket: 0, next: 0, merged: 0, upTo: lastSeq };
      tail = new KeyTail();
    }
    try {
      if (index.mergeChunk(merging, performance.now() + budgetMs, minKeys)) {
        const merged = merging.tail.rows;
        merging = null;
        options.onMerged?.(merged);
      }
      failed = false;
    } catch {
      // A failed chunk rolled back (another process held the writer past busy_timeout, a full
      // disk): the run did not advance and is retried a second later; nothing acknowledged depends on it.
      failed = true;
    }
    return merging !== null || tail.size >= options.mergeAt;
  }

  // Merges run between commits, one bounded step per turn of the event loop, so no acknowledgement
  // waits for more than one step.
  function scheduleMerge(): void {
    if (scheduled || closed || (!merging && tail.size < options.mergeAt)) return;
    const step = () => {
      scheduled = null;
      if (closed) return;
      mergeStep(options.mergeStepMs);
      scheduleMerge();
    };
    scheduled = failed ? setTimeout(step, 1000).unref() : setImmediate(step);
  }

  /** Reads the index's next keys into the filter until the budget is spent. */
  function warmStep(budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    while (warmFrom) {
      const keys = keysAfter.all(...warmFrom, WARM_KEYS_PER_READ);
      for (const [siteId, vkey, nkey] of keys) remember(siteId, vkey, nkey);
      if (keys.length < WARM_KEYS_PER_READ) {
        warmFrom = null;
        filteredAfter = 0;
        options.onFilterWarm?.();
      } else {
        warmFrom = keys[keys.length - 1]!;
        if (performance.now() >= deadline) return;
      }
    }
  }

  function scheduleWarm(): void {
    if (!warmFrom || closed) return;
    warming = setImmediate(() => {
      warming = null;
      if (closed) return;
      try {
        warmStep(options.mergeStepMs);
      } catch {
        // The filter stays as it is (keys since the open): nothing depends on its warming but speed.
        warmFrom = null;
      }
      scheduleWarm();
    });
  }

  const reads = sqliteEventReads(db, () => tails().map((t) => t.identities));

  sync();
  scheduleMerge();
  scheduleWarm();

  return {
    sync,
    get filteredAfter() {
      return filteredAfter;
    },
    mayBeIndexed: (key) => filter.mayHave(key.siteId, key.vkey, key.nkey),
    identityMayBeIndexed: (siteId, vkey) => filteredAfter > 0 || filter.mayHave(siteId, vkey, IDENTITY_MARK),
    tails: () => tails().map((t) => t.identities),

    keyOf(c, i) {
      return loggedKey(0, c.site[i]!, c.kind[i]!, c.identity[i]!, c.nonce[i]!, c.time[i]!);
    },

    isStored(key, kind, identity, nonce, { probeIndex } = { probeIndex: true }) {
      asked.siteId = key.siteId;
      asked.kind = kind;
      asked.identity = identity;
      asked.nonce = nonce;
      if (pending.some(key.siteId, key.vkey, key.nkey, confirm)) return true;
      for (const t of tails()) if (t.some(key, confirm)) return true;
      return probeIndex && indexedRow.get(key.siteId, key.vkey, key.nkey, key.siteId, kind, identity, nonce) !== undefined;
    },

    inIndex(c, rows, keys) {
      const found = new Set<number>();
      // In index order: the lookups of a batch walk the index's pages once, not a random page each.
      const order = Array.from(rows.keys()).sort((a, b) => keys[a]!.siteId - keys[b]!.siteId || keys[a]!.vkey - keys[b]!.vkey || keys[a]!.nkey - keys[b]!.nkey);
      const full = order.length - (order.length % ROWS_PER_STATEMENT);
      const args: unknown[] = [];
      for (let at = 0; at < full; at += ROWS_PER_STATEMENT) {
        for (let j = at; j < at + ROWS_PER_STATEMENT; j++) {
          const i = rows[order[j]!]!;
          const key = keys[order[j]!]!;
          args.push(i, key.siteId, key.vkey, key.nkey, c.kind[i], c.identity[i], c.nonce[i]);
        }
        for (const i of indexedRows.all(args)) found.add(i);
        args.length = 0;
      }
      for (let j = full; j < order.length; j++) {
        const i = rows[order[j]!]!;
        const key = keys[order[j]!]!;
        if (indexedRow.get(key.siteId, key.vkey, key.nkey, key.siteId, c.kind[i]!, c.identity[i]!, c.nonce[i]!) !== undefined) found.add(i);
      }
      return found;
    },

    append(key, c, i) {
      if (writing === 0) writing = Math.max(lastSeq, readSeq.get()?.value ?? 0);
      writing += 1;
      key.seq = writing;
      pending.add(key.siteId, key.vkey, key.nkey, writing, key.time);
      newRows.push(writing, key.siteId, c.kind[i], c.identity[i], c.nonce[i], c.type[i], c.time[i], c.receivedAt[i], c.data[i], c.itp[i], c.sdk[i]);
    },

    endAppend() {
      newRows.flush();
      if (writing > 0) writeSeq.run(writing);
    },

    committed(keys) {
      for (const key of keys) {
        tail.add(key);
        remember(key.siteId, key.vkey, key.nkey);
      }
      pending = new KeyRows(64);
      if (writing > 0) lastSeq = writing;
      writing = 0;
      // Backpressure: a merge whose steps are starved by appends that never pause (an import's)
      // would let the tail, and the writer's memory, grow with every event. A commit merges what
      // the steps left behind, so the running run is done by the time the next one is due: the
      // writer then holds at most about two runs of keys, and appends slow to the merge's pace.
      const behind = merging ? merging.tail.size - merging.merged - Math.max(0, options.mergeAt - tail.size) : 0;
      if (behind > 0) mergeStep(0, behind);
      else if (tail.size >= 2 * options.mergeAt) mergeStep(options.mergeStepMs);
      scheduleMerge();
    },

    rolledBack() {
      newRows.clear();
      writing = 0;
      pending = new KeyRows(64);
    },

    rowsOf: reads.rowsOf,
    pageOf: reads.pageOf,
    eventsInRanges: reads.eventsInRanges,

    deleteRows(siteId, identity, nonce) {
      const kind = identityKindCode(identity.kind);
      const rows: SeqRow[] = reads.rowsOf(siteId, identity);
      const out: DeletedRow[] = [];
      for (const row of rows) {
        if (nonce !== undefined && row.nonce !== nonce) continue;
        const key = loggedKey(row.seq, siteId, kind, row.identity, row.nonce, row.time);
        deleteRow.run(row.seq);
        index.remove(key);
        out.push({ ...key, idKind: kind, identityValue: row.identity, nonce: row.nonce });
      }
      return out;
    },

    forgotten(rows) {
      for (const t of tails()) t.remove(rows);
    },

    close() {
      closed = true;
      if (warming) clearImmediate(warming);
      if (scheduled) {
        clearImmediate(scheduled as NodeJS.Immediate);
        clearTimeout(scheduled as NodeJS.Timeout);
      }
      scheduled = null;
    },
  };
}
