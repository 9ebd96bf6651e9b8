import type Database from 'better-sqlite3';
import type { DirtyMark } from '../port.ts';
import { rowBatch } from './sqlite-row-batch.ts';

/** Marks per site the writer remembers as written; older ones are simply written again. */
const KEPT = 100_000;

export interface DirtyMarks {
  /** Marks the identity dirty inside the append transaction, from `since` on (its oldest new event). */
  mark(siteId: number, kind: number, identity: string, receivedAt: number, since: number): void;
  /** Writes the transaction's marks (inside it, after its last `mark`). */
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
  /** The running transaction's marks: key, site, kind, identity, receive time, since, since remembered once written. */
  let writing: [string, number, number, string, number, number, number][] = [];
  let checked = false;
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
    mark(siteId, kind, identity, receivedAt, since) {
      if (!checked) {
        checked = true;
        const now = dataVersion();
        if (now !== version) forget();
        version = now;
      }
      const key = keyOf(siteId, kind, identity);
      const held = known(key);
      if (held !== undefined && held <= since && claims === 0) return;
      writing.push([key, siteId, kind, identity, receivedAt, since, held === undefined ? since : Math.min(held, since)]);
    },
    flush() {
      // In key order (within a site, the key string sorts as the table's key does): the upserts of
      // one commit walk the table's B-tree from one end to the other, each page visited once,
      // instead of a random page per mark. Measured on the bench's visitors, 5,000 marks a commit
      // into 100,000: about half the time of one upsert per mark in arrival order, the sort included.
      writing.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const [, siteId, kind, identity, receivedAt, since] of writing) upserts.push(siteId, kind, identity, receivedAt, since);
      upserts.flush();
    },
    committed() {
      for (const [key, , , , , , since] of writing) remember(key, since);
      writing = [];
      checked = false;
    },
    rolledBack() {
      upserts.clear();
      writing = [];
      checked = false;
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
