import type { AnalysisPeriod } from './attribution/rules.ts';

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
