import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, testPostgres, type TestDatabase } from '../../test/helpers/postgres-database.ts';
import { makeTempDir } from '../../test/helpers/temp-dir.ts';
import type { VisitorEvent } from '../core/events.ts';
import { DEFAULT_QUOTAS, DEFAULT_SITE_SETTINGS } from '../core/site-settings.ts';
import { conversion } from '../storage/contract/contract-events.ts';
import type { Storage } from '../storage/port.ts';
import { openPostgresStorage } from '../storage/postgres/postgres-storage.ts';
import { attachSqliteStorage, openSqliteStorage } from '../storage/sqlite/sqlite-storage.ts';
import { markedRound, runAttributionRound } from './attribution-worker.ts';

const T = Date.UTC(2026, 0, 5, 10);
const NOW = T + 86_400_000;
const LEASE_MS = 1_000;
const EXPERIMENT = 9;

const exposure = (code: string, time: number): VisitorEvent =>
  ({ ...conversion(code, { time, receivedAt: time }), type: 'experiment', data: { id: EXPERIMENT, variationId: 1 } }) as VisitorEvent;
const purchase = (code: string, time: number) => conversion(code, { time, receivedAt: time });

/** Two handles on one store, as two nodes (PostgreSQL) or two threads (SQLite) hold it. */
interface TwoHandles {
  a: Storage;
  b: Storage;
  close(): Promise<void>;
}

const server = testPostgres();
let database: Promise<TestDatabase> | null = null;
afterAll(async () => {
  if (database) await (await database).drop();
});

const engines: { name: string; skip: string | null; open: () => Promise<TwoHandles> }[] = [
  {
    name: 'sqlite',
    skip: null,
    async open() {
      const temp = makeTempDir();
      const owner = openSqliteStorage({ file: path.join(temp.dir, 'race.db'), cacheMb: 8 });
      const attached = attachSqliteStorage((await owner.share()).link);
      return {
        a: attached,
        b: owner,
        async close() {
          await attached.close();
          await owner.close();
          temp.remove();
        },
      };
    },
  },
  {
    name: 'postgres',
    skip: server.skip,
    async open() {
      const db = await (database ??= createTestDatabase(server.adminUrl!));
      const { schema, drop } = await db.createSchema();
      const a = await openPostgresStorage({ url: db.url, schema, poolSize: 2 });
      const b = await openPostgresStorage({ url: db.url, schema, poolSize: 2 });
      return {
        a,
        b,
        async close() {
          await a.close();
          await b.close();
          await drop();
        },
      };
    },
  },
];

/** `storage` whose contribution writes wait until `open()` is called; `reached` resolves when the first one is waiting. */
function gated(storage: Storage) {
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handle: Storage = {
    ...storage,
    async replacePersonsContributions(...args) {
      reach();
      await gate;
      return storage.replacePersonsContributions(...args);
    },
  };
  return { handle, reached, open: release };
}

for (const engine of engines) {
  describe.skipIf(engine.skip !== null)(`two workers recomputing one person at once (${engine.name}${engine.skip ? `, skipped: ${engine.skip}` : ''})`, () => {
    let handles: TwoHandles | null = null;
    afterEach(async () => {
      await handles?.close();
      handles = null;
    });

    it('leave the later reading last, whichever writes last', async () => {
      handles = await engine.open();
      const { a, b } = handles;
      const site = (await a.ensureSite('race', DEFAULT_SITE_SETTINGS)).id;
      await a.appendEvents([exposure('c', T), purchase('c', T + 60_000)].map((event) => ({ siteId: site, event })));

      // Worker A claims the mark and reads the person, then stalls before its write (a slow node).
      const slow = gated(a);
      const roundA = markedRound(slow.handle, { batch: 10, leaseMs: LEASE_MS, now: () => NOW, quotas: DEFAULT_QUOTAS });
      await slow.reached;
      // Another purchase arrives; A's lease runs out and worker B takes the mark over, reads both
      // purchases and writes first.
      await b.appendEvents([{ siteId: site, event: purchase('c', T + 120_000) }]);
      const roundB = await markedRound(b, { batch: 10, leaseMs: LEASE_MS, now: () => NOW + 2 * LEASE_MS, quotas: DEFAULT_QUOTAS });
      expect(roundB.persons).toBeGreaterThan(0);
      const afterB = await b.resultAggregates(site, EXPERIMENT);
      // A's write of its older reading lands last, and changes nothing.
      slow.open();
      await roundA;
      expect(await b.resultAggregates(site, EXPERIMENT)).toEqual(afterB);
      expect(await b.dirtyBacklog()).toBe(0);

      // What B left is what a recomputation of every event gives.
      await b.markAllDirty(site);
      for (let i = 0; i < 50 && (await b.dirtyBacklog()) > 0; i++) {
        await runAttributionRound(b, { batch: 10, leaseMs: LEASE_MS, now: () => NOW + 10 * LEASE_MS, quotas: DEFAULT_QUOTAS });
      }
      expect(await b.dirtyBacklog()).toBe(0);
      expect(await b.resultAggregates(site, EXPERIMENT)).toEqual(afterB);
    });
  });
}
