import type Database from 'better-sqlite3';
import type { KeyTail, LoggedKey, MergeOrder } from './sqlite-event-keys.ts';
import { rowBatch } from './sqlite-row-batch.ts';

/** A frozen tail being merged into the index, in index order, a bounded chunk at a time. */
export interface MergeRun {
  tail: KeyTail;
  /** tail.mergeOrder(); each bucket is sorted when the merge reaches it. */
  order: MergeOrder;
  /** The bucket of `next`. */
  bucket: number;
  /** Position in order.rows of the next key to write. */
  next: number;
  /** Keys of the run written so far (skipped forgotten ones included). */
  merged: number;
  /** Every log row up to this seq is in `tail` or already in the index. */
  upTo: number;
}

export interface KeyIndex {
  /** The seq up to which every log row's key is in the index. */
  watermark(): number;
  /**
   * Writes the run's next keys until `deadline` (performance.now()) and at least `minKeys` of them,
   * in a transaction of its own; the last chunk raises the watermark with it. Advances the run;
   * answers whether it is done.
   */
  mergeChunk(run: MergeRun, deadline: number, minKeys?: number): boolean;
  /** Drops a forgotten row's keys (inside the forget transaction). */
  remove(key: Pick<LoggedKey, 'siteId' | 'vkey' | 'nkey' | 'seq' | 'time'>): void;
}

/**
 * The on-disk key indexes, compact integers written only by merges of sorted runs of the log's tail,
 * never per commit, so each of their pages is rewritten about once per merge instead of once per
 * event: `event_keys (site_id, vkey, nkey, seq)` finds an event by its de-duplication key,
 * `event_times (site_id, vkey, time, seq)` an identity's events newest first. Both share the run's
 * order by (site, vkey), so a merge walks the same few pages of each. It is derived from the log: a lost merge is redone from
 * the watermark at the next open, which is why merges commit at synchronous=NORMAL (the next
 * synchronous=FULL commit makes them durable with it, the WAL being written in order).
 */
export function sqliteKeyIndex(db: Database.Database): KeyIndex {
  // Keys go in by multi-row statements, in the run's order: each statement's rows land on the
  // same few pages of each index.
  const keys = rowBatch(db, 'INSERT OR IGNORE INTO event_keys (site_id, vkey, nkey, seq)', '(?, ?, ?, ?)');
  const times = rowBatch(db, 'INSERT OR IGNORE INTO event_times (site_id, vkey, time, seq)', '(?, ?, ?, ?)');
  const remove = db.prepare('DELETE FROM event_keys WHERE site_id = ? AND vkey = ? AND nkey = ? AND seq = ?');
  const removeTime = db.prepare('DELETE FROM event_times WHERE site_id = ? AND vkey = ? AND time = ? AND seq = ?');
  const readWatermark = db.prepare<[], { value: number }>("SELECT value FROM counters WHERE name = 'indexed_seq'");
  const raiseWatermark = db.prepare("UPDATE counters SET value = max(value, ?) WHERE name = 'indexed_seq'");

  // Answers where the next chunk starts; the run itself advances only once the chunk is committed.
  const chunk = db.transaction((run: MergeRun, deadline: number, minKeys: number): [number, number, number] => {
    const { rows: order, starts } = run.order;
    const { rows } = run.tail;
    const compare = (a: number, b: number) => rows.compare(a, b);
    let bucket = run.bucket;
    let next = run.next;
    let written = 0;
    while (next < order.length) {
      while (starts[bucket + 1]! <= next) bucket += 1;
      // A bucket is sorted as the merge enters it (again after a chunk that rolled back: harmless).
      if (next === starts[bucket]) order.subarray(starts[bucket], starts[bucket + 1]).sort(compare);
      const r = order[next]!;
      next += 1;
      if (rows.isLive(r)) {
        keys.push(rows.siteAt(r), rows.vkeyAt(r), rows.nkeyAt(r), rows.seqAt(r));
        times.push(rows.siteAt(r), rows.vkeyAt(r), rows.timeAt(r), rows.seqAt(r));
      }
      written += 1;
      if ((written & 127) === 0 && written >= minKeys && performance.now() >= deadline) break;
    }
    keys.flush();
    times.flush();
    if (next >= order.length) raiseWatermark.run(run.upTo);
    return [bucket, next, written];
  });

  return {
    watermark() {
      return readWatermark.get()?.value ?? 0;
    },
    mergeChunk(run, deadline, minKeys = 0) {
      db.pragma('synchronous = NORMAL');
      try {
        const [bucket, next, written] = chunk.immediate(run, deadline, minKeys);
        run.bucket = bucket;
        run.next = next;
        run.merged += written;
        return run.next >= run.order.rows.length;
      } catch (error) {
        // The chunk rolled back: the keys it held are written again by the chunk that retries it.
        keys.clear();
        times.clear();
        throw error;
      } finally {
        db.pragma('synchronous = FULL');
      }
    },
    remove(key) {
      remove.run(key.siteId, key.vkey, key.nkey, key.seq);
      removeTime.run(key.siteId, key.vkey, key.time, key.seq);
    },
  };
}
