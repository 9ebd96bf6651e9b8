import type Database from 'better-sqlite3';
import { accumulate, contributionDelta, experimentOfKey, type Contributions } from '../../core/attribution/contributions.ts';
import {
  defaultExperiment,
  idsOfExperiment,
  idsOfGoal,
  missingEntries,
  variationKey,
  type ExperimentRecord,
  type GoalRecord,
  type RegistryEntry,
  type RegistryWrite,
  type SeenIds,
} from '../../core/registry.ts';
import { fromSiteRow } from '../event-rows.ts';
import {
  aggregateKeyRange,
  contributionsFromJson,
  contributionsToJson,
  toExperiment,
  toGoal,
  type DirtyMark,
  personDigest,
  type ExperimentRow,
  type StoredContributions,
} from '../derived-rows.ts';
import { FROM_SCRATCH, type DerivedStoragePart } from '../port.ts';
import { jsonChunks } from './sqlite-key-sets.ts';
import { partCursors } from './sqlite-event-scan.ts';
import { rowBatch } from './sqlite-row-batch.ts';

/**
 * Parts of a site-wide recomputation, each a range of identity hashes under a lease of its own:
 * more than the attribution threads of a node, so that one finishing early takes the next.
 */
const RECOMPUTE_PARTS = 4;

const EXPERIMENT_SELECT = `
  SELECT e.id, e.name, e.reference_variation_id, e.traffic_split, e.period_start, e.period_end, e.status,
         COALESCE((SELECT json_group_array(json_object('id', v.id, 'name', v.name)) FROM variations v
                   WHERE v.site_id = e.site_id AND v.experiment_id = e.id), '[]') AS variations
  FROM experiments e`;

/** Registry and derived state for the SQLite adapter. */
export function sqliteDerived(db: Database.Database): DerivedStoragePart {
  const listExperiments = db.prepare<[number], ExperimentRow>(`${EXPERIMENT_SELECT} WHERE e.site_id = ? ORDER BY e.id`);
  const getExperiment = db.prepare<[number, number], ExperimentRow>(`${EXPERIMENT_SELECT} WHERE e.site_id = ? AND e.id = ?`);
  const upsertExperiment = db.prepare(
    `INSERT INTO experiments (site_id, id, name, reference_variation_id, traffic_split, period_start, period_end, status)
     VALUES (@site_id, @id, @name, @reference_variation_id, @traffic_split, @period_start, @period_end, @status)
     ON CONFLICT (site_id, id) DO UPDATE SET name = excluded.name, reference_variation_id = excluded.reference_variation_id,
       traffic_split = excluded.traffic_split, period_start = excluded.period_start, period_end = excluded.period_end,
       status = excluded.status`,
  );
  const seenExperiment = db.prepare(
    `INSERT INTO experiments (site_id, id, name, reference_variation_id, traffic_split, period_start, period_end, status)
     VALUES (?, ?, ?, NULL, NULL, NULL, NULL, 'running') ON CONFLICT DO NOTHING`,
  );
  const upsertVariation = db.prepare(
    'INSERT INTO variations (site_id, experiment_id, id, name) VALUES (?, ?, ?, ?) ON CONFLICT (site_id, experiment_id, id) DO UPDATE SET name = excluded.name',
  );
  const seenVariation = db.prepare('INSERT INTO variations (site_id, experiment_id, id, name) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const listGoals = db.prepare<[number], { id: number; name: string; kind: string }>('SELECT id, name, kind FROM goals WHERE site_id = ? ORDER BY id');
  const upsertGoal = db.prepare(
    'INSERT INTO goals (site_id, id, name, kind) VALUES (?, ?, ?, ?) ON CONFLICT (site_id, id) DO UPDATE SET name = excluded.name, kind = excluded.kind',
  );
  const seenGoal = db.prepare("INSERT INTO goals (site_id, id, name, kind) VALUES (?, ?, ?, 'conversion') ON CONFLICT DO NOTHING");
  const updateSettings = db.prepare('UPDATE sites SET settings = ? WHERE id = ?');
  const siteById = db.prepare<[number], { id: number; code: string; settings: string }>('SELECT id, code, settings FROM sites WHERE id = ?');
  const claim = db.prepare<[number, number, number], { site_id: number; id_kind: number; identity: string; gen: number; since: number }>(
    `UPDATE dirty_identities SET claimed_until = ?
     WHERE (site_id, id_kind, identity) IN (
       SELECT site_id, id_kind, identity FROM dirty_identities WHERE claimed_until <= ? ORDER BY claimed_until LIMIT ?)
     RETURNING site_id, id_kind, identity, gen, since`,
  );
  // A round's marks, one primary-key statement each (three times faster a mark than one DELETE of a
  // json_each set with RETURNING, docs/performance.md): deleted when their generation is the one
  // claimed, and the others (touched again meanwhile) freed at once.
  const completeMark = db.prepare('DELETE FROM dirty_identities WHERE site_id = ? AND id_kind = ? AND identity = ? AND gen = ?');
  const releaseMark = db.prepare('UPDATE dirty_identities SET claimed_until = 0 WHERE site_id = ? AND id_kind = ? AND identity = ?');
  const bumpMarks = db.prepare(`UPDATE dirty_identities SET gen = gen + 1, since = ${FROM_SCRATCH} WHERE site_id = ?`);
  const sitePersons = db.prepare<[number], number>('SELECT persons FROM sites WHERE id = ?').pluck();
  const hasEvents = db.prepare<[number], number>('SELECT 1 FROM events INDEXED BY events_by_site_received WHERE site_id = ? LIMIT 1').pluck();
  const dropRecompute = db.prepare('DELETE FROM site_recomputes WHERE site_id = ?');
  const askRecompute = db.prepare(
    'INSERT INTO site_recomputes (site_id, part, gen, cursor, claimed_until, persons, done) VALUES (?, ?, ?, ?, 0, ?, 0)',
  );
  const indexedSeq = db.prepare<[], number>("SELECT value FROM counters WHERE name = 'indexed_seq'").pluck();
  const claimRecompute = db.prepare<[number, number], { site_id: number; part: number; gen: number; cursor: string | null; done: number }>(
    `UPDATE site_recomputes SET claimed_until = ?
     WHERE (site_id, part) = (SELECT site_id, part FROM site_recomputes WHERE claimed_until <= ? ORDER BY site_id, part LIMIT 1)
     RETURNING site_id, part, gen, cursor, done`,
  );
  const advanceRecompute = db.prepare(
    'UPDATE site_recomputes SET cursor = ?, done = done + ?, claimed_until = ? WHERE site_id = ? AND part = ? AND gen = ? AND cursor IS ?',
  );
  const finishRecompute = db.prepare('DELETE FROM site_recomputes WHERE site_id = ? AND part = ? AND gen = ? AND cursor IS ?');
  const addPersons = db.prepare('UPDATE sites SET persons = persons + ? WHERE id = ?');
  // Kept by triggers (schema migration 5): COUNT(*) would scan every mark on each results request.
  // A site's running recomputation counts the persons its parts have left, at least 1 until every
  // part is done.
  const backlog = db.prepare<[], { n: number }>(
    `SELECT (SELECT value FROM counters WHERE name = 'dirty_marks')
          + COALESCE((SELECT SUM(n) FROM (SELECT MAX(1, SUM(MAX(0, persons - done))) AS n FROM site_recomputes GROUP BY site_id)), 0) AS n`,
  );
  const readPersons = db.prepare<[string, number], { person_key: string; data: string; version: number }>(
    `SELECT p.person_key, p.data, p.version FROM json_each(?) j CROSS JOIN person_contributions p ON p.site_id = ? AND p.person_key = j.value`,
  );
  const readDeletions = db.prepare<[string, number], { digest: Buffer; version: number }>(
    `SELECT d.digest, d.version FROM json_each(?) j CROSS JOIN person_deletions d ON d.site_id = ? AND d.digest = unhex(j.value)`,
  );
  // A round's persons, marks and deletions as sets (sqlite-key-sets.ts).
  const readStates = db.prepare<[string, number], { person_key: string; state: string | null }>(
    `SELECT p.person_key, p.state FROM json_each(?) j CROSS JOIN person_contributions p ON p.site_id = ? AND p.person_key = j.value`,
  );
  // A round's upserts in multi-row statements (sqlite-row-batch.ts), each person once.
  const writePersons = rowBatch(
    db,
    'INSERT INTO person_contributions (site_id, person_key, data, state, version)',
    '(?, ?, ?, ?, ?)',
    'ON CONFLICT (site_id, person_key) DO UPDATE SET data = excluded.data, state = excluded.state, version = excluded.version',
  );
  const deletePerson = db.prepare('DELETE FROM person_contributions WHERE site_id = ? AND person_key = ?');
  const writeDeletion = db.prepare(
    `INSERT INTO person_deletions (site_id, digest, version) VALUES (?, ?, ?)
     ON CONFLICT (site_id, digest) DO UPDATE SET version = max(version, excluded.version)`,
  );
  const dropDeletion = db.prepare('DELETE FROM person_deletions WHERE site_id = ? AND digest = ?');
  // A counter row, not memory: any handle that writes to the file (a second one in tests) takes from it.
  const takeVersion = db.prepare<[], { value: number }>("UPDATE counters SET value = value + 1 WHERE name = 'derived_version' RETURNING value");
  const readAggregate = db.prepare<[number, number, string], { vector: string }>(
    'SELECT vector FROM result_aggregates WHERE site_id = ? AND experiment_id = ? AND key = ?',
  );
  const writeAggregate = db.prepare(
    'INSERT INTO result_aggregates (site_id, experiment_id, key, vector) VALUES (?, ?, ?, ?) ON CONFLICT (site_id, experiment_id, key) DO UPDATE SET vector = excluded.vector',
  );
  const aggregatesOf = db.prepare<[number, number], { key: string; vector: string }>(
    'SELECT key, vector FROM result_aggregates WHERE site_id = ? AND experiment_id = ?',
  );
  const aggregatesOfKind = db.prepare<[number, number, string, string], { key: string; vector: string }>(
    'SELECT key, vector FROM result_aggregates WHERE site_id = ? AND experiment_id = ? AND key >= ? AND key < ?',
  );

  const hasExperiment = db.prepare<[number, number], { one: number }>('SELECT 1 AS one FROM experiments WHERE site_id = ? AND id = ?');
  const hasVariation = db.prepare<[number, number, number], { one: number }>('SELECT 1 AS one FROM variations WHERE site_id = ? AND experiment_id = ? AND id = ?');
  const hasGoal = db.prepare<[number, number], { one: number }>('SELECT 1 AS one FROM goals WHERE site_id = ? AND id = ?');
  const countStatement = db.prepare<[{ site: number }], { n: number }>(
    `SELECT (SELECT count(*) FROM experiments WHERE site_id = @site) + (SELECT count(*) FROM variations WHERE site_id = @site)
            + (SELECT count(*) FROM goals WHERE site_id = @site) AS n`,
  );
  const countEntries = (siteId: number) => countStatement.get({ site: siteId })?.n ?? 0;
  const addRefused = db.prepare('UPDATE sites SET registry_refused = registry_refused + ? WHERE id = ?');
  const usage = db.prepare<[number], { map_bytes: number; registry_refused: number }>('SELECT map_bytes, registry_refused FROM sites WHERE id = ?');

  /** The entries of `seen` this site's registry lacks: a primary-key lookup per id. */
  function missing(siteId: number, seen: SeenIds): RegistryEntry[] {
    const experiments = new Set<number>();
    const variations = new Set<string>();
    const goals = new Set<number>();
    for (const [experimentId, ids] of seen.experiments) {
      if (hasExperiment.get(siteId, experimentId)) experiments.add(experimentId);
      for (const id of ids) if (hasVariation.get(siteId, experimentId, id)) variations.add(variationKey(experimentId, id));
    }
    for (const id of seen.goals) if (hasGoal.get(siteId, id)) goals.add(id);
    return missingEntries(seen, { experiments, variations, goals });
  }

  /** Whether `adding` more entries fit the quota; answers the refusal when they do not. */
  function refusal(siteId: number, adding: number, maxEntries: number): RegistryWrite | null {
    if (adding === 0) return null;
    const entries = countEntries(siteId);
    return entries + adding > maxEntries ? { ok: false, entries, adding, quota: maxEntries } : null;
  }

  const saveExperimentTx = db.transaction((siteId: number, record: ExperimentRecord, maxEntries: number): RegistryWrite => {
    const refused = refusal(siteId, missing(siteId, idsOfExperiment(record)).length, maxEntries);
    if (refused) return refused;
    upsertExperiment.run({
      site_id: siteId,
      id: record.id,
      name: record.name,
      reference_variation_id: record.referenceVariationId,
      traffic_split: record.trafficSplit ? JSON.stringify(record.trafficSplit) : null,
      period_start: record.analysisPeriod.start,
      period_end: record.analysisPeriod.end,
      status: record.status,
    });
    for (const variation of record.variations) upsertVariation.run(siteId, record.id, variation.id, variation.name);
    return { ok: true };
  });

  const raiseLastExposure = db.prepare(
    'UPDATE experiments SET last_exposure_at = ? WHERE site_id = ? AND id = ? AND (last_exposure_at IS NULL OR last_exposure_at < ?)',
  );
  const lastExposures = db.prepare<[number], { id: number; last_exposure_at: number }>(
    'SELECT id, last_exposure_at FROM experiments WHERE site_id = ? AND last_exposure_at IS NOT NULL',
  );
  const saveGoalTx = db.transaction((siteId: number, goal: GoalRecord, maxEntries: number): RegistryWrite => {
    const refused = refusal(siteId, missing(siteId, idsOfGoal(goal.id)).length, maxEntries);
    if (refused) return refused;
    upsertGoal.run(siteId, goal.id, goal.name, goal.kind);
    return { ok: true };
  });

  const registerSeenTx = db.transaction((siteId: number, seen: SeenIds, maxEntries: number): number => {
    const adding = missing(siteId, seen);
    let refused = 0;
    if (adding.length > 0) {
      const room = Math.max(0, maxEntries - countEntries(siteId));
      for (const entry of adding.slice(0, room)) {
        if (entry.kind === 'experiment') seenExperiment.run(siteId, entry.id, defaultExperiment(entry.id).name);
        else if (entry.kind === 'variation') seenVariation.run(siteId, entry.experimentId, entry.id, `Variation ${entry.id}`);
        else seenGoal.run(siteId, entry.id, `Goal ${entry.id}`);
      }
      refused = Math.max(0, adding.length - room);
      if (refused > 0) addRefused.run(refused, siteId);
    }
    // Registered experiments only: one the quota refused has no row to raise.
    for (const [experimentId, time] of seen.lastExposure ?? []) raiseLastExposure.run(time, siteId, experimentId, time);
    return refused;
  });

  // Persons one after another (a person named twice sees its first write), then each aggregate row
  // once with the summed deltas: one commit and one write per row for a whole worker round. A
  // person written or deleted with a later version than this one is left as it is.
  const replacePersonsTx = db.transaction((siteId: number, persons: readonly StoredContributions[], version: number) => {
    // What is stored of the round's persons (and the deletion versions of those not stored), read
    // as sets first and then kept up to date as they are written, so that a person named twice
    // sees its first write.
    const keys = [...new Set(persons.map((p) => p.personKey))];
    const stored = new Map<string, { data: string; version: number }>();
    for (const chunk of jsonChunks(keys)) for (const row of readPersons.iterate(chunk, siteId)) stored.set(row.person_key, row);
    const keyOfDigest = new Map(keys.filter((key) => !stored.has(key)).map((key) => [personDigest(key).toString('hex'), key]));
    const deletedAt = new Map<string, number>();
    for (const chunk of jsonChunks([...keyOfDigest.keys()])) {
      for (const row of readDeletions.iterate(chunk, siteId)) deletedAt.set(keyOfDigest.get(row.digest.toString('hex'))!, row.version);
    }
    const total: Contributions = new Map();
    let added = 0;
    // The round's upserts, one per person, written together at the end.
    const written = new Map<string, [string, string | null]>();
    for (const { personKey, next, state, nextJson } of persons) {
      const before = stored.get(personKey);
      const deletion = before ? undefined : deletedAt.get(personKey);
      if ((before?.version ?? deletion ?? -Infinity) > version) continue;
      const data = nextJson ?? contributionsToJson(next);
      // Most recomputations (a page view, a custom datum) leave the contributions as they were:
      // the same stored form, so no delta to parse and sum.
      if (before?.data !== data) accumulate(total, contributionDelta(contributionsFromJson(before?.data), next));
      // A person with no contributions and no state has nothing to keep but its deletion's version.
      if (next.size === 0 && !state) {
        if (before) {
          // Written earlier in this round, then emptied: the write never reaches the table.
          written.delete(personKey);
          deletePerson.run(siteId, personKey);
          writeDeletion.run(siteId, personDigest(personKey), version);
          stored.delete(personKey);
          deletedAt.set(personKey, version);
          added -= 1;
        }
      } else {
        written.set(personKey, [data, state ?? null]);
        stored.set(personKey, { data, version });
        if (!before) added += 1;
        if (deletion !== undefined) {
          dropDeletion.run(siteId, personDigest(personKey));
          deletedAt.delete(personKey);
        }
      }
    }
    for (const [personKey, [data, state]] of written) writePersons.push(siteId, personKey, data, state, version);
    writePersons.flush();
    if (added !== 0) addPersons.run(added, siteId);
    for (const [key, delta] of total) {
      if (delta.every((d) => d === 0)) continue;
      const experimentId = experimentOfKey(key);
      const current = JSON.parse(readAggregate.get(siteId, experimentId, key)?.vector ?? '[]') as number[];
      writeAggregate.run(siteId, experimentId, key, JSON.stringify(delta.map((d, i) => (current[i] ?? 0) + d)));
    }
  });

  const markAllTx = db.transaction((siteId: number): number => {
    // Nothing stored, nothing to recompute (a settings change on a new site).
    if (!hasEvents.get(siteId)) return 0;
    bumpMarks.run(siteId);
    const persons = sitePersons.get(siteId) ?? 0;
    // A generation never used before, not even by a recomputation that finished since (a counter
    // that only grows): a worker still holding a part of an earlier one can never pass for this one.
    const gen = takeVersion.get()!.value;
    dropRecompute.run(siteId);
    partCursors(RECOMPUTE_PARTS, indexedSeq.get() ?? 0).forEach((cursor, part) => {
      // The site's persons shared out, so that the backlog starts at the site's count.
      const share = Math.floor(persons / RECOMPUTE_PARTS) + (part < persons % RECOMPUTE_PARTS ? 1 : 0);
      askRecompute.run(siteId, part, gen, cursor, share);
    });
    return Math.max(1, persons);
  });

  const completeTx = db.transaction((marks: readonly DirtyMark[]) => {
    for (const m of marks) if (completeMark.run(m.siteId, m.idKind, m.identity, m.gen).changes === 0) releaseMark.run(m.siteId, m.idKind, m.identity);
  });

  return {
    async listExperiments(siteId) {
      return listExperiments.all(siteId).map(toExperiment);
    },
    async getExperiment(siteId, id) {
      const row = getExperiment.get(siteId, id);
      return row ? toExperiment(row) : null;
    },
    async saveExperiment(siteId, record, { maxEntries }) {
      return saveExperimentTx.immediate(siteId, record, maxEntries);
    },
    async listGoals(siteId) {
      return listGoals.all(siteId).map(toGoal);
    },
    async saveGoal(siteId, goal, { maxEntries }) {
      return saveGoalTx.immediate(siteId, goal, maxEntries);
    },
    async registerSeen(siteId, seen, { maxEntries }) {
      return { refused: registerSeenTx.immediate(siteId, seen, maxEntries) };
    },
    async missingRegistryEntries(siteId, seen) {
      return missing(siteId, seen);
    },
    async siteUsage(siteId) {
      const row = usage.get(siteId);
      return { registryEntries: countEntries(siteId), mapBytes: row?.map_bytes ?? 0, registryRefused: row?.registry_refused ?? 0 };
    },
    async lastExposures(siteId) {
      return new Map(lastExposures.all(siteId).map((r) => [Number(r.id), Number(r.last_exposure_at)]));
    },
    async updateSiteSettings(siteId, settings) {
      updateSettings.run(JSON.stringify(settings), siteId);
      const row = siteById.get(siteId);
      if (!row) throw new Error(`site ${siteId} not found`);
      return { id: row.id, code: row.code, settings };
    },
    async siteById(siteId) {
      const row = siteById.get(siteId);
      return row ? fromSiteRow(row) : null;
    },
    async claimDirty({ limit, leaseMs, now }) {
      return claim.all(now + leaseMs, now, limit).map((r) => ({ siteId: r.site_id, idKind: r.id_kind, identity: r.identity, gen: r.gen, since: r.since }));
    },
    async completeDirty(marks) {
      completeTx.immediate(marks);
    },
    async markAllDirty(siteId) {
      return markAllTx.immediate(siteId);
    },
    async claimSiteRecompute({ leaseMs, now }) {
      const row = claimRecompute.get(now + leaseMs, now);
      return row ? { siteId: row.site_id, part: row.part, gen: row.gen, cursor: row.cursor, done: row.done } : null;
    },
    async advanceSiteRecompute(job, { cursor, persons, leaseMs, now }) {
      const changed =
        cursor === null
          ? finishRecompute.run(job.siteId, job.part, job.gen, job.cursor)
          : advanceRecompute.run(cursor, persons, now + leaseMs, job.siteId, job.part, job.gen, job.cursor);
      return changed.changes > 0;
    },
    async nextDerivedVersion() {
      return takeVersion.get()!.value;
    },
    async replacePersonsContributions(siteId, persons, { version }) {
      if (persons.length > 0) replacePersonsTx.immediate(siteId, persons, version);
    },
    async personStates(siteId, personKeys) {
      const out = new Map<string, string>();
      for (const chunk of jsonChunks(personKeys)) for (const row of readStates.iterate(chunk, siteId)) if (row.state) out.set(row.person_key, row.state);
      return out;
    },
    async resultAggregates(siteId, experimentId, kinds) {
      const rows = kinds ? kinds.flatMap((kind) => aggregatesOfKind.all(siteId, experimentId, ...aggregateKeyRange(kind))) : aggregatesOf.all(siteId, experimentId);
      return new Map(rows.map((r) => [r.key, JSON.parse(r.vector) as number[]]));
    },
    async dirtyBacklog() {
      return backlog.get()?.n ?? 0;
    },
  };
}
