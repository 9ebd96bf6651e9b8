import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.ts';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { at, conversion } from '../contract/contract-events.ts';
import { toEventRow } from '../event-rows.ts';
import { identityHash } from './sqlite-event-keys.ts';
import { followLogFeed, openLogFeedWriter } from './sqlite-log-feed.ts';
import { openSqliteReader } from './sqlite-reader.ts';
import { openSqliteStore } from './sqlite-store.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
/** A conversion of visitor v to this goal: the goals tell a read's events apart. */
function withGoal(goalId: number) {
  const event = conversion('v');
  (event.data as { goalId: number }).goalId = goalId;
  return event;
}
const goalsOf = (events: { data: unknown }[]) => events.map((e) => (e.data as { goalId: number }).goalId).sort((a, b) => a - b);

describe('sqlite log feed: the writer tells readers which rows each commit added', () => {
  it('publishes each commit\'s rows, in seq order, to every follower of the same file only', async () => {
    const temp = makeTempDir();
    const file = path.join(temp.dir, 'anole.db');
    const store = openSqliteStore({ file, cacheMb: 8, keyMergeAt: 1_000_000 });
    const got: number[][] = [];
    const other: Float64Array[] = [];
    const follower = followLogFeed(file, (entries) => got.push([...entries]));
    const stranger = followLogFeed(path.join(temp.dir, 'other.db'), (entries) => other.push(entries));
    try {
      const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
      const first = conversion('a');
      await store.appendEvents(at(site, [first, conversion('b')]));
      // A duplicate adds no row, so the second commit publishes one row.
      await store.appendEvents(at(site, [first, conversion('c')]));
      for (let i = 0; i < 100 && got.length < 2; i++) await tick();
      expect(got).toEqual([
        [site, identityHash(0, 'a'), 1, first.time, site, identityHash(0, 'b'), 2, first.time],
        [site, identityHash(0, 'c'), 3, first.time],
      ]);
      expect(other).toEqual([]);
    } finally {
      follower.close();
      stranger.close();
      await store.close();
      temp.remove();
    }
  });

  it('keeps a reader exact whether the feed is early, late, repeated or skips rows', async () => {
    const temp = makeTempDir();
    const file = path.join(temp.dir, 'anole.db');
    // The reader's copy is what answers: nothing is merged into the on-disk index meanwhile.
    const store = openSqliteStore({ file, cacheMb: 8, keyMergeAt: 1_000_000 });
    const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    const reader = openSqliteReader({ file, cacheMb: 8, events: true });
    const forged = openLogFeedWriter(file);
    const identity = { kind: 'visitorCode' as const, value: 'v' };
    try {
      // Read at once after each commit (before its message can arrive) and after it arrived.
      for (let goal = 1; goal <= 3; goal++) {
        await store.appendEvents(at(site, [withGoal(goal)]));
        expect(goalsOf(await reader.reads.eventsOf(site, [identity]))).toEqual(Array.from({ length: goal }, (_, i) => i + 1));
        await tick();
      }
      // A message repeating rows the reader holds changes nothing.
      forged.published([{ siteId: site, vkey: identityHash(0, 'v'), nkey: 0, seq: 2, time: 0 }]);
      await tick();
      expect(goalsOf(await reader.reads.eventsOf(site, [identity]))).toEqual([1, 2, 3]);
      // Rows 4 to 6 written without a message (as a message lost), then a message naming row 6
      // alone: it does not follow on from row 3, so the reader reads 4 and 5 from the log first
      // (taking 6 alone would move its copy past them for good).
      const raw = new Database(file);
      try {
        const insert = raw.prepare('INSERT INTO events (seq, site_id, id_kind, identity, nonce, type, time, received_at, data, itp, sdk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
        for (const goalId of [4, 5, 6]) {
          const row = toEventRow(withGoal(goalId));
          insert.run(goalId, site, row.id_kind, row.identity, row.nonce, row.type, row.time, row.received_at, row.data, row.itp, row.sdk);
        }
      } finally {
        raw.close();
      }
      forged.published([{ siteId: site, vkey: identityHash(0, 'v'), nkey: 0, seq: 6, time: 0 }]);
      await tick();
      expect(goalsOf(await reader.reads.eventsOf(site, [identity]))).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      forged.close();
      reader.close();
      await store.close();
      temp.remove();
    }
  });
});
