import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Identity, VisitorEvent } from '../../core/events.ts';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { FROM_SCRATCH } from '../port.ts';
import { at, canonical, conversion, everyType } from '../contract/contract-events.ts';
import { identityHash, keyHash } from './sqlite-event-keys.ts';
import { useSqliteStores } from './sqlite-test-stores.ts';

const vc = (value: string): Identity => ({ kind: 'visitorCode', value });
const counter = (file: string, name: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT value FROM counters WHERE name = ?').get(name) as { value: number }).value;
  } finally {
    db.close();
  }
};

/** Lets scheduled merge steps run until the log's keys are all in the index. */
async function untilMerged(file: string, upTo: number): Promise<void> {
  for (let i = 0; i < 500 && counter(file, 'indexed_seq') < upTo; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(counter(file, 'indexed_seq')).toBeGreaterThanOrEqual(upTo);
}

describe('sqlite event log: keys in memory, in the index, and across restarts', () => {
  const stores = useSqliteStores();
  const openStore = stores.openStore;
  let file: string;
  let temp: { dir: string };
  beforeEach(() => {
    file = stores.file();
    temp = { dir: stores.dir() };
  });

  it('reopened with every key still unmerged: replays are duplicates and reads are complete', async () => {
    const store = openStore({ keyMergeAt: 1_000_000 });
    const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    const events = Array.from({ length: 50 }, (_, i) => conversion(`u${i % 7}`));
    expect(await store.appendEvents(at(site, events))).toEqual(events.map(() => 'accepted'));
    await store.close();
    expect(counter(file, 'indexed_seq')).toBe(0);

    const reopened = openStore({ keyMergeAt: 1_000_000 });
    expect(await reopened.appendEvents(at(site, events))).toEqual(events.map(() => 'duplicate'));
    expect(await reopened.alreadyStored(at(site, events.slice(0, 3)))).toEqual([true, true, true]);
    for (let v = 0; v < 7; v++) {
      expect(canonical(await reopened.eventsOf(site, [vc(`u${v}`)]))).toEqual(canonical(events.filter((e) => e.identity.value === `u${v}`)));
    }
    expect((await reopened.stats()).events).toBe(50);
  });

  it('recovers from a crash image taken mid-run (no close, no merge): nothing acknowledged is lost or stored twice', async () => {
    const store = openStore({ keyMergeAt: 20, keyMergeStepMs: 1 });
    const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    const merged = Array.from({ length: 40 }, (_, i) => conversion(`c${i % 5}`));
    await store.appendEvents(at(site, merged));
    await untilMerged(file, 40);
    const unmerged = Array.from({ length: 15 }, (_, i) => conversion(`c${i % 5}`));
    await store.appendEvents(at(site, unmerged));
    // The database and its WAL as a power loss leaves them: the handle is still open, the checkpointer
    // may be copying the WAL meanwhile. The shared-memory index is not durable, so it is not copied:
    // the copy rebuilds it from the WAL, as a machine restarting would.
    const crashDir = path.join(temp.dir, 'crash');
    fs.mkdirSync(crashDir);
    for (const name of ['anole.db', 'anole.db-wal']) fs.copyFileSync(path.join(temp.dir, name), path.join(crashDir, name));
    const recovered = openStore({ keyMergeAt: 20, keyMergeStepMs: 1 }, path.join(crashDir, 'anole.db'));
    const all = [...merged, ...unmerged];
    expect(await recovered.appendEvents(at(site, [...all].reverse()))).toEqual(all.map(() => 'duplicate'));
    expect(canonical(await recovered.eventsOf(site, ['c0', 'c1', 'c2', 'c3', 'c4'].map(vc)))).toEqual(canonical(all));
    const fresh = conversion('c0');
    expect(await recovered.appendEvents(at(site, [fresh, fresh]))).toEqual(['accepted', 'duplicate']);
    expect((await recovered.stats()).events).toBe(all.length + 1);
  });

  it('forgets events whose keys are in the index or still in memory, and they stay forgotten after a restart', async () => {
    const store = openStore({ keyMergeAt: 10, keyMergeStepMs: 1 });
    const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    const early = everyType('f1');
    await store.appendEvents(at(site, [...early, ...Array.from({ length: 10 }, () => conversion('other'))]));
    await untilMerged(file, early.length + 10);
    const late = [conversion('f1'), conversion('f1')];
    await store.appendEvents(at(site, late));
    const plan = { identities: [vc('f1')], events: [], linkVisitorCodes: [], linkMappingValues: [], mapKeys: [], dirty: [] };
    expect((await store.forgetVisitors(site, plan)).events).toBe(early.length + 2);
    expect(await store.eventsOf(site, [vc('f1')])).toEqual([]);
    expect(await store.appendEvents(at(site, [...early, ...late]))).toEqual([...early, ...late].map(() => 'duplicate'));
    await store.close();
    const reopened = openStore({ keyMergeAt: 10, keyMergeStepMs: 1 });
    expect(await reopened.eventsOf(site, [vc('f1')])).toEqual([]);
    expect((await reopened.eventsOf(site, [vc('other')])).length).toBe(10);
  });

  it('confirms every hash match against the log: a colliding key neither hides an event nor leaks another', async () => {
    const store = openStore({ keyMergeAt: 2, keyMergeStepMs: 1 });
    const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    const stored = [conversion('victim'), conversion('victim')];
    await store.appendEvents(at(site, stored));
    await untilMerged(file, 2);
    const newcomer = conversion('newcomer');
    // Index entries claiming that the newcomer's key (and identity) live at the victim's rows.
    const raw = new Database(file);
    raw.prepare('INSERT INTO event_keys (site_id, vkey, nkey, seq) VALUES (?, ?, ?, 1), (?, ?, ?, 2)').run(
      site, identityHash(0, 'newcomer'), keyHash(newcomer.nonce), site, identityHash(0, 'newcomer'), keyHash(newcomer.nonce),
    );
    // And the (identity, time) index that eventsSince walks, likewise.
    raw.prepare('INSERT INTO event_times (site_id, vkey, time, seq) VALUES (?, ?, ?, 1), (?, ?, ?, 2)').run(
      site, identityHash(0, 'newcomer'), stored[0]!.time, site, identityHash(0, 'newcomer'), stored[1]!.time,
    );
    raw.close();
    const since = (value: string) => store.eventsSince(site, [{ identity: vc(value), since: FROM_SCRATCH }]);
    expect(await store.alreadyStored(at(site, [newcomer]))).toEqual([false]);
    expect(await store.eventsOf(site, [vc('newcomer')])).toEqual([]);
    expect(await since('newcomer')).toEqual([]);
    expect(await store.appendEvents(at(site, [newcomer]))).toEqual(['accepted']);
    expect(await store.eventsOf(site, [vc('newcomer')])).toEqual([newcomer]);
    expect(await since('newcomer')).toEqual([newcomer]);
    expect(canonical(await store.eventsOf(site, [vc('victim')]))).toEqual(canonical(stored));
    expect(canonical(await since('victim'))).toEqual(canonical(stored));
    // Both asked at once: each row goes to its own identity, once.
    const both = await store.eventsSince(site, [{ identity: vc('victim'), since: FROM_SCRATCH }, { identity: vc('newcomer'), since: FROM_SCRATCH }]);
    expect(canonical(both)).toEqual(canonical([...stored, newcomer]));
  });

  it('decides a batch written by multi-row statements as row by row: index replays, forged index entries, and repeats of rows not yet written', async () => {
    const store = openStore({ keyMergeAt: 100, keyMergeStepMs: 1 });
    const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    const merged = Array.from({ length: 120 }, (_, i) => conversion(`m${i % 40}`));
    await store.appendEvents(at(site, merged));
    await untilMerged(file, 120);
    // Index entries for new events of indexed identities, pointing at rows of other events: each
    // must be confirmed against the log and found wanting.
    const fresh = Array.from({ length: 75 }, (_, i) => conversion(`m${i % 40}`));
    const raw = new Database(file);
    const forge = raw.prepare('INSERT INTO event_keys (site_id, vkey, nkey, seq) VALUES (?, ?, ?, ?)');
    fresh.forEach((e, i) => forge.run(site, identityHash(0, e.identity.value), keyHash(e.nonce), 1 + (i % 120)));
    raw.close();
    // 120 replays of indexed rows (more than two multi-row lookups), 75 new rows, and each new row
    // sent again once 3 rows later and once 60 rows later (within and across multi-row inserts).
    const batch = [...merged];
    fresh.forEach((e, i) => batch.splice(2 * i + i, 0, e));
    const later = fresh.map((e, i) => ({ e, at: 3 * i + 3 }));
    for (const { e, at: where } of later.reverse()) batch.splice(where, 0, e);
    for (const [i, e] of fresh.entries()) batch.splice(Math.min(batch.length, batch.indexOf(e) + 60 + i), 0, e);
    const verdicts = await store.appendEvents(at(site, batch));
    const firsts = new Set<VisitorEvent>();
    const expected = batch.map((e) => (merged.includes(e) || firsts.has(e) ? 'duplicate' : (firsts.add(e), 'accepted')));
    expect(verdicts).toEqual(expected);
    expect(verdicts.filter((v) => v === 'accepted')).toHaveLength(75);
    expect((await store.stats()).events).toBe(195);
    for (let v = 0; v < 40; v++) {
      const all = [...merged, ...fresh].filter((e) => e.identity.value === `m${v}`);
      expect(canonical(await store.eventsOf(site, [vc(`m${v}`)]))).toEqual(canonical(all));
    }
    expect(await store.appendEvents(at(site, [...fresh, ...merged]))).toEqual(Array(195).fill('duplicate'));
  });
  it('skips the index only for keys its filter never saw: replays merged before a restart, by this handle, and by another handle are all duplicates', async () => {
    for (const keyFilterMb of [16, 0]) {
      // 0: the smallest filter, overfilled by these keys, so that nearly every probe is made.
      const at0 = path.join(temp.dir, `filter-${keyFilterMb}.db`);
      const options = { keyMergeAt: 20, keyMergeStepMs: 1, keyFilterMb };
      const first = openStore(options, at0);
      const site = (await first.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
      const before = Array.from({ length: 60 }, (_, i) => conversion(`b${i % 6}`));
      await first.appendEvents(at(site, before));
      await untilMerged(at0, 60);
      await first.close();

      // Reopened: the identities' keys in the index are older than its filter, so they are probed.
      const store = openStore(options, at0);
      const other = openStore(options, at0);
      const sent = [...before];
      const mine = [...Array.from({ length: 30 }, (_, i) => conversion(`b${i % 6}`)), ...Array.from({ length: 30 }, (_, i) => conversion(`n${i % 6}`))];
      expect(await store.appendEvents(at(site, [...mine, ...before]))).toEqual([...mine.map(() => 'accepted'), ...before.map(() => 'duplicate')]);
      sent.push(...mine);
      // Another handle's events, merged by it: this one sees them as it catches up, before deciding.
      const theirs = [...Array.from({ length: 30 }, (_, i) => conversion(`n${i % 6}`)), ...Array.from({ length: 30 }, (_, i) => conversion(`t${i % 6}`))];
      expect(await other.appendEvents(at(site, theirs))).toEqual(theirs.map(() => 'accepted'));
      sent.push(...theirs);
      await untilMerged(at0, sent.length);
      const fresh = [conversion('b0'), conversion('n0'), conversion('t0')];
      expect(await store.appendEvents(at(site, [...sent, ...fresh]))).toEqual([...sent.map(() => 'duplicate'), 'accepted', 'accepted', 'accepted']);
      expect(await other.appendEvents(at(site, [...sent, ...fresh]))).toEqual([...sent, ...fresh].map(() => 'duplicate'));
      expect((await store.stats()).events).toBe(sent.length + 3);
    }
  });

  it('reads the index keys into its filter after a restart, between commits: replays stay duplicates before, during and after', async () => {
    const options = { keyMergeAt: 20, keyMergeStepMs: 1 };
    const first = openStore(options);
    const site = (await first.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    // More keys than one read of the warming fetches, so that it takes several steps.
    const before = Array.from({ length: 5_000 }, (_, i) => conversion(`w${i % 50}`));
    await first.appendEvents(at(site, before));
    await untilMerged(file, 5_000);
    await first.close();

    const store = openStore(options);
    const early = [...before.slice(0, 100), conversion('w0')];
    expect(await store.appendEvents(at(site, early))).toEqual([...before.slice(0, 100).map(() => 'duplicate'), 'accepted']);
    // Warming done, the identities' counts (read before it) say the filter covers them: a replay
    // is found only if the warming put its key in the filter.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const late = [...before, ...early, conversion('w1'), conversion('x')];
    expect(await store.appendEvents(at(site, late))).toEqual([...before, ...early].map(() => 'duplicate').concat(['accepted', 'accepted']));
    expect((await store.stats()).events).toBe(5_003);
  });

  it('finds replays of identities first seen while a run was merging, before and after their own run is merged', async () => {
    // Merge steps of 0 ms: runs merge a little at a time, so identities arrive mid-merge.
    const store = openStore({ keyMergeAt: 30, keyMergeStepMs: 0 });
    const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    const sent: VisitorEvent[] = [];
    for (let round = 0; round < 12; round++) {
      // Each round: events of identities seen before, and of identities never seen until now.
      const batch = [...Array.from({ length: 10 }, (_, i) => conversion(`old${i}`)), ...Array.from({ length: 10 }, (_, i) => conversion(`new${round}-${i}`))];
      expect(await store.appendEvents(at(site, batch))).toEqual(batch.map(() => 'accepted'));
      sent.push(...batch);
      expect(await store.appendEvents(at(site, sent))).toEqual(sent.map(() => 'duplicate'));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await untilMerged(file, 210);
    expect(await store.appendEvents(at(site, sent))).toEqual(sent.map(() => 'duplicate'));
    expect((await store.stats()).events).toBe(240);
  });

  it('checkpoints the WAL on a thread of its own, not in a commit: the writer alone would not before 10M pages', async () => {
    const store = openStore({ walAutocheckpointPages: 10_000_000 });
    const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    for (let i = 0; i < 20; i++) await store.appendEvents(at(site, Array.from({ length: 200 }, (_, j) => conversion(`w${j}`))));
    // The database file alone (its WAL left behind) holds the events once a checkpoint copied them.
    const copy = path.join(temp.dir, 'main-file-only.db');
    const inMainFile = () => {
      fs.copyFileSync(file, copy);
      const raw = new Database(copy, { readonly: true });
      try {
        // Before the first checkpoint even the schema is only in the WAL.
        const exists = raw.prepare("SELECT 1 FROM sqlite_master WHERE name = 'events'").get();
        return exists ? (raw.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n : 0;
      } catch (error) {
        // A copy taken while a checkpoint writes the file in place mixes pages from before and
        // after it (nothing a crash leaves: a crash image keeps the WAL); the next copy is whole.
        if ((error as { code?: string }).code === 'SQLITE_CORRUPT') return 0;
        throw error;
      } finally {
        raw.close();
      }
    };
    let n = inMainFile();
    // A deadline, not a count of turns: on a loaded machine the checkpointer thread may take seconds to start.
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && n < 4000; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      n = inMainFile();
    }
    expect(n).toBe(4000);
  });

  it('keeps the unmerged tail bounded under appends that never pause: commits merge as they append once a run waits', async () => {
    // Steps of 0 ms merge 128 keys per turn, far fewer than a turn appends: without backpressure
    // the tail (the writer's memory) would grow with every event.
    const mergeAt = 500;
    const store = openStore({ keyMergeAt: mergeAt, keyMergeStepMs: 0 });
    const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    let worst = 0;
    const batches = 40;
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < batches) {
          next += 1;
          const events = Array.from({ length: 500 }, (_, i) => conversion(`u${i % 50}`));
          expect(new Set(await store.appendEvents(at(site, events)))).toEqual(new Set(['accepted']));
          worst = Math.max(worst, counter(file, 'events') - counter(file, 'indexed_seq'));
        }
      }),
    );
    expect(counter(file, 'events')).toBe(batches * 500);
    // A running run (at most about two thresholds), the tail behind it (one), and the commits in flight.
    expect(worst).toBeLessThanOrEqual(3 * mergeAt + 4 * 500);
  });
});
