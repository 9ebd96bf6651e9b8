import type Database from 'better-sqlite3';
import type { DirtyMark } from '../port.ts';
import { rowBatch } from './sqlite-row-batch.ts';

/** Marks per site the writer remembers as written; older ones are simply written again. */
const KEPT = 100_000;

/** One identity's mark in the running transaction. */
interface Touched {
  key: string;
  siteId: number;
  kind: number;
  identity: string;
  receivedAt: number;
  since: number;
  /** The `since` remembered for it once written: the lower of this one and what was remembered. */
  remembered: number;
}

function inTableOrder(a: Touched, b: Touched): number {
  return a.siteId - b.siteId || a.kind - b.kind || (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0);
}

export interface DirtyMarks {
  /**
   * One event accepted for the identity inside the append transaction: its mark asks for a
   * recomputation from the oldest event time the transaction touched it with, claimable from the
   * receive time of the first.
   */
  touch(siteId: number, kind: number, identity: string, receivedAt: number, time: number): void;
  /** Writes the transaction's marks (inside it, after its last `touch`). */
  flush(): void;
  /** The append committed: its marks are known to be written. */
  committed(): void;
  /** The append rolled back: its marks were not written. */
  rolledBack(): void;
  /**
   * A claim is about to run. Until `settled` names what it claimed, every mark is written: the
   * claim's answer arrives a microtask later, and an append may run in between.
   */
  claiming(): void;
  /** A claim answered (with the marks it claimed, or null if it failed). */
  claimed(marks: readonly Pick<DirtyMark, 'siteId' | 'idKind' | 'identity'>[] | null): void;
  /** A worker completes these marks: the next event of each must write its mark again. */
  settled(marks: readonly Pick<DirtyMark, 'siteId' | 'idKind' | 'identity'>[]): void;
}

/**
 * The append path's dirty marks: one upsert per touched identity per commit (~13% of the writer's
 * time in a profile of the bench's traffic), written in key order by multi-row statements at the
 * end of the transaction, except where it would change nothing. A mark this connection wrote,
 * that no worker has claimed or completed since, already says what another event of the identity
 * would say: its generation has moved past every claim, so a worker holding one releases it
 * instead of deleting it, and its `since` is at most the remembered one. Every claim and
 * completion goes through this connection (the writer), which tells this module
 * (`claiming`/`claimed`, `settled`); another connection's write (a second process, `openAnother`)
 * shows in `PRAGMA data_version`, and then nothing remembered is trusted.
 */
export function sqliteDirtyMarks(db: Database.Database): DirtyMarks {
  // A new mark is claimable from its receive time on, and workers claim the oldest first, so a mark
  // waits behind the backlog, never behind every identity that sorts before it. A mark touched again
  // keeps its place (and its lease, when claimed).
  const upserts = rowBatch(
    db,
    'INSERT INTO dirty_identities (site_id, id_kind, identity, gen, claimed_until, since)',
    '(?, ?, ?, 1, ?, ?)',
    'ON CONFLICT DO UPDATE SET gen = gen + 1, since = min(since, excluded.since)',
  );
  const dataVersion = () => db.pragma('data_version', { simple: true }) as number;

  /** Per site and identity (kind NUL value): the `since` the written mark holds at most. */
  let young = new Map<string, number>();
  let old = new Map<string, number>();
  let version = dataVersion();
  /** The running transaction's identities, by key: each one's mark, written by `flush` unless it would change nothing. */
  let touched = new Map<string, Touched>();
  /** The marks `flush` wrote, with the `since` each is remembered with once committed. */
  let writing: Touched[] = [];
  /** Claims run but not yet answered: while any is, nothing remembered is trusted. */
  let claims = 0;

  const keyOf = (siteId: number, kind: number, identity: string) => `${siteId}\u0000${kind}\u0000${identity}`;
  const known = (key: string): number | undefined => young.get(key) ?? old.get(key);
  const remember = (key: string, since: number) => {
    young.set(key, since);
    if (young.size >= KEPT) {
      old = young;
      young = new Map();
    }
  };
  const forget = () => {
    young = new Map();
    old = new Map();
  };
  const settle = (marks: readonly Pick<DirtyMark, 'siteId' | 'idKind' | 'identity'>[]) => {
    for (const m of marks) {
      const key = keyOf(m.siteId, m.idKind, m.identity);
      young.delete(key);
      old.delete(key);
    }
  };

  return {
    touch(siteId, kind, identity, receivedAt, time) {
      const key = keyOf(siteId, kind, identity);
      const mark = touched.get(key);
      if (!mark) touched.set(key, { key, siteId, kind, identity, receivedAt, since: time, remembered: time });
      else if (time < mark.since) mark.since = time;
    },
    flush() {
      if (touched.size === 0) return;
      const now = dataVersion();
      if (now !== version) forget();
      version = now;
      for (const mark of touched.values()) {
        const held = known(mark.key);
        if (held !== undefined && held <= mark.since && claims === 0) continue;
        mark.remembered = held === undefined ? mark.since : Math.min(held, mark.since);
        writing.push(mark);
      }
      touched = new Map();
      // In the table's key order (site, kind, identity): the upserts of one commit walk the table's
      // B-tree from one end to the other, each page visited once, instead of a random page per
      // mark. Measured on the bench's visitors, 5,000 marks a commit into 100,000: about half the
      // time of one upsert per mark in arrival order, the sort included.
      writing.sort(inTableOrder);
      for (const mark of writing) upserts.push(mark.siteId, mark.kind, mark.identity, mark.receivedAt, mark.since);
      upserts.flush();
    },
    committed() {
      for (const mark of writing) remember(mark.key, mark.remembered);
      writing = [];
    },
    rolledBack() {
      upserts.clear();
      touched = new Map();
      writing = [];
    },
    claiming() {
      claims += 1;
    },
    claimed(marks) {
      claims -= 1;
      if (marks) settle(marks);
      else forget();
    },
    settled: settle,
  };
}
