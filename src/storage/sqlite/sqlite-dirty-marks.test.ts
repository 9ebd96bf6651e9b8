import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { at, conversion } from '../contract/contract-events.ts';
import type { Storage } from '../port.ts';
import { toEventColumns } from '../event-columns.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { useSqliteStores } from './sqlite-test-stores.ts';

const T = Date.UTC(2026, 0, 10);
const claimAll = (storage: Storage, now = T + 60_000) => storage.claimDirty({ limit: 100, leaseMs: 60_000, now });

// The writer skips the upsert of a mark it wrote and no worker settled since: these are the cases
// where skipping would lose a recomputation if it were wrong.
describe('sqlite: dirty marks the writer remembers', () => {
  const { openStore, dir } = useSqliteStores();

  it('an event after a claim moves the generation on, so the claim completes as a release and the mark stays', async () => {
    const store = openStore();
    const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    await store.appendEvents(at(site, [conversion('a', { receivedAt: T, time: T })]));
    const [claimed] = await claimAll(store);
    expect(claimed?.identity).toBe('a');
    await store.appendEvents(at(site, [conversion('a', { receivedAt: T + 1, time: T + 1 })]));
    await store.appendEvents(at(site, [conversion('a', { receivedAt: T + 2, time: T + 2 })]));
    await store.completeDirty([claimed!]);
    const again = await claimAll(store);
    expect(again.map((m) => m.identity)).toEqual(['a']);
    expect(again[0]!.gen).toBeGreaterThan(claimed!.gen);
    await store.completeDirty(again);
    expect(await store.dirtyBacklog()).toBe(0);
    // Completed: the next event writes a new mark.
    await store.appendEvents(at(site, [conversion('a', { receivedAt: T + 3, time: T + 3 })]));
    expect((await claimAll(store)).map((m) => m.identity)).toEqual(['a']);
  });

  it('an event the writer takes while a claim is being answered still moves the generation on', async () => {
    // The store on this thread, as the writer thread runs it: the claim's statement runs at once,
    // its answer a microtask later, and the writer may append in between.
    const store = openSqliteStore({ file: path.join(dir(), 'in-thread.db'), cacheMb: 8 });
    try {
      const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
      store.appendColumns(toEventColumns(at(site, [conversion('a', { receivedAt: T, time: T })])));
      const claiming = claimAll(store);
      store.appendColumns(toEventColumns(at(site, [conversion('a', { receivedAt: T + 1, time: T + 1 })])));
      const claimed = await claiming;
      expect(claimed.map((m) => m.identity)).toEqual(['a']);
      await store.completeDirty(claimed);
      expect((await claimAll(store)).map((m) => m.identity)).toEqual(['a']);
    } finally {
      await store.close();
    }
  });

  it('an older event than the mark remembers still lowers its since', async () => {
    const store = openStore();
    const site = (await store.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    await store.appendEvents(at(site, [conversion('a', { receivedAt: T, time: T })]));
    await store.appendEvents(at(site, [conversion('a', { receivedAt: T + 1, time: T + 5 })]));
    await store.appendEvents(at(site, [conversion('a', { receivedAt: T + 2, time: T - 1000 })]));
    expect((await claimAll(store)).map((m) => m.since)).toEqual([T - 1000]);
  });

  it('a mark another handle completed is written again by the next event', async () => {
    const first = openStore();
    const site = (await first.ensureSite('s', DEFAULT_SITE_SETTINGS)).id;
    await first.appendEvents(at(site, [conversion('a', { receivedAt: T, time: T })]));
    const second = openStore();
    await second.completeDirty(await claimAll(second));
    expect(await first.dirtyBacklog()).toBe(0);
    await first.appendEvents(at(site, [conversion('a', { receivedAt: T + 1, time: T + 1 })]));
    expect((await claimAll(second)).map((m) => m.identity)).toEqual(['a']);
  });
});
