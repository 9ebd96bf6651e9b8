import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.ts';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { at, conversion } from '../contract/contract-events.ts';
import type { Storage } from '../port.ts';
import { openSqliteStorage } from './sqlite-storage.ts';

const T = Date.UTC(2026, 0, 10);

describe('sqlite: dirty marks are claimed oldest first', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let storage: Storage;
  let site: number;
  beforeEach(async () => {
    temp = makeTempDir();
    storage = openSqliteStorage({ file: path.join(temp.dir, 'anole.db'), cacheMb: 8 });
    site = (await storage.ensureSite('order', DEFAULT_SITE_SETTINGS)).id;
  });
  afterEach(async () => {
    await storage.close();
    temp.remove();
  });

  it('hands out marks in the order they were received, not in the order of their identities', async () => {
    // Identities that sort first arrive last: under a backlog they must still wait their turn.
    for (const [i, code] of ['zz', 'mm', 'aa'].entries()) {
      await storage.appendEvents(at(site, [conversion(code, { receivedAt: T + i * 1000 })]));
    }
    const first = await storage.claimDirty({ limit: 2, leaseMs: 60_000, now: T + 10_000 });
    // Within one claim the order does not matter: the two oldest, whatever their codes.
    expect(first.map((m) => m.identity).sort()).toEqual(['mm', 'zz']);
    expect((await storage.claimDirty({ limit: 2, leaseMs: 60_000, now: T + 10_000 })).map((m) => m.identity)).toEqual(['aa']);
  });

  it('keeps the place of a mark touched again, and does not hand out a mark before it was received', async () => {
    await storage.appendEvents(at(site, [conversion('b', { receivedAt: T })]));
    await storage.appendEvents(at(site, [conversion('a', { receivedAt: T + 1000 })]));
    await storage.appendEvents(at(site, [conversion('b', { receivedAt: T + 2000 })]));
    expect((await storage.claimDirty({ limit: 1, leaseMs: 60_000, now: T + 500 })).map((m) => m.identity)).toEqual(['b']);
    expect(await storage.claimDirty({ limit: 1, leaseMs: 60_000, now: T + 500 })).toEqual([]);
    expect((await storage.claimDirty({ limit: 1, leaseMs: 60_000, now: T + 1000 })).map((m) => m.identity)).toEqual(['a']);
  });
});
