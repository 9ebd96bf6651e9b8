import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.ts';
import type { Identity } from '../../core/events.ts';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { at, canonical, conversion, everyType, mappingEvent } from '../contract/contract-events.ts';
import { toEventRow } from '../event-rows.ts';
import { SQLITE_MIGRATIONS } from './schema.ts';
import { keyHash } from './sqlite-event-keys.ts';
import { openSqliteStorage } from './sqlite-storage.ts';

const vc = (value: string): Identity => ({ kind: 'visitorCode', value });
const mv = (value: string): Identity => ({ kind: 'mappingValue', value });

/** The schema before events moved to a log: one clustered table keyed by (site, identity, nonce). */
const CLUSTERED_LAYOUT_VERSION = 3;

describe('sqlite migration from the clustered events table to the log', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let file: string;
  beforeEach(() => {
    temp = makeTempDir();
    file = path.join(temp.dir, 'anole.db');
  });
  afterEach(() => temp.remove());

  it('opens a store written by the earlier schema and keeps every event, its de-duplication and its reads', async () => {
    const visitor = everyType('old-visitor');
    const byValue = [conversion('x', { identity: mv('old-user') }), conversion('x', { identity: mv('old-user') })];
    const link = mappingEvent('old-visitor', 'old-user');
    const old = [...visitor, ...byValue, link];

    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    for (const sql of SQLITE_MIGRATIONS.slice(0, CLUSTERED_LAYOUT_VERSION)) raw.exec(sql);
    raw.pragma(`user_version = ${CLUSTERED_LAYOUT_VERSION}`);
    const siteId = Number(raw.prepare('INSERT INTO sites (code, settings, created_at) VALUES (?, ?, 0)').run('legacy', JSON.stringify(DEFAULT_SITE_SETTINGS)).lastInsertRowid);
    const insert = raw.prepare(
      `INSERT INTO events (site_id, id_kind, identity, nonce, type, time, received_at, data, itp, sdk)
       VALUES (@site_id, @id_kind, @identity, @nonce, @type, @time, @received_at, @data, @itp, @sdk)`,
    );
    for (const event of old) insert.run({ site_id: siteId, ...toEventRow(event) });
    raw.prepare('INSERT INTO identity_links (site_id, mapping_value, visitor_code, time, nonce) VALUES (?, ?, ?, ?, ?)').run(siteId, 'old-user', 'old-visitor', link.time, link.nonce);
    raw.prepare("UPDATE counters SET value = ? WHERE name = 'events'").run(old.length);
    raw.close();

    const store = openSqliteStorage({ file, cacheMb: 8 });
    try {
      expect((await store.findSite('legacy'))?.id).toBe(siteId);
      expect(canonical(await store.eventsOf(siteId, [vc('old-visitor')]))).toEqual(canonical([...visitor, link]));
      expect(canonical(await store.eventsOf(siteId, [mv('old-user')]))).toEqual(canonical(byValue));
      expect(await store.appendEvents(at(siteId, old))).toEqual(old.map(() => 'duplicate'));
      expect((await store.linksOfMappingValues(siteId, ['old-user'])).map((l) => l.visitorCode)).toEqual(['old-visitor']);
      const fresh = conversion('old-visitor');
      expect(await store.appendEvents(at(siteId, [fresh, fresh]))).toEqual(['accepted', 'duplicate']);
      expect((await store.stats()).events).toBe(old.length + 1);
      // No person computed yet: one site-wide recomputation, counted as one.
      expect(await store.markAllDirty(siteId)).toBe(1);
      expect((await store.scanEvents(siteId, { cursor: null, limit: 1_000 })).events).toHaveLength(old.length + 1);
      const plan = { identities: [vc('old-visitor')], events: [], linkVisitorCodes: [], linkMappingValues: [], mapKeys: [], dirty: [] };
      expect((await store.forgetVisitors(siteId, plan)).events).toBe(visitor.length + 2);
      expect(await store.appendEvents(at(siteId, [fresh, visitor[0]!]))).toEqual(['duplicate', 'duplicate']);
    } finally {
      await store.close();
    }
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
    expect((after.prepare("SELECT value FROM counters WHERE name = 'indexed_seq'").get() as { value: number }).value).toBe(old.length);
    after.close();
  });
});

/**
 * A store file as it stood just before the first migration whose SQL holds `marker`, open raw,
 * and a way to add a site to it.
 */
function storeJustBefore(file: string, marker: string): { raw: Database.Database; site: (code: string) => number } {
  const before = SQLITE_MIGRATIONS.findIndex((sql) => sql.includes(marker));
  const raw = new Database(file);
  raw.function('anole_key_hash', { deterministic: true }, (text: unknown) => keyHash(String(text)));
  for (const sql of SQLITE_MIGRATIONS.slice(0, before)) raw.exec(sql);
  raw.pragma(`user_version = ${before}`);
  const site = (code: string) => Number(raw.prepare('INSERT INTO sites (code, settings, created_at) VALUES (?, ?, 0)').run(code, JSON.stringify(DEFAULT_SITE_SETTINGS)).lastInsertRowid);
  return { raw, site };
}

describe('sqlite migration to per-site map byte totals', () => {
  it('counts the maps a store already holds, per site, keys included', async () => {
    const temp = makeTempDir();
    const file = path.join(temp.dir, 'anole.db');
    const { raw, site } = storeJustBefore(file, 'ADD COLUMN map_bytes');
    const [a, b, empty] = [site('a'), site('b'), site('empty')];
    const put = raw.prepare('INSERT INTO maps (site_id, key, fields, expires_at, updated_at) VALUES (?, ?, ?, ?, 0)');
    put.run(a, 'clé', '{"v":"é"}', 8.64e15);
    put.run(a, 'expired', '{"x":1}', 1);
    put.run(b, 'k', '{}', 8.64e15);
    raw.close();

    const store = openSqliteStorage({ file, cacheMb: 8 });
    try {
      expect((await store.siteUsage(a)).mapBytes).toBe(Buffer.byteLength('clé{"v":"é"}') + 'expired{"x":1}'.length);
      expect((await store.siteUsage(b)).mapBytes).toBe(3);
      expect((await store.siteUsage(empty)).mapBytes).toBe(0);
      expect(await store.purgeExpiredMaps(2, 10)).toBe(1);
      expect((await store.siteUsage(a)).mapBytes).toBe(Buffer.byteLength('clé{"v":"é"}'));
    } finally {
      await store.close();
      temp.remove();
    }
  });
});

describe('sqlite migration to per-site person counts', () => {
  it('counts the persons a store already holds, per site, and asks a full recomputation for them', async () => {
    const temp = makeTempDir();
    const file = path.join(temp.dir, 'anole.db');
    // The store as it stood just before the migration that counts persons.
    const { raw, site } = storeJustBefore(file, 'CREATE TABLE site_recomputes');
    const [a, b] = [site('a'), site('b')];
    const person = raw.prepare("INSERT INTO person_contributions (site_id, person_key, data) VALUES (?, ?, '[]')");
    for (const key of ['v:1', 'v:2', 'm:u']) person.run(a, key);
    person.run(b, 'v:1');
    raw
      .prepare("INSERT INTO events (seq, site_id, id_kind, identity, nonce, type, time, received_at, data, itp) VALUES (1, ?, 0, 'v', 'n', 'page', 0, 0, '{}', 0)")
      .run(a);
    raw.close();

    const store = openSqliteStorage({ file, cacheMb: 8 });
    try {
      expect(await store.markAllDirty(a)).toBe(3);
      expect(await store.markAllDirty(b)).toBe(0);
    } finally {
      await store.close();
      temp.remove();
    }
  });
});

describe('sqlite migration to recomputations in parts', () => {
  it('keeps a recomputation under way as its part 0, which goes on from its cursor over the whole site', async () => {
    const temp = makeTempDir();
    const file = path.join(temp.dir, 'anole.db');
    const { raw, site } = storeJustBefore(file, 'CREATE TABLE site_recompute_parts');
    const siteId = site('a');
    // A scan that stood after the first hash, in the cursor form of before the parts.
    raw.prepare("INSERT INTO site_recomputes (site_id, gen, cursor, claimed_until, persons, done) VALUES (?, 3, '0:0', 0, 5, 2)").run(siteId);
    raw.close();

    const store = openSqliteStorage({ file, cacheMb: 8 });
    try {
      expect(await store.dirtyBacklog()).toBe(3);
      const job = await store.claimSiteRecompute({ leaseMs: 1_000, now: 1 });
      expect(job).toEqual({ siteId, part: 0, gen: 3, cursor: '0:0', done: 2 });
      expect((await store.scanEvents(siteId, { cursor: job!.cursor, limit: 10 })).cursor).toBeNull();
      expect(await store.advanceSiteRecompute(job!, { cursor: null, persons: 3, leaseMs: 0, now: 2 })).toBe(true);
      expect(await store.dirtyBacklog()).toBe(0);
    } finally {
      await store.close();
      temp.remove();
    }
  });
});
