import { LIMITS } from '../core/limits.ts';
import type { EventVerdict, IngestReport } from '../ingest/ingest-events.ts';

/**
 * POST /visit/events answers, capped so that none is many times the size of its body: a 3 MB body
 * of 100,000 bad lines once answered ~10 MB of messages. The first LIMITS.listedRejections rejected
 * events are listed whole (code, message, warnings); every rejected event, those too, is named by
 * code and position in `rejections`, as ranges; warnings are listed for the first events that carry
 * them, LIMITS.listedWarnings warnings in all. The ingest use-case keeps every verdict (the import
 * pipeline needs them); only the HTTP answer is cut.
 */

/** Every rejected event of a request: how many of each code, and where, enough to find each one. */
export interface Rejections {
  /** Rejected events listed whole in the answer (`events` or `errors`): the first ones in body order. */
  listed: number;
  /** How many events were rejected with each code. */
  byCode: Record<string, number>;
  /**
   * Where every rejected event is, as comma-separated numbers and ranges (`"2-5,9"`): `lines`
   * (line format, 1-based; a range runs over consecutive events, the blank lines it spans hold
   * none) or `indices` (JSON, 0-based). One list for every code, so that it costs a few bytes per
   * run of rejected events, and a run is broken only by an event that was stored.
   */
  lines?: string;
  indices?: string;
}

export interface CappedReport extends IngestReport {
  /** Present when some event was rejected. */
  rejections?: Rejections;
  /** Events whose warnings were left out of the answer (past LIMITS.listedWarnings warnings); `ignoredFields` and `stringValues` still count theirs. */
  warningsOmitted?: number;
}

export interface CappedErrors {
  errors: EventVerdict[];
  rejections: Rejections;
  warningsOmitted?: number;
}

/**
 * Counts rejected verdicts by code and lists their positions as ranges. JSON positions are array
 * indices, so index + 1 is the next event; in the line format blank lines make line numbers skip,
 * so the next event is the next verdict of a complete list (a report's, or the errors of a line
 * body none of whose lines is valid). A list of the rejected verdicts alone (`complete: false`)
 * cannot tell a blank line from a stored one, so its line ranges run over consecutive numbers only.
 */
export function rejectionsOf(verdicts: readonly EventVerdict[], listed: number, options: { complete: boolean } = { complete: true }): Rejections {
  const byCode: Record<string, number> = {};
  const parts: string[] = [];
  const json = verdicts.some((v) => v.index !== undefined);
  let start = -1;
  let end = -1;
  let last = -2;
  const close = () => {
    if (start >= 0) parts.push(start === end ? String(start) : `${start}-${end}`);
  };
  verdicts.forEach((verdict, position) => {
    if (verdict.status !== 'rejected') return;
    const code = verdict.code ?? 'unknown';
    byCode[code] = (byCode[code] ?? 0) + 1;
    const at = verdict.line ?? verdict.index ?? 0;
    const adjacent = json || !options.complete ? at === end + 1 : position === last + 1;
    if (!adjacent || start < 0) {
      close();
      start = at;
    }
    end = at;
    last = position;
  });
  close();
  return json ? { listed, byCode, indices: parts.join(',') } : { listed, byCode, lines: parts.join(',') };
}

/** Keeps warnings on verdicts until LIMITS.listedWarnings are listed, then leaves the rest out. */
function warningsCap() {
  let listed = 0;
  let omitted = 0;
  return {
    apply(verdict: EventVerdict): EventVerdict {
      const warnings = verdict.warnings;
      if (!warnings) return verdict;
      if (omitted === 0 && listed + warnings.length <= LIMITS.listedWarnings) {
        listed += warnings.length;
        return verdict;
      }
      omitted += 1;
      const rest = { ...verdict };
      delete rest.warnings;
      return rest;
    },
    get omitted() {
      return omitted;
    },
  };
}

/** A verdicts=true or dryRun=true report as answered: every accepted and duplicate verdict, the first rejections whole. */
export function capReport(report: IngestReport): CappedReport {
  const warnings = warningsCap();
  const events: EventVerdict[] = [];
  let listed = 0;
  for (const verdict of report.events) {
    if (verdict.status === 'rejected') {
      if (listed >= LIMITS.listedRejections) continue;
      listed += 1;
    }
    events.push(warnings.apply(verdict));
  }
  const capped: CappedReport = { ...report, events };
  if (report.rejected > 0) capped.rejections = rejectionsOf(report.events, listed);
  if (warnings.omitted > 0) capped.warningsOmitted = warnings.omitted;
  return capped;
}

/**
 * The `errors` of an invalid_events answer or a counts answer: the first ones whole, every one by
 * code and position. `complete`: the list holds every event's verdict (see rejectionsOf).
 */
export function capErrors(errors: readonly EventVerdict[], options: { complete: boolean } = { complete: true }): CappedErrors {
  const warnings = warningsCap();
  const listed = errors.slice(0, LIMITS.listedRejections).map((verdict) => warnings.apply(verdict));
  const capped: CappedErrors = { errors: listed, rejections: rejectionsOf(errors, listed.length, options) };
  if (warnings.omitted > 0) capped.warningsOmitted = warnings.omitted;
  return capped;
}

/** answer=counts: what became of the request's events, and the rejected ones only. */
export interface CountsAnswer {
  siteCode: string;
  format: 'lines' | 'json';
  dryRun: boolean;
  /** Events stored by this request (a dry run: that it would store). */
  stored: number;
  duplicate: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  ignoredFields: number;
  stringValues: number;
  /** The first LIMITS.listedRejections rejected events, whole, in body order. */
  errors: EventVerdict[];
  /** Present when some event was rejected. */
  rejections?: Rejections;
  warningsOmitted?: number;
}

/**
 * A report as a counts answer: the size of the answer follows the rejected events, not the body,
 * so a client that needs to tell stored from duplicate events (an import) need not read a verdict
 * per event.
 */
export function countsAnswer(report: IngestReport): CountsAnswer {
  const rejected = report.events.filter((verdict) => verdict.status === 'rejected');
  const capped = capErrors(rejected, { complete: false });
  const answer: CountsAnswer = {
    siteCode: report.siteCode,
    format: report.format,
    dryRun: report.dryRun,
    stored: report.accepted,
    duplicate: report.duplicate,
    rejected: report.rejected,
    rejectedByCode: capped.rejections.byCode,
    ignoredFields: report.ignoredFields,
    stringValues: report.stringValues,
    errors: capped.errors,
  };
  if (rejected.length > 0) answer.rejections = capped.rejections;
  if (capped.warningsOmitted !== undefined) answer.warningsOmitted = capped.warningsOmitted;
  return answer;
}
