/**
 * The results benchmark's baseline: the same figures recomputed from the raw events, the way a
 * system without maintained aggregates would answer. Opens the server's SQLite file read-only,
 * reads every event of the site in key order (one identity after another), groups them per person
 * with the same identity rules, runs the same pure attribution (src/core/attribution), sums the
 * persons' contributions and computes the same statistics from the sums.
 */
import Database from 'better-sqlite3';
import { experimentResults, type ResultsLevel } from '../src/analysis/experiment-results.ts';
import { attributePerson } from '../src/core/attribution/attribute-person.ts';
import { experimentOfKey, personContributions, type Contributions } from '../src/core/attribution/contributions.ts';
import { personOfVisitorCode, type PersonKey } from '../src/core/attribution/person.ts';
import type { AttributionSettings } from '../src/core/attribution/rules.ts';
import type { VisitorEvent } from '../src/core/events.ts';
import { resolveMappingValue, type IdentityLink } from '../src/core/identity.ts';
import type { ExperimentRecord, GoalRecord } from '../src/core/registry.ts';
import type { Site } from '../src/core/site-settings.ts';
import { fromEventRow, type EventRow } from '../src/storage/event-rows.ts';
import type { Storage } from '../src/storage/port.ts';

export type ResultsAnswer = Awaited<ReturnType<typeof experimentResults>>;

export interface BaselineResult {
  ms: number;
  /** Reading, grouping and attributing every event (the part that grows with the events). */
  scanMs: number;
  statsMs: number;
  events: number;
  persons: number;
  /** Persons exposed to the experiment (outside outlier visits). */
  exposedPersons: number;
  visitor: ResultsAnswer;
  visit: ResultsAnswer;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function addInto(target: Contributions, key: string, vector: readonly number[]): void {
  const current = target.get(key);
  if (!current) target.set(key, [...vector]);
  else for (let i = 0; i < vector.length; i++) current[i] = (current[i] ?? 0) + (vector[i] ?? 0);
}

export async function recomputeFromEvents(options: {
  file: string;
  site: Omit<Site, 'id'>;
  experiment: ExperimentRecord;
  goals: GoalRecord[];
}): Promise<BaselineResult> {
  const t0 = performance.now();
  const db = new Database(options.file, { readonly: true, fileMustExist: true });
  try {
    const siteRow = db.prepare<[string], { id: number }>('SELECT id FROM sites WHERE code = ?').get(options.site.code);
    if (!siteRow) throw new Error(`site ${options.site.code} is not in ${options.file}`);
    const site: Site = { ...options.site, id: siteRow.id };
    const settings: AttributionSettings = {
      visitTimeoutMs: site.settings.visitTimeoutMs,
      attributionWindowMs: site.settings.attributionWindowMs,
      periodOf: (id) => (id === options.experiment.id ? options.experiment.analysisPeriod : { start: null, end: null }),
    };

    // Links are few (one per linked device): all of them in memory, by code and by value.
    const ownLinks = new Map<string, IdentityLink[]>();
    const linksToValue = new Map<string, IdentityLink[]>();
    const linkRows = db
      .prepare<[number], { mapping_value: string; visitor_code: string; time: number; nonce: string }>(
        'SELECT mapping_value, visitor_code, time, nonce FROM identity_links WHERE site_id = ?',
      )
      .all(site.id);
    for (const row of linkRows) {
      const link: IdentityLink = { mappingValue: row.mapping_value, visitorCode: row.visitor_code, time: Number(row.time), nonce: row.nonce };
      push(ownLinks, link.visitorCode, link);
      push(linksToValue, link.mappingValue, link);
    }
    const mappingValues = new Set(
      db
        .prepare<[number], { identity: string }>('SELECT DISTINCT identity FROM events WHERE site_id = ? AND id_kind = 1')
        .all(site.id)
        .map((r) => r.identity),
    );
    const personOf = (code: string): PersonKey =>
      personOfVisitorCode(code, [...(ownLinks.get(code) ?? []), ...(linksToValue.get(code) ?? [])]);
    // Resolving a mapping value needs its links and every link of the codes linked to it.
    const valueLinks = (value: string): IdentityLink[] => {
      const out: IdentityLink[] = [];
      for (const link of linksToValue.get(value) ?? []) out.push(link, ...(ownLinks.get(link.visitorCode) ?? []));
      return out;
    };

    const sums: Contributions = new Map();
    let persons = 0;
    let exposedPersons = 0;
    const attribute = (eventsByCode: ReadonlyMap<string, readonly VisitorEvent[]>) => {
      persons += 1;
      const attributions = attributePerson(eventsByCode, settings);
      for (const [key, vector] of personContributions(attributions)) {
        if (experimentOfKey(key) === options.experiment.id) addInto(sums, key, vector);
      }
      if (attributions.some((a) => a.experimentId === options.experiment.id)) exposedPersons += 1;
    };

    // Persons with several codes, or reached by mapping value, are gathered until the scan ends;
    // a lone code with no link and no mapping-value events is a whole person as soon as it is read.
    const gathered = new Map<PersonKey, Map<string, VisitorEvent[]>>();
    const gather = (person: PersonKey, code: string, event: VisitorEvent) => {
      let byCode = gathered.get(person);
      if (!byCode) gathered.set(person, (byCode = new Map()));
      push(byCode, code, event);
    };
    let events = 0;
    let current: { kind: number; identity: string; events: VisitorEvent[] } | null = null;
    const flush = () => {
      if (!current) return;
      const { kind, identity } = current;
      if (kind === 0) {
        const alone = !ownLinks.has(identity) && !linksToValue.has(identity) && !mappingValues.has(identity);
        if (alone) attribute(new Map([[identity, current.events]]));
        else for (const event of current.events) gather(personOf(identity), identity, event);
      } else {
        const links = valueLinks(identity);
        for (const event of current.events) {
          const owner = resolveMappingValue(identity, event.time, links);
          gather(personOf(owner), owner, event);
        }
      }
      current = null;
    };
    const scan = db.prepare<[number], EventRow>(
      'SELECT id_kind, identity, nonce, type, time, received_at, data, itp, sdk FROM events WHERE site_id = ? ORDER BY id_kind, identity, nonce',
    );
    for (const row of scan.iterate(site.id)) {
      events += 1;
      const kind = Number(row.id_kind);
      if (!current || current.kind !== kind || current.identity !== row.identity) {
        flush();
        current = { kind, identity: row.identity, events: [] };
      }
      current.events.push(fromEventRow(row));
    }
    flush();
    for (const byCode of gathered.values()) attribute(byCode);
    const scanMs = performance.now() - t0;

    // The same statistics, computed from the sums through the same use-case.
    const t1 = performance.now();
    const view: Pick<Storage, 'getExperiment' | 'resultAggregates' | 'listGoals' | 'dirtyBacklog'> = {
      getExperiment: async () => options.experiment,
      resultAggregates: async () => sums,
      listGoals: async () => options.goals,
      dirtyBacklog: async () => 0,
    };
    const resultsAt = (level: ResultsLevel) =>
      experimentResults(view as Storage, { site, experimentId: options.experiment.id, level, confidence: 0.95 });
    const visitor = await resultsAt('visitor');
    const visit = await resultsAt('visit');
    const end = performance.now();
    return { ms: end - t0, scanMs, statsMs: end - t1, events, persons, exposedPersons, visitor, visit };
  } finally {
    db.close();
  }
}

export interface FigureMismatch {
  level: ResultsLevel;
  goalId: number;
  variationId: number;
  field: string;
  served: number;
  baseline: number;
}

/**
 * Units, converted units and conversions must be equal; net revenue equal up to float noise (the
 * served sums are built from deltas in another order). Health counts are compared as well.
 */
export function compareFigures(served: ResultsAnswer, baseline: ResultsAnswer): FigureMismatch[] {
  const out: FigureMismatch[] = [];
  const level = served.level;
  for (const field of ['persons', 'multipleVariationPersons', 'excludedOutlierVisits'] as const) {
    if (served.health[field] !== baseline.health[field]) {
      out.push({ level, goalId: -1, variationId: -1, field: `health.${field}`, served: served.health[field], baseline: baseline.health[field] });
    }
  }
  const goalIds = new Set([...served.goals, ...baseline.goals].map((g) => g.goalId));
  for (const goalId of goalIds) {
    const s = served.goals.find((g) => g.goalId === goalId);
    const b = baseline.goals.find((g) => g.goalId === goalId);
    const variationIds = new Set([...(s?.variations ?? []), ...(b?.variations ?? [])].map((v) => v.variationId));
    for (const variationId of variationIds) {
      const sv = s?.variations.find((v) => v.variationId === variationId);
      const bv = b?.variations.find((v) => v.variationId === variationId);
      for (const field of ['units', 'convertedUnits', 'conversions', 'revenue'] as const) {
        const x = sv?.[field] ?? NaN;
        const y = bv?.[field] ?? NaN;
        const equal = field === 'revenue' ? Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y)) : x === y;
        if (!equal) out.push({ level, goalId, variationId, field, served: x, baseline: y });
      }
    }
  }
  return out;
}
