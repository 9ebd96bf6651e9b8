import pg from 'pg';
import type { Identity, VisitorEvent } from '../../core/events.ts';
import { linkFromEvent, type IdentityLink } from '../../core/identity.ts';
import { fromEventRow, fromLinkRow, fromSiteRow, identityKindCode, toEventRow, widestRanges, type EventRow, type LinkRow, type SiteRow } from '../event-rows.ts';
import type { AppendVerdict, Storage, StoreStats } from '../port.ts';
import { LIMITS } from '../../core/limits.ts';
import { pushTo } from '../../core/lists-by-key.ts';
import { migratePostgres } from './migrate.ts';
import { postgresApiKeys } from './postgres-api-keys.ts';
import { postgresDerived } from './postgres-derived.ts';
import { postgresForget, type FreshEvent } from './postgres-forget.ts';
import { postgresMaps } from './postgres-maps.ts';
import { MARK_DIRTY, transactionOn } from './postgres-transaction.ts';

export interface PostgresOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Schema holding Anole's tables (default: the server's search_path, normally `public`). */
  schema?: string;
  /** Connections this node keeps open at most. */
  poolSize?: number;
  /** Shards of the event counter: more shards, fewer writers waiting on the same counter row. */
  counterShards?: number;
  /** Events one identity may hold (LIMITS.eventsPerIdentity by default); later ones are `over_limit`. */
  eventsPerIdentity?: number;
}

interface KeyRow {
  site_id: number;
  id_kind: number;
  identity: string;
  nonce: string;
}

/** The de-duplication key as one string; NUL cannot occur in any part (identities refuse control characters). */
function keyOf(siteId: number, idKind: number, identity: string, nonce: string): string {
  return `${siteId}\u0000${idKind}\u0000${identity}\u0000${nonce}`;
}

const EVENT_COLUMNS = 'site_id, id_kind, identity, nonce, type, time, received_at, data, itp, sdk';

/**
 * One statement for the whole batch: columns travel as ten arrays and `unnest` turns them back into
 * rows. RETURNING names the rows that were new; the others conflicted with a stored event.
 */
const INSERT_EVENTS = `
  INSERT INTO events (${EVENT_COLUMNS})
  SELECT * FROM unnest($1::integer[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
                       $8::text[], $9::smallint[], $10::text[])
  ON CONFLICT DO NOTHING
  RETURNING site_id, id_kind, identity, nonce`;

const INSERT_LINKS = `
  INSERT INTO identity_links (site_id, mapping_value, visitor_code, time, nonce)
  SELECT * FROM unnest($1::integer[], $2::text[], $3::text[], $4::bigint[], $5::text[])
  ON CONFLICT DO NOTHING`;

/**
 * Adds the batch's new events to each identity's count and answers the totals. The row lock it
 * takes makes concurrent appends to one identity (on any node) count one after the other, so the
 * cap is exact; identities come sorted, so lock order is global.
 */
const COUNT_EVENTS = `
  INSERT INTO identity_event_counts AS c (site_id, id_kind, identity, events)
  SELECT * FROM unnest($1::integer[], $2::smallint[], $3::text[], $4::bigint[])
  ON CONFLICT (site_id, id_kind, identity) DO UPDATE SET events = c.events + excluded.events
  RETURNING site_id, id_kind, identity, events`;

const ADD_TO_COUNTER = `
  INSERT INTO counters (name, shard, value) VALUES ($1, $2, $3)
  ON CONFLICT (name, shard) DO UPDATE SET value = counters.value + excluded.value`;

/**
 * The scale-out store: any number of stateless nodes share one PostgreSQL database. Exactly-once
 * across nodes rests on the events primary key: a conflicting insert from another transaction
 * waits for it, then counts as a duplicate if it committed. Rows of a batch are inserted in key
 * order so that two transactions never wait on each other in a cycle. Commits use
 * synchronous_commit=on, so appendEvents resolves only once the commit is on disk.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openPostgresStorage(options: PostgresOptions): Promise<Storage> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) throw new Error(`invalid schema name ${options.schema}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // Whatever the server's default, an acknowledged event must be flushed to the WAL.
    options: `-c synchronous_commit=on${options.schema ? ` -c search_path=${options.schema}` : ''}`,
    application_name: 'anole',
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const counterShards = options.counterShards ?? 64;
  const cap = options.eventsPerIdentity ?? LIMITS.eventsPerIdentity;

  const transaction = transactionOn(pool);
  const forgetting = postgresForget(transaction);

  /** Every link whose `column` is one of `values`; the column name is one of two constants. */
  async function linksBy(column: 'visitor_code' | 'mapping_value', siteId: number, values: readonly string[]): Promise<IdentityLink[]> {
    if (values.length === 0) return [];
    const { rows } = await pool.query<LinkRow>(
      `SELECT l.mapping_value, l.visitor_code, l.time, l.nonce
       FROM unnest($2::text[]) AS q(value)
       JOIN identity_links l ON l.site_id = $1 AND l.${column} = q.value`,
      [siteId, [...values]],
    );
    return rows.map(fromLinkRow);
  }

  /**
   * Counts the new rows per identity and takes back those past the cap (the last ones of the batch
   * for that identity); answers their keys.
   */
  async function refuseOverLimit(client: pg.PoolClient, fresh: readonly (FreshEvent & { index: number; key: string })[]): Promise<Set<string>> {
    const byIdentity = new Map<string, (FreshEvent & { index: number; key: string })[]>();
    for (const row of fresh) pushTo(byIdentity, `${row.siteId}\u0000${row.idKind}\u0000${row.identity}`, row);
    const refused = new Set<string>();
    if (byIdentity.size === 0) return refused;
    const groups = [...byIdentity.values()];
    const { rows: totals } = await client.query<{ site_id: number; id_kind: number; identity: string; events: string }>({
      name: 'anole_count_events',
      text: COUNT_EVENTS,
      values: [groups.map((g) => g[0]!.siteId), groups.map((g) => g[0]!.idKind), groups.map((g) => g[0]!.identity), groups.map((g) => g.length)],
    });
    const back: (FreshEvent & { index: number; key: string })[] = [];
    const corrected: [number[], number[], string[], number[]] = [[], [], [], []];
    for (const total of totals) {
      const events = Number(total.events);
      if (events <= cap) continue;
      const group = byIdentity.get(`${total.site_id}\u0000${total.id_kind}\u0000${total.identity}`)!;
      const excess = Math.min(group.length, events - cap);
      back.push(...[...group].sort((a, b) => a.index - b.index).slice(group.length - excess));
      corrected[0].push(total.site_id);
      corrected[1].push(total.id_kind);
      corrected[2].push(total.identity);
      corrected[3].push(events - excess);
    }
    if (back.length === 0) return refused;
    await client.query(
      `DELETE FROM events e USING unnest($1::integer[], $2::smallint[], $3::text[], $4::text[]) AS q(site_id, id_kind, identity, nonce)
       WHERE e.site_id = q.site_id AND e.id_kind = q.id_kind AND e.identity = q.identity AND e.nonce = q.nonce`,
      [back.map((r) => r.siteId), back.map((r) => r.idKind), back.map((r) => r.identity), back.map((r) => r.nonce)],
    );
    await client.query(
      `UPDATE identity_event_counts c SET events = q.events
       FROM unnest($1::integer[], $2::smallint[], $3::text[], $4::bigint[]) AS q(site_id, id_kind, identity, events)
       WHERE c.site_id = q.site_id AND c.id_kind = q.id_kind AND c.identity = q.identity`,
      corrected,
    );
    for (const row of back) refused.add(row.key);
    return refused;
  }

  let closed = false;

  return {
    engine: 'postgres',
    // Overlap one commit's flush with the next batches' work, leaving connections for reads.
    commitLanes: Math.max(1, Math.floor((options.poolSize ?? 10) / 2)),
    ...postgresMaps(pool, transaction),
    ...postgresDerived(pool, transaction),
    ...postgresApiKeys(pool, transaction),
    forgetVisitors: forgetting.forgetVisitors,

    async findSite(code) {
      const { rows } = await pool.query<SiteRow>('SELECT id, code, settings FROM sites WHERE code = $1', [code]);
      return rows[0] ? fromSiteRow(rows[0]) : null;
    },

    async ensureSite(code, settings) {
      // A concurrent creator's insert makes ours wait, then do nothing; both then read the same row.
      await pool.query('INSERT INTO sites (code, settings, created_at) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING', [
        code,
        JSON.stringify(settings),
        Date.now(),
      ]);
      const { rows } = await pool.query<SiteRow>('SELECT id, code, settings FROM sites WHERE code = $1', [code]);
      if (!rows[0]) throw new Error(`site ${code} vanished after insert`);
      return fromSiteRow(rows[0]);
    },

    async listSites(limit) {
      const { rows } = await pool.query<SiteRow>('SELECT id, code, settings FROM sites ORDER BY code LIMIT $1', [limit]);
      return rows.map(fromSiteRow);
    },

    async latestEvents(siteId, query) {
      // events_by_site_received walks this site's rows of the window newest first. With a filter,
      // the window's floor first moves up to the site's `scan`-th newest row (from the index alone).
      const filtered = query.type !== undefined || query.identity !== undefined;
      let since = query.since;
      if (filtered) {
        const floor = await pool.query<{ received_at: string }>(
          'SELECT received_at FROM events WHERE site_id = $1 AND received_at >= $2 ORDER BY received_at DESC OFFSET $3 LIMIT 1',
          [siteId, query.since, query.scan - 1],
        );
        if (floor.rows[0]) since = Math.max(since, Number(floor.rows[0].received_at));
      }
      const { rows } = await pool.query<EventRow>(
        `SELECT id_kind, identity, nonce, type, time, received_at, data, itp, sdk FROM events
         WHERE site_id = $1 AND received_at >= $2 AND ($3::text IS NULL OR type = $3) AND ($4::text IS NULL OR identity = $4)
         ORDER BY received_at DESC, identity DESC, nonce DESC LIMIT $5`,
        [siteId, since, query.type ?? null, query.identity ?? null, Math.min(query.limit, query.scan)],
      );
      return rows.map(fromEventRow);
    },

    async appendEvents(events) {
      if (events.length === 0) return [];
      const verdicts: AppendVerdict[] = events.map(() => 'duplicate');
      // First wins inside the call: later copies of a key are duplicates without reaching the database.
      const keys = new Map<string, number>();
      const rows: (FreshEvent & { index: number; key: string; row: EventRow })[] = [];
      events.forEach(({ siteId, event }, index) => {
        const row = toEventRow(event);
        const key = keyOf(siteId, row.id_kind, row.identity, row.nonce);
        if (keys.has(key)) return;
        keys.set(key, index);
        rows.push({ index, key, siteId, row, idKind: row.id_kind, identity: row.identity, nonce: row.nonce });
      });
      rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

      const columns: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
      for (const { siteId, row } of rows) {
        columns[0]!.push(siteId);
        columns[1]!.push(row.id_kind);
        columns[2]!.push(row.identity);
        columns[3]!.push(row.nonce);
        columns[4]!.push(row.type);
        columns[5]!.push(row.time);
        columns[6]!.push(row.received_at);
        columns[7]!.push(row.data);
        columns[8]!.push(row.itp);
        columns[9]!.push(row.sdk);
      }

      const accepted = await transaction(async (client) => {
        const inserted = await client.query<KeyRow>({ name: 'anole_insert_events', text: INSERT_EVENTS, values: columns });
        const fresh = new Set(inserted.rows.map((r) => keyOf(r.site_id, r.id_kind, r.identity, r.nonce)));
        // A forgotten event that came back is taken out again: it was stored once, so it is a duplicate.
        const resurrected = await forgetting.forgottenAmong(client, rows.filter((r) => fresh.has(r.key)));
        if (resurrected.size > 0) {
          const back = [...resurrected];
          await client.query(
            `DELETE FROM events e USING unnest($1::integer[], $2::smallint[], $3::text[], $4::text[]) AS q(site_id, id_kind, identity, nonce)
             WHERE e.site_id = q.site_id AND e.id_kind = q.id_kind AND e.identity = q.identity AND e.nonce = q.nonce`,
            [back.map((r) => r.siteId), back.map((r) => r.idKind), back.map((r) => r.identity), back.map((r) => r.nonce)],
          );
          for (const r of back) fresh.delete(keyOf(r.siteId, r.idKind, r.identity, r.nonce));
        }
        const overLimit = await refuseOverLimit(client, rows.filter((r) => fresh.has(r.key)));
        for (const key of overLimit) fresh.delete(key);
        const links: [number[], string[], string[], number[], string[]] = [[], [], [], [], []];
        for (const { key, siteId, index } of rows) {
          if (!fresh.has(key)) continue;
          const link = linkFromEvent(events[index]!.event);
          if (!link) continue;
          links[0].push(siteId);
          links[1].push(link.mappingValue);
          links[2].push(link.visitorCode);
          links[3].push(link.time);
          links[4].push(link.nonce);
        }
        if (links[0].length > 0) await client.query({ name: 'anole_insert_links', text: INSERT_LINKS, values: links });
        // Derived state (results) is recomputed from these marks by the attribution workers. Rows are
        // in key order, so identities come out sorted and lock order stays global.
        const touched = new Map<string, [number, number, string, number, number]>();
        for (const { key, siteId, idKind, identity, row } of rows) {
          if (!fresh.has(key)) continue;
          const id = `${siteId}\u0000${idKind}\u0000${identity}`;
          const mark = touched.get(id);
          if (!mark) touched.set(id, [siteId, idKind, identity, row.received_at, row.time]);
          else mark[4] = Math.min(mark[4], row.time);
        }
        if (touched.size > 0) {
          const marks = [...touched.values()];
          await client.query({
            name: 'anole_mark_dirty',
            text: MARK_DIRTY,
            values: [marks.map((m) => m[0]), marks.map((m) => m[1]), marks.map((m) => m[2]), marks.map((m) => m[3]), marks.map((m) => m[4])],
          });
        }
        if (fresh.size > 0) {
          // Taken last, so a transaction holds its counter row only while it commits.
          const shard = Math.floor(Math.random() * counterShards);
          await client.query({ name: 'anole_add_to_counter', text: ADD_TO_COUNTER, values: ['events', shard, fresh.size] });
        }
        return { fresh, overLimit };
      });
      for (const { key, index } of rows) {
        if (accepted.fresh.has(key)) verdicts[index] = 'accepted';
        else if (accepted.overLimit.has(key)) verdicts[index] = 'over_limit';
      }
      // A later copy of a refused event is refused too: nothing was stored for it to duplicate.
      if (accepted.overLimit.size > 0) {
        events.forEach(({ siteId, event }, index) => {
          const key = keyOf(siteId, identityKindCode(event.identity.kind), event.identity.value, event.nonce);
          if (accepted.overLimit.has(key)) verdicts[index] = 'over_limit';
        });
      }
      return verdicts;
    },

    async alreadyStored(events) {
      if (events.length === 0) return [];
      const { rows } = await pool.query<KeyRow>(
        `SELECT e.site_id, e.id_kind, e.identity, e.nonce
         FROM unnest($1::integer[], $2::smallint[], $3::text[], $4::text[]) AS q(site_id, id_kind, identity, nonce)
         JOIN events e ON e.site_id = q.site_id AND e.id_kind = q.id_kind AND e.identity = q.identity AND e.nonce = q.nonce`,
        [
          events.map((e) => e.siteId),
          events.map((e) => identityKindCode(e.event.identity.kind)),
          events.map((e) => e.event.identity.value),
          events.map((e) => e.event.nonce),
        ],
      );
      const stored = new Set(rows.map((r) => keyOf(r.site_id, r.id_kind, r.identity, r.nonce)));
      const asked = events.map(({ siteId, event }) => ({
        siteId,
        idKind: identityKindCode(event.identity.kind),
        identity: event.identity.value,
        nonce: event.nonce,
      }));
      const client = await pool.connect();
      let forgotten: Set<FreshEvent>;
      try {
        forgotten = await forgetting.forgottenAmong(client, asked);
      } finally {
        client.release();
      }
      return asked.map((a) => stored.has(keyOf(a.siteId, a.idKind, a.identity, a.nonce)) || forgotten.has(a));
    },

    async eventsOf(siteId: number, identities: readonly Identity[]): Promise<VisitorEvent[]> {
      if (identities.length === 0) return [];
      const { rows } = await pool.query<EventRow>(
        `SELECT e.id_kind, e.identity, e.nonce, e.type, e.time, e.received_at, e.data, e.itp, e.sdk
         FROM unnest($2::smallint[], $3::text[]) AS q(id_kind, identity)
         JOIN events e ON e.site_id = $1 AND e.id_kind = q.id_kind AND e.identity = q.identity`,
        [siteId, identities.map((i) => identityKindCode(i.kind)), identities.map((i) => i.value)],
      );
      return rows.map(fromEventRow);
    },

    async eventsSince(siteId, ranges) {
      const widest = widestRanges(ranges);
      if (widest.length === 0) return [];
      // One statement for a whole round: each identity's range of events_by_time.
      const { rows } = await pool.query<EventRow>(
        `SELECT e.id_kind, e.identity, e.nonce, e.type, e.time, e.received_at, e.data, e.itp, e.sdk
         FROM unnest($2::smallint[], $3::text[], $4::bigint[]) AS q(id_kind, identity, since)
         JOIN events e ON e.site_id = $1 AND e.id_kind = q.id_kind AND e.identity = q.identity AND e.time >= q.since`,
        [siteId, widest.map((r) => identityKindCode(r.identity.kind)), widest.map((r) => r.identity.value), widest.map((r) => r.since)],
      );
      return rows.map(fromEventRow);
    },

    async eventPage(siteId, identity, { limit, cursor }) {
      // Cursor: time and nonce of the last event answered (nonces are unique per identity).
      const colon = cursor ? cursor.indexOf(':') : -1;
      const time = cursor ? Number(cursor.slice(0, colon)) : Number.MAX_SAFE_INTEGER;
      const nonce = cursor ? cursor.slice(colon + 1) : '';
      if (!Number.isSafeInteger(time)) throw new Error(`invalid event cursor ${cursor}`);
      const { rows } = await pool.query<EventRow>(
        `SELECT id_kind, identity, nonce, type, time, received_at, data, itp, sdk FROM events
         WHERE site_id = $1 AND id_kind = $2 AND identity = $3 AND (time, nonce) < ($4, $5)
         ORDER BY time DESC, nonce DESC LIMIT $6`,
        [siteId, identityKindCode(identity.kind), identity.value, time, nonce, limit],
      );
      const last = rows.at(-1);
      return { events: rows.map(fromEventRow), cursor: rows.length < limit || !last ? null : `${last.time}:${last.nonce}` };
    },

    async scanEvents(siteId, { cursor, limit }) {
      // Primary-key order; the cursor is the last identity answered, as JSON [kind, identity].
      const [kind, identity] = cursor ? (JSON.parse(cursor) as [number, string]) : [-1, ''];
      const take = Math.max(1, limit);
      const { rows } = await pool.query<EventRow>(
        `SELECT id_kind, identity, nonce, type, time, received_at, data, itp, sdk FROM events
         WHERE site_id = $1 AND (id_kind, identity) > ($2::smallint, $3::text) ORDER BY id_kind, identity, nonce LIMIT $4`,
        [siteId, kind, identity, take],
      );
      const last = rows.at(-1);
      if (!last || rows.length < take) return { events: rows.map(fromEventRow), cursor: null };
      // The page ends with its last identity whole: the rest of that identity's events.
      const { rows: rest } = await pool.query<EventRow>(
        `SELECT id_kind, identity, nonce, type, time, received_at, data, itp, sdk FROM events
         WHERE site_id = $1 AND id_kind = $2 AND identity = $3 AND nonce > $4 ORDER BY nonce`,
        [siteId, last.id_kind, last.identity, last.nonce],
      );
      return { events: [...rows, ...rest].map(fromEventRow), cursor: JSON.stringify([Number(last.id_kind), last.identity]) };
    },
    linksOfVisitorCodes: (siteId, visitorCodes) => linksBy('visitor_code', siteId, visitorCodes),
    linksOfMappingValues: (siteId, mappingValues) => linksBy('mapping_value', siteId, mappingValues),

    async stats(): Promise<StoreStats> {
      const { rows } = await pool.query<{ events: string | null; bytes: string; refused: string | null }>(
        `SELECT (SELECT sum(value) FROM counters WHERE name = 'events') AS events,
                (SELECT sum(registry_refused) FROM sites) AS refused,
                (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
                 WHERE c.relname IN ('sites', 'events', 'identity_links', 'counters') AND c.relkind = 'r'
                   AND c.relnamespace = current_schema()::regnamespace) AS bytes`,
      );
      return { events: Number(rows[0]?.events ?? 0), bytes: Number(rows[0]?.bytes ?? 0), registryRefused: Number(rows[0]?.refused ?? 0) };
    },

    async ping() {
      if (closed) throw new Error('store is closed');
      await pool.query('SELECT 1');
    },

    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
