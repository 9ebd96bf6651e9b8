import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.ts';
import type { VisitorEvent } from '../core/events.ts';
import { DEFAULT_SITE_SETTINGS } from '../core/site-settings.ts';
import type { SiteEvent, Storage } from '../storage/port.ts';
import { openSqliteStorage } from '../storage/sqlite/sqlite-storage.ts';
import { createGroupCommitter } from './group-commit.ts';

function event(nonce: number, visitor = 'v1'): VisitorEvent {
  return {
    type: 'activity',
    data: {},
    identity: { kind: 'visitorCode', value: visitor },
    nonce: nonce.toString(16).padStart(16, '0'),
    time: 1_700_000_000_000 + nonce,
    receivedAt: 1_700_000_000_000 + nonce,
    itp: false,
    sdk: null,
  };
}

/** A real SQLite store whose appendEvents records how many calls overlap. */
async function observedStore() {
  const temp = makeTempDir();
  const storage = openSqliteStorage({ file: path.join(temp.dir, 'a.db'), cacheMb: 8 });
  const site = await storage.ensureSite('gc', DEFAULT_SITE_SETTINGS);
  const stats = { calls: 0, inFlight: 0, maxInFlight: 0, sizes: [] as number[] };
  const observed: Storage = {
    ...storage,
    async appendEvents(events: readonly SiteEvent[]) {
      stats.calls += 1;
      stats.sizes.push(events.length);
      stats.inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      await new Promise((r) => setTimeout(r, 5));
      try {
        return await storage.appendEvents(events);
      } finally {
        stats.inFlight -= 1;
      }
    },
  };
  const close = async () => {
    await storage.close();
    temp.remove();
  };
  return { storage: observed, siteId: site.id, stats, close };
}

describe('group commit', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('writes concurrent requests in shared transactions and hands each its own verdicts', async () => {
    const store = await observedStore();
    close = store.close;
    const committer = createGroupCommitter(store.storage, { maxEvents: 1000, lanes: 1 });
    const requests = Array.from({ length: 20 }, (_, i) => [event(i), event(i), event(100 + i)].map((e) => ({ siteId: store.siteId, event: e })));
    const verdicts = await Promise.all(requests.map((r) => committer.submit(r)));
    for (const v of verdicts) expect(v).toEqual(['accepted', 'duplicate', 'accepted']);
    expect(store.stats.calls).toBeLessThan(20);
    expect(store.stats.maxInFlight).toBe(1);
  });

  it('caps a transaction at maxEvents and keeps up to `lanes` in flight', async () => {
    const store = await observedStore();
    close = store.close;
    const committer = createGroupCommitter(store.storage, { maxEvents: 10, lanes: 3 });
    const requests = Array.from({ length: 12 }, (_, i) => Array.from({ length: 5 }, (_, j) => ({ siteId: store.siteId, event: event(i * 10 + j, `v${i}`) })));
    const verdicts = await Promise.all(requests.map((r) => committer.submit(r)));
    expect(verdicts.flat().every((v) => v === 'accepted')).toBe(true);
    expect(Math.max(...store.stats.sizes)).toBeLessThanOrEqual(10);
    expect(store.stats.maxInFlight).toBeGreaterThan(1);
    expect(store.stats.maxInFlight).toBeLessThanOrEqual(3);
    await committer.drain();
  });
});
