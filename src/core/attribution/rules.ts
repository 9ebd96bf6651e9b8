/** The fixed numbers of attribution (DESIGN.md §1, "Results" and "Precise rules"). */
export const ATTRIBUTION = {
  /** A visit whose last event is more than this after its first is an outlier, left out of results. */
  outlierVisitMs: 120 * 60_000,
  /** A visit with more events than this (after de-duplication) is an outlier. */
  outlierVisitEvents: 10_000,
  /** CUPED covariate: the unit's value of the metric over this span before its first exposure. */
  cupedLookbackMs: 14 * 86_400_000,
} as const;

export interface AnalysisPeriod {
  start: number | null;
  end: number | null;
}

export interface AttributionSettings {
  visitTimeoutMs: number;
  attributionWindowMs: number;
  /** Each experiment's analysis period; unbounded until a user sets it. */
  periodOf(experimentId: number): AnalysisPeriod;
}

export function inPeriod(time: number, period: AnalysisPeriod): boolean {
  return (period.start === null || time >= period.start) && (period.end === null || time <= period.end);
}

export function utcDay(time: number): number {
  return Math.floor(time / 86_400_000);
}
