import type pg from 'pg';
import { accumulate, contributionDelta, experimentOfKey, type Contributions } from '../../core/attribution/contributions.ts';
import { DEFAULT_SITE_SETTINGS, type SiteSettings } from '../../core/site-settings.ts';
import {
  defaultExperiment,
  idsOfExperiment,
  idsOfGoal,
  missingEntries,
  variationKey,
  type RegistryEntry,
  type RegistryWrite,
  type SeenIds,
} from '../../core/registry.ts';
import { aggregateKeyRange, contributionsFromJson, contributionsToJson, personDigest, toExperiment, toGoal, type ExperimentRow } from '../derived-rows.ts';
import { FROM_SCRATCH, type DerivedStoragePart, type PersonContributions } from '../port.ts';
import type { Transaction } from './postgres-transaction.ts';


const EXPERIMENT_SELECT = `
  SELECT e.id, e.name, e.reference_variation_id, e.traffic_split, e.period_start, e.period_end, e.status,
         COALESCE((SELECT json_agg(json_build_object('id', v.id, 'name', v.name))::text FROM variations v
                   WHERE v.site_id = e.site_id AND v.experiment_id = e.id), '[]') AS variations
  FROM experiments e`;

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type Queryable = Pick<pg.Pool, 'query'>;

const COUNT_ENTRIES = `(SELECT count(*) FROM experiments WHERE site_id = $1) + (SELECT count(*) FROM variations WHERE site_id = $1)
  + (SELECT count(*) FROM goals WHERE site_id = $1)`;

/** The entries of `seen` the site's registry lacks, found in one statement. */
async function missing(db: Queryable, siteId: number, seen: SeenIds): Promise<RegistryEntry[]> {
  const pairs = [...seen.experiments].flatMap(([e, ids]) => [...ids].map((v) => [e, v] as const));
  if (seen.experiments.size === 0 && seen.goals.size === 0) return [];
  const { rows } = await db.query<{ k: string; a: number; b: number }>(
    `SELECT 'e' AS k, id AS a, 0 AS b FROM experiments WHERE site_id = $1 AND id = ANY($2::integer[])
     UNION ALL SELECT 'v', v.experiment_id, v.id FROM unnest($3::integer[], $4::integer[]) AS x(e, i)
       JOIN variations v ON v.site_id = $1 AND v.experiment_id = x.e AND v.id = x.i
     UNION ALL SELECT 'g', id, 0 FROM goals WHERE site_id = $1 AND id = ANY($5::integer[])`,
    [siteId, [...seen.experiments.keys()], pairs.map(([e]) => e), pairs.map(([, v]) => v), [...seen.goals]],
  );
  const known = { experiments: new Set<number>(), variations: new Set<string>(), goals: new Set<number>() };
  for (const { k, a, b } of rows) {
    if (k === 'e') known.experiments.add(a);
    else if (k === 'v') known.variations.add(variationKey(a, b));
    else known.goals.add(a);
  }
  return missingEntries(seen, known);
}

/**
 * Registry writes of one site take its row's lock, so that nodes counting entries against the
 * quota see each other's: the count and the inserts are one step. Map writes update the same row
 * last in their transactions and registry writes touch no map, so the two never wait in a cycle.
 */
async function lockRegistry(client: pg.PoolClient, siteId: number): Promise<number> {
  await client.query('SELECT 1 FROM sites WHERE id = $1 FOR UPDATE', [siteId]);
  // A statement of its own: read committed gives it a snapshot taken after the lock was granted,
  // so it counts what the previous holder inserted (a count in the locking statement would not).
  const { rows } = await client.query<{ n: string }>(`SELECT ${COUNT_ENTRIES} AS n`, [siteId]);
  return Number(rows[0]?.n ?? 0);
}

/** Whether `adding` more entries fit; answers the refusal when they do not. */
const refusal = (entries: number, adding: number, maxEntries: number): RegistryWrite | null =>
  adding > 0 && entries + adding > maxEntries ? { ok: false, entries, adding, quota: maxEntries } : null;

async function insertEntries(client: pg.PoolClient, siteId: number, entries: readonly RegistryEntry[]): Promise<void> {
  const experiments = entries.flatMap((e) => (e.kind === 'experiment' ? [e.id] : []));
  const variations = entries.flatMap((e) => (e.kind === 'variation' ? [[e.experimentId, e.id] as const] : []));
  const goals = entries.flatMap((e) => (e.kind === 'goal' ? [e.id] : []));
  if (experiments.length > 0) {
    await client.query(
      `INSERT INTO experiments (site_id, id, name, reference_variation_id, traffic_split, period_start, period_end, status)
       SELECT $1, id, name, NULL, NULL, NULL, NULL, 'running' FROM unnest($2::integer[], $3::text[]) AS x(id, name)
       ON CONFLICT DO NOTHING`,
      [siteId, experiments, experiments.map((id) => defaultExperiment(id).name)],
    );
  }
  if (variations.length > 0) {
    await client.query(
      `INSERT INTO variations (site_id, experiment_id, id, name)
       SELECT $1, e, v, 'Variation ' || v FROM unnest($2::integer[], $3::integer[]) AS x(e, v) ON CONFLICT DO NOTHING`,
      [siteId, variations.map(([e]) => e), variations.map(([, v]) => v)],
    );
  }
  if (goals.length > 0) {
    await client.query(
      `INSERT INTO goals (site_id, id, name, kind) SELECT $1, g, 'Goal ' || g, 'conversion' FROM unnest($2::integer[]) AS g
       ON CONFLICT DO NOTHING`,
      [siteId, goals],
    );
  }
}

/** Registry and derived state for the PostgreSQL adapter. */
export function postgresDerived(pool: pg.Pool, transaction: Transaction): DerivedStoragePart {
  async function replacePersons(siteId: number, persons: readonly PersonContributions[], version: number): Promise<void> {
    const nextOf = new Map(persons.map((p) => [p.personKey, p.next]));
    const stateOf = new Map(persons.map((p) => [p.personKey, p.state ?? null]));
    if (nextOf.size === 0) return;
    const asked = [...nextOf.keys()].sort(byText);
    const digestOf = new Map(asked.map((key) => [key, personDigest(key)]));
    await transaction(async (client) => {
      // One writer per person: two workers holding marks of the same person must not both subtract
      // the same previous contributions. Locks are taken in one global order, so rounds never deadlock.
      await client.query(
        'SELECT pg_advisory_xact_lock($1::integer, h) FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k ORDER BY h) AS locks',
        [siteId, asked],
      );
      // Under the locks: each person's stored contributions and version, or its deletion's version.
      const { rows } = await client.query<{ person_key: string; data: string | null; version: string }>(
        `SELECT p.person_key, p.data, p.version FROM person_contributions p WHERE p.site_id = $1 AND p.person_key = ANY($2::text[])
         UNION ALL
         SELECT q.k, NULL, d.version FROM unnest($2::text[], $3::bytea[]) AS q(k, g) JOIN person_deletions d ON d.site_id = $1 AND d.digest = q.g`,
        [siteId, asked, asked.map((key) => digestOf.get(key)!)],
      );
      const previous = new Map<string, string>();
      const deleted = new Set<string>();
      const newer = new Set<string>();
      for (const row of rows) {
        if (row.data === null) deleted.add(row.person_key);
        else previous.set(row.person_key, row.data);
        if (Number(row.version) > version) newer.add(row.person_key);
      }
      // A person written or deleted with a later version than this one is left as it is.
      const keys = asked.filter((key) => !newer.has(key));
      const total: Contributions = new Map();
      for (const key of keys) accumulate(total, contributionDelta(contributionsFromJson(previous.get(key)), nextOf.get(key)!));
      const delta = [...total].filter(([, vector]) => vector.some((v) => v !== 0)).sort(([a], [b]) => byText(a, b));
      if (delta.length > 0) {
        // Adding in SQL makes concurrent deltas to the same aggregate commute; key order avoids deadlocks.
        await client.query(
          `INSERT INTO result_aggregates (site_id, experiment_id, key, vector)
           SELECT $1, e, k, (SELECT array_agg(x::double precision ORDER BY i) FROM json_array_elements_text(v::json) WITH ORDINALITY AS a(x, i))
           FROM unnest($2::integer[], $3::text[], $4::text[]) AS d(e, k, v)
           ON CONFLICT (site_id, experiment_id, key) DO UPDATE SET vector = (
             SELECT array_agg(coalesce(o, 0) + coalesce(n, 0) ORDER BY i)
             FROM unnest(result_aggregates.vector, excluded.vector) WITH ORDINALITY AS s(o, n, i))`,
          [siteId, delta.map(([key]) => experimentOfKey(key)), delta.map(([key]) => key), delta.map(([, vector]) => JSON.stringify(vector))],
        );
      }
      // A person with no contributions and no state has nothing to keep but its deletion's version.
      const gone = keys.filter((key) => nextOf.get(key)!.size === 0 && !stateOf.get(key) && previous.has(key));
      const kept = keys.filter((key) => nextOf.get(key)!.size > 0 || stateOf.get(key));
      let added = 0;
      if (gone.length > 0) {
        await client.query(
          `WITH removed AS (DELETE FROM person_contributions WHERE site_id = $1 AND person_key = ANY($2::text[]))
           INSERT INTO person_deletions (site_id, digest, version) SELECT $1, g, $4 FROM unnest($3::bytea[]) AS g
           ON CONFLICT (site_id, digest) DO UPDATE SET version = greatest(person_deletions.version, excluded.version)`,
          [siteId, gone, gone.map((key) => digestOf.get(key)!), version],
        );
        added -= gone.length;
      }
      if (kept.length > 0) {
        await client.query(
          `INSERT INTO person_contributions (site_id, person_key, data, state, version)
           SELECT $1, k, d, s, $5 FROM unnest($2::text[], $3::text[], $4::text[]) AS x(k, d, s)
           ON CONFLICT (site_id, person_key) DO UPDATE SET data = excluded.data, state = excluded.state, version = excluded.version`,
          [siteId, kept, kept.map((key) => contributionsToJson(nextOf.get(key)!)), kept.map((key) => stateOf.get(key) ?? null), version],
        );
        added += kept.filter((key) => !previous.has(key)).length;
        const revived = kept.filter((key) => deleted.has(key));
        if (revived.length > 0) {
          await client.query('DELETE FROM person_deletions WHERE site_id = $1 AND digest = ANY($2::bytea[])', [siteId, revived.map((key) => digestOf.get(key)!)]);
        }
      }
      // Last, as map writes do: the site's row is the one lock every writer of the site may want.
      if (added !== 0) await client.query('UPDATE sites SET persons = persons + $2 WHERE id = $1', [siteId, added]);
    });
  }

  async function siteById(siteId: number) {
    const { rows } = await pool.query<{ id: number; code: string; settings: string }>('SELECT id, code, settings FROM sites WHERE id = $1', [siteId]);
    const row = rows[0];
    return row ? { id: row.id, code: row.code, settings: { ...DEFAULT_SITE_SETTINGS, ...(JSON.parse(row.settings) as Partial<SiteSettings>) } } : null;
  }

  return {
    async listExperiments(siteId) {
      const { rows } = await pool.query<ExperimentRow>(`${EXPERIMENT_SELECT} WHERE e.site_id = $1 ORDER BY e.id`, [siteId]);
      return rows.map(toExperiment);
    },
    async getExperiment(siteId, id) {
      const { rows } = await pool.query<ExperimentRow>(`${EXPERIMENT_SELECT} WHERE e.site_id = $1 AND e.id = $2`, [siteId, id]);
      return rows[0] ? toExperiment(rows[0]) : null;
    },
    async saveExperiment(siteId, record, { maxEntries }) {
      return transaction(async (client): Promise<RegistryWrite> => {
        const entries = await lockRegistry(client, siteId);
        const refused = refusal(entries, (await missing(client, siteId, idsOfExperiment(record))).length, maxEntries);
        if (refused) return refused;
        await client.query(
          `INSERT INTO experiments (site_id, id, name, reference_variation_id, traffic_split, period_start, period_end, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (site_id, id) DO UPDATE SET name = excluded.name, reference_variation_id = excluded.reference_variation_id,
             traffic_split = excluded.traffic_split, period_start = excluded.period_start, period_end = excluded.period_end,
             status = excluded.status`,
          [
            siteId,
            record.id,
            record.name,
            record.referenceVariationId,
            record.trafficSplit ? JSON.stringify(record.trafficSplit) : null,
            record.analysisPeriod.start,
            record.analysisPeriod.end,
            record.status,
          ],
        );
        const variations = [...record.variations].sort((a, b) => a.id - b.id);
        if (variations.length > 0) {
          await client.query(
            `INSERT INTO variations (site_id, experiment_id, id, name)
             SELECT $1, $2, id, name FROM unnest($3::integer[], $4::text[]) AS v(id, name)
             ON CONFLICT (site_id, experiment_id, id) DO UPDATE SET name = excluded.name`,
            [siteId, record.id, variations.map((v) => v.id), variations.map((v) => v.name)],
          );
        }
        return { ok: true };
      });
    },
    async listGoals(siteId) {
      const { rows } = await pool.query<{ id: number; name: string; kind: string }>('SELECT id, name, kind FROM goals WHERE site_id = $1 ORDER BY id', [siteId]);
      return rows.map(toGoal);
    },
    async saveGoal(siteId, goal, { maxEntries }) {
      return transaction(async (client): Promise<RegistryWrite> => {
        const entries = await lockRegistry(client, siteId);
        const refused = refusal(entries, (await missing(client, siteId, idsOfGoal(goal.id))).length, maxEntries);
        if (refused) return refused;
        await client.query(
          'INSERT INTO goals (site_id, id, name, kind) VALUES ($1, $2, $3, $4) ON CONFLICT (site_id, id) DO UPDATE SET name = excluded.name, kind = excluded.kind',
          [siteId, goal.id, goal.name, goal.kind],
        );
        return { ok: true };
      });
    },
    async registerSeen(siteId, seen, { maxEntries }) {
      // Nearly every round names only ids registered long ago: one read, and no registry lock.
      const anyMissing = (await missing(pool, siteId, seen)).length > 0;
      if (!anyMissing && (seen.lastExposure?.size ?? 0) === 0) return { refused: 0 };
      return transaction(async (client) => {
        let refused = 0;
        if (anyMissing) {
          const entries = await lockRegistry(client, siteId);
          // Again under the lock: another node may have registered some meanwhile.
          const adding = await missing(client, siteId, seen);
          const room = Math.max(0, maxEntries - entries);
          await insertEntries(client, siteId, adding.slice(0, room));
          refused = Math.max(0, adding.length - room);
          if (refused > 0) await client.query('UPDATE sites SET registry_refused = registry_refused + $2 WHERE id = $1', [siteId, refused]);
        }
        const exposures = [...(seen.lastExposure ?? [])].sort(([a], [b]) => a - b);
        if (exposures.length > 0) {
          // In id order, as every worker updates them, so two rounds never wait on each other in a cycle.
          await client.query(
            `UPDATE experiments e SET last_exposure_at = x.t FROM unnest($2::integer[], $3::bigint[]) AS x(id, t)
             WHERE e.site_id = $1 AND e.id = x.id AND (e.last_exposure_at IS NULL OR e.last_exposure_at < x.t)`,
            [siteId, exposures.map(([id]) => id), exposures.map(([, t]) => t)],
          );
        }
        return { refused };
      });
    },
    missingRegistryEntries: (siteId, seen) => missing(pool, siteId, seen),
    async siteUsage(siteId) {
      const { rows } = await pool.query<{ n: string; map_bytes: string; registry_refused: string }>(
        `SELECT ${COUNT_ENTRIES} AS n, map_bytes, registry_refused FROM sites WHERE id = $1`,
        [siteId],
      );
      const row = rows[0];
      return { registryEntries: Number(row?.n ?? 0), mapBytes: Number(row?.map_bytes ?? 0), registryRefused: Number(row?.registry_refused ?? 0) };
    },
    async lastExposures(siteId) {
      const { rows } = await pool.query<{ id: number; last_exposure_at: string }>(
        'SELECT id, last_exposure_at FROM experiments WHERE site_id = $1 AND last_exposure_at IS NOT NULL',
        [siteId],
      );
      return new Map(rows.map((r) => [Number(r.id), Number(r.last_exposure_at)]));
    },
    async updateSiteSettings(siteId, settings) {
      const { rows } = await pool.query<{ id: number; code: string }>('UPDATE sites SET settings = $1 WHERE id = $2 RETURNING id, code', [
        JSON.stringify(settings),
        siteId,
      ]);
      if (!rows[0]) throw new Error(`site ${siteId} not found`);
      return { id: rows[0].id, code: rows[0].code, settings };
    },
    siteById,
    async claimDirty({ limit, leaseMs, now }) {
      // SKIP LOCKED: workers on any number of nodes take disjoint marks without waiting on each other.
      // Oldest first (through dirty_identities_by_claim), so a mark waits behind the backlog only.
      const { rows } = await pool.query<{ site_id: number; id_kind: number; identity: string; gen: string; since: string }>(
        `UPDATE dirty_identities d SET claimed_until = $1
         FROM (SELECT site_id, id_kind, identity FROM dirty_identities WHERE claimed_until <= $2 ORDER BY claimed_until LIMIT $3 FOR UPDATE SKIP LOCKED) c
         WHERE d.site_id = c.site_id AND d.id_kind = c.id_kind AND d.identity = c.identity
         RETURNING d.site_id, d.id_kind, d.identity, d.gen, d.since`,
        [now + leaseMs, now, limit],
      );
      return rows.map((r) => ({ siteId: r.site_id, idKind: r.id_kind, identity: r.identity, gen: Number(r.gen), since: Number(r.since) }));
    },
    async completeDirty(marks) {
      if (marks.length === 0) return;
      // Sorted, so two workers completing overlapping marks lock rows in the same order.
      const sorted = [...marks].sort((a, b) => a.siteId - b.siteId || a.idKind - b.idKind || byText(a.identity, b.identity));
      const columns = [sorted.map((m) => m.siteId), sorted.map((m) => m.idKind), sorted.map((m) => m.identity), sorted.map((m) => m.gen)];
      await transaction(async (client) => {
        // Two statements for the whole round: a mark whose generation moved on was touched again
        // meanwhile, so it stays and is freed at once.
        await client.query(
          `DELETE FROM dirty_identities d USING unnest($1::integer[], $2::smallint[], $3::text[], $4::bigint[]) AS q(site_id, id_kind, identity, gen)
           WHERE d.site_id = q.site_id AND d.id_kind = q.id_kind AND d.identity = q.identity AND d.gen = q.gen`,
          columns,
        );
        await client.query(
          `UPDATE dirty_identities d SET claimed_until = 0 FROM unnest($1::integer[], $2::smallint[], $3::text[]) AS q(site_id, id_kind, identity)
           WHERE d.site_id = q.site_id AND d.id_kind = q.id_kind AND d.identity = q.identity`,
          columns.slice(0, 3),
        );
      });
    },
    async markAllDirty(siteId) {
      return transaction(async (client) => {
        // Nothing stored, nothing to recompute (a settings change on a new site).
        const { rows: any } = await client.query('SELECT 1 FROM events WHERE site_id = $1 LIMIT 1', [siteId]);
        if (any.length === 0) return 0;
        await client.query(`UPDATE dirty_identities SET gen = gen + 1, since = $2::bigint WHERE site_id = $1`, [siteId, FROM_SCRATCH]);
        const { rows } = await client.query<{ persons: string }>(
          // A generation never used before, not even by a recomputation that finished since: a worker
          // still holding an earlier one can never pass for this one.
          `INSERT INTO site_recomputes (site_id, gen, cursor, claimed_until, persons, done)
           SELECT id, nextval('derived_versions'), NULL, 0, persons, 0 FROM sites WHERE id = $1
           ON CONFLICT (site_id, part) DO UPDATE SET gen = excluded.gen, cursor = NULL, claimed_until = 0, persons = excluded.persons, done = 0
           RETURNING persons`,
          [siteId],
        );
        return Math.max(1, Number(rows[0]?.persons ?? 0));
      });
    },
    async claimSiteRecompute({ leaseMs, now }) {
      const { rows } = await pool.query<{ site_id: number; part: number; gen: string; cursor: string | null; done: string }>(
        `UPDATE site_recomputes r SET claimed_until = $1
         FROM (SELECT site_id, part FROM site_recomputes WHERE claimed_until <= $2 ORDER BY site_id, part LIMIT 1 FOR UPDATE SKIP LOCKED) c
         WHERE r.site_id = c.site_id AND r.part = c.part
         RETURNING r.site_id, r.part, r.gen, r.cursor, r.done`,
        [now + leaseMs, now],
      );
      const row = rows[0];
      return row ? { siteId: row.site_id, part: row.part, gen: Number(row.gen), cursor: row.cursor, done: Number(row.done) } : null;
    },
    async advanceSiteRecompute(job, { cursor, persons, leaseMs, now }) {
      const result =
        cursor === null
          ? await pool.query('DELETE FROM site_recomputes WHERE site_id = $1 AND part = $2 AND gen = $3 AND cursor IS NOT DISTINCT FROM $4', [
              job.siteId,
              job.part,
              job.gen,
              job.cursor,
            ])
          : await pool.query(
              `UPDATE site_recomputes SET cursor = $5, done = done + $6, claimed_until = $7
               WHERE site_id = $1 AND part = $2 AND gen = $3 AND cursor IS NOT DISTINCT FROM $4`,
              [job.siteId, job.part, job.gen, job.cursor, cursor, persons, now + leaseMs],
            );
      return (result.rowCount ?? 0) > 0;
    },
    async nextDerivedVersion() {
      const { rows } = await pool.query<{ v: string }>("SELECT nextval('derived_versions') AS v");
      return Number(rows[0]!.v);
    },
    replacePersonsContributions: (siteId, persons, { version }) => replacePersons(siteId, persons, version),
    async personStates(siteId, personKeys) {
      if (personKeys.length === 0) return new Map();
      const { rows } = await pool.query<{ person_key: string; state: string }>(
        'SELECT person_key, state FROM person_contributions WHERE site_id = $1 AND person_key = ANY($2::text[]) AND state IS NOT NULL',
        [siteId, [...personKeys]],
      );
      return new Map(rows.map((r) => [r.person_key, r.state]));
    },
    async resultAggregates(siteId, experimentId, kinds) {
      const ranges = (kinds ?? []).map(aggregateKeyRange);
      const { rows } = kinds
        ? await pool.query<{ key: string; vector: number[] }>(
            `SELECT a.key, a.vector FROM unnest($3::text[], $4::text[]) AS r(lower, upper)
             JOIN result_aggregates a ON a.site_id = $1 AND a.experiment_id = $2 AND a.key >= r.lower AND a.key < r.upper`,
            [siteId, experimentId, ranges.map((r) => r[0]), ranges.map((r) => r[1])],
          )
        : await pool.query<{ key: string; vector: number[] }>('SELECT key, vector FROM result_aggregates WHERE site_id = $1 AND experiment_id = $2', [
            siteId,
            experimentId,
          ]);
      return new Map(rows.map((r) => [r.key, r.vector.map(Number)]));
    },
    async dirtyBacklog() {
      // A running scan counts the persons it has left, at least 1 until it is done.
      const { rows } = await pool.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM dirty_identities)
              + (SELECT coalesce(sum(n), 0) FROM (SELECT greatest(1, sum(greatest(0, persons - done))) AS n FROM site_recomputes GROUP BY site_id) s) AS n`,
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}
