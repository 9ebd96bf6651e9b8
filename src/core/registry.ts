import type { AnalysisPeriod } from './attribution/rules.ts';
import type { VisitorEvent } from './events.ts';

/**
 * What an operator says about experiments and goals. Ids first seen in events are registered
 * automatically (named after their id) so that a user who only posts events still gets results.
 */
export const EXPERIMENT_STATUSES = ['draft', 'running', 'paused', 'stopped'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export interface VariationRecord {
  id: number;
  name: string;
}

export interface ExperimentRecord {
  id: number;
  name: string;
  variations: VariationRecord[];
  /** Null until set: the lowest variation id is then the reference. */
  referenceVariationId: number | null;
  /** Expected share of traffic per variation id; null means an equal split. */
  trafficSplit: Record<string, number> | null;
  analysisPeriod: AnalysisPeriod;
  status: ExperimentStatus;
}

export const GOAL_KINDS = ['conversion', 'revenue', 'engagement', 'custom'] as const;
export type GoalKind = (typeof GOAL_KINDS)[number];

export interface GoalRecord {
  id: number;
  name: string;
  kind: GoalKind;
}

/** Ids seen in one person's events, registered if new. */
export interface SeenIds {
  experiments: Map<number, Set<number>>;
  goals: Set<number>;
  /** The latest exposure time seen per experiment (kept as the experiment's latest exposure when later). */
  lastExposure?: Map<number, number>;
}

export function defaultExperiment(id: number): ExperimentRecord {
  return {
    id,
    name: `Experiment ${id}`,
    variations: [],
    referenceVariationId: null,
    trafficSplit: null,
    analysisPeriod: { start: null, end: null },
    status: 'running',
  };
}

export function referenceVariationOf(experiment: ExperimentRecord): number | null {
  if (experiment.referenceVariationId !== null) return experiment.referenceVariationId;
  const ids = experiment.variations.map((v) => v.id);
  return ids.length > 0 ? Math.min(...ids) : null;
}

/**
 * One entry of a site's registry: what its quota counts. A variation belongs to its experiment, so
 * it is registered only once the experiment is.
 */
export type RegistryEntry =
  | { kind: 'experiment'; id: number }
  | { kind: 'variation'; experimentId: number; id: number }
  | { kind: 'goal'; id: number };

/** What a registry already holds of some ids: see missingEntries. */
export interface KnownIds {
  experiments: ReadonlySet<number>;
  /** `${experimentId}:${variationId}` */
  variations: ReadonlySet<string>;
  goals: ReadonlySet<number>;
}

export const variationKey = (experimentId: number, variationId: number) => `${experimentId}:${variationId}`;

const ascending = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

/**
 * The entries `seen` would add to a registry holding `known`, in the one order every engine registers
 * them: experiments by id, each followed by its new variations by id, then goals by id. When the
 * quota leaves room for only some, the first ones are registered: a prefix never holds a variation
 * without its experiment.
 */
export function missingEntries(seen: SeenIds, known: KnownIds): RegistryEntry[] {
  const out: RegistryEntry[] = [];
  for (const experimentId of ascending(seen.experiments.keys())) {
    if (!known.experiments.has(experimentId)) out.push({ kind: 'experiment', id: experimentId });
    for (const id of ascending(seen.experiments.get(experimentId)!)) {
      if (!known.variations.has(variationKey(experimentId, id))) out.push({ kind: 'variation', experimentId, id });
    }
  }
  for (const id of ascending(seen.goals)) if (!known.goals.has(id)) out.push({ kind: 'goal', id });
  return out;
}

/** The ids an experiment record names, as SeenIds (an admin write counts its experiment and variations). */
export function idsOfExperiment(record: Pick<ExperimentRecord, 'id' | 'variations'>): SeenIds {
  return { experiments: new Map([[record.id, new Set(record.variations.map((v) => v.id))]]), goals: new Set() };
}

export const idsOfGoal = (id: number): SeenIds => ({ experiments: new Map(), goals: new Set([id]) });

/** How an entry is named in messages and warnings. */
export function describeEntry(entry: RegistryEntry): string {
  return entry.kind === 'variation' ? `variation ${entry.id} of experiment ${entry.experimentId}` : `${entry.kind} ${entry.id}`;
}

/** The outcome of a registry write under a quota: all or nothing for an admin write. */
export type RegistryWrite = { ok: true } | { ok: false; entries: number; adding: number; quota: number };

/** Adds the ids one event names (an exposure's experiment and variation, a conversion's goal) to `seen`. */
export function addSeenIds(seen: SeenIds, event: VisitorEvent): void {
  if (event.type === 'experiment') {
    const variations = seen.experiments.get(event.data.id) ?? new Set<number>();
    variations.add(event.data.variationId);
    seen.experiments.set(event.data.id, variations);
  } else if (event.type === 'conversion') {
    seen.goals.add(event.data.goalId);
  }
}
