import { AnoleError, type EventRejectionCode } from '../core/error-codes.ts';
import type { Identity, SdkInfo } from '../core/events.ts';
import { DEFAULT_QUOTAS, type SiteQuotas } from '../core/site-settings.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { SiteEvent, Storage } from '../storage/port.ts';
import { decodeEvent, type Rejection } from './decode-event.ts';
import type { GroupCommitter } from './group-commit.ts';
import { bodyFormat, parseJsonBody, parseLineBody, type RawEvent } from './parse-body.ts';
import type { EventWarning } from './event-warnings.ts';
import { registryWarnings } from './registry-warnings.ts';

export interface IngestRequest {
  siteCode: string;
  /** The format the request names; a body starting with `[` is JSON whatever it names. */
  format: 'lines' | 'json';
  body: string;
  queryIdentity: Identity | null;
  itp: boolean;
  sdk: SdkInfo | null;
  /** Validate and look for duplicates, store nothing. */
  dryRun: boolean;
  /** Reject events with fields their type does not read, instead of ignoring those fields. */
  strict?: boolean;
  receivedAt: number;
  /**
   * false: the caller needs only the counts and the rejections (it answers 204), so the report's
   * `events` holds the verdicts of the rejected events only. Default true; dry runs keep them all.
   */
  verdicts?: boolean;
}

export type EventStatus = 'accepted' | 'duplicate' | 'rejected';

export interface EventVerdict {
  /** 1-based line (line format) or 0-based index (JSON). */
  line?: number;
  index?: number;
  status: EventStatus;
  nonce?: string;
  code?: EventRejectionCode;
  message?: string;
  /**
   * Fields the event carried that were ignored (each with the known name most likely meant), numbers
   * or booleans sent as JSON strings, and ids the site's registry has no room for.
   */
  warnings?: EventWarning[];
}

export interface IngestReport {
  siteCode: string;
  /** The format the body was read in (`json` for a body starting with `[`, whatever the query said). */
  format: 'lines' | 'json';
  dryRun: boolean;
  accepted: number;
  duplicate: number;
  rejected: number;
  /** Fields ignored across the request's events (their warnings are in the verdicts). */
  ignoredFields: number;
  /** Numbers and booleans sent as JSON strings across the request's events (each has a warning). */
  stringValues: number;
  /** One verdict per event, in body order; only the rejected ones when the request set verdicts=false. */
  events: EventVerdict[];
}

export interface IngestDeps {
  storage: Storage;
  sites: SiteDirectory;
  committer: GroupCommitter;
  /** The server's default quotas: verdicts warn about ids the site's registry has no room for. */
  quotas?: SiteQuotas;
}

const JSON_BY_BRACKET = ' (the body starts with "[", so it was read as a JSON array of events although json=true was not given)';

const REJECTION_OF: Record<NonNullable<RawEvent['problem']>, Rejection> = {
  line_too_long: { code: 'line_too_long', message: 'the line exceeds 64 KiB' },
  invalid_event: { code: 'invalid_event', message: 'each item must be a JSON object' },
};

/**
 * The single write path: parse → validate → de-duplicate → persist. HTTP, the import pipeline and
 * tests all come through here. Line format stores the valid events and rejects the others, unless
 * none is valid (invalid_events: a request that stores nothing by mistake is not a success); JSON
 * format is all or nothing (one invalid event → invalid_events, nothing stored).
 */
export async function ingestEvents(deps: IngestDeps, request: IngestRequest): Promise<IngestReport> {
  const format = bodyFormat(request.format, request.body);
  const raws = format === 'json' ? parseJsonBody(request.body, { named: request.format === 'json' }) : parseLineBody(request.body);
  return ingestRawEvents(deps, { ...request, format, allOrNothing: format === 'json', refuseNoneValid: true, jsonByBracket: request.format !== 'json' }, raws);
}

/** What ingestRawEvents needs: a request whose body is already split into raw events. */
export type RawIngestRequest = Omit<IngestRequest, 'body'> & {
  /** One invalid event rejects them all (JSON format), or the valid ones are stored (line format, imports). */
  allOrNothing: boolean;
  /** No valid event at all is invalid_events (a request), or an answer listing the rejections (an import's batch). */
  refuseNoneValid: boolean;
  /** The body was read as JSON for its leading `[` (said in the error). */
  jsonByBracket?: boolean;
};

/** The steps after parsing, for callers that build raw events themselves (the import pipeline). */
export async function ingestRawEvents(deps: IngestDeps, request: RawIngestRequest, raws: readonly RawEvent[]): Promise<IngestReport> {
  const format = request.format;
  const site = await deps.sites.resolve(request.siteCode);
  const ctx = {
    queryIdentity: request.queryIdentity,
    receivedAt: request.receivedAt,
    lateHorizonMs: site.settings.lateEventHorizonMs,
    itp: request.itp,
    sdk: request.sdk,
    format,
    strict: request.strict ?? false,
    siteCode: site.code,
  };
  // A dry run answers its verdicts whatever the request says.
  const everyVerdict = request.verdicts !== false || request.dryRun;

  const verdicts: EventVerdict[] = [];
  const siteEvents: SiteEvent[] = [];
  // The verdicts of the valid events, in the order of siteEvents (empty unless every verdict is kept).
  const validVerdicts: EventVerdict[] = [];
  // Where each valid event came from, to place a verdict the store decides (see over_limit).
  const validPositions: number[] = [];
  let ignoredFields = 0;
  let stringValues = 0;
  for (let r = 0; r < raws.length; r++) {
    const raw = raws[r]!;
    const nonce = raw.fields !== null && typeof raw.fields.nonce === 'string' ? raw.fields.nonce : undefined;
    const decoded = raw.fields !== null ? decodeEvent(raw.fields, ctx) : { ok: false as const, rejection: REJECTION_OF[raw.problem!], warnings: undefined };
    if (decoded.ok) {
      siteEvents.push({ siteId: site.id, event: decoded.event });
      validPositions.push(r);
      ignoredFields += decoded.ignoredFields ?? 0;
      stringValues += decoded.stringValues ?? 0;
      if (everyVerdict) {
        // Provisional until the store answers.
        const verdict = verdictAt(raw.position, nonce);
        if (decoded.warnings) verdict.warnings = decoded.warnings;
        verdicts.push(verdict);
        validVerdicts.push(verdict);
      }
    } else {
      const verdict = verdictAt(raw.position, nonce);
      verdict.code = decoded.rejection.code;
      verdict.message = decoded.rejection.message;
      if (decoded.warnings) verdict.warnings = decoded.warnings;
      verdicts.push(verdict);
    }
  }

  let rejected = raws.length - siteEvents.length;
  if (request.allOrNothing && rejected > 0) {
    throw new AnoleError('invalid_events', `${rejected} of ${raws.length} events are invalid; nothing was stored${request.jsonByBracket ? JSON_BY_BRACKET : ''}`, {
      errors: verdicts.filter((v) => v.code !== undefined),
    });
  }
  if (request.refuseNoneValid && rejected > 0 && siteEvents.length === 0) {
    throw new AnoleError('invalid_events', `none of the ${rejected} lines is a valid event, so nothing was stored; each line's error is listed (first: ${verdicts[0]!.code})`, {
      errors: verdicts,
    });
  }

  let accepted = 0;
  let duplicate = 0;
  if (request.dryRun) {
    const stored = await deps.storage.alreadyStored(siteEvents);
    const seen = new Set<string>();
    for (let i = 0; i < siteEvents.length; i++) {
      const { event } = siteEvents[i]!;
      const key = `${event.identity.kind}\u0000${event.identity.value}\u0000${event.nonce}`;
      const status = stored[i] || seen.has(key) ? 'duplicate' : 'accepted';
      if (status === 'accepted') accepted += 1;
      else duplicate += 1;
      validVerdicts[i]!.status = status;
      seen.add(key);
    }
  } else {
    const outcome = await deps.committer.submit(siteEvents);
    const overLimit: EventVerdict[] = [];
    for (let i = 0; i < siteEvents.length; i++) {
      const status = outcome[i] ?? 'over_limit';
      if (status === 'accepted') accepted += 1;
      else if (status === 'duplicate') duplicate += 1;
      if (status === 'over_limit') {
        // Decided by the store, like a duplicate: a verdict of its own, never a silent drop.
        const verdict = everyVerdict ? validVerdicts[i]! : verdictAt(raws[validPositions[i]!]!.position, siteEvents[i]!.event.nonce);
        verdict.status = 'rejected';
        verdict.code = 'identity_event_limit';
        verdict.message = `the ${siteEvents[i]!.event.identity.kind} already holds the most events one identity may hold; this event was not stored`;
        overLimit.push(verdict);
        if (!everyVerdict) verdicts.push(verdict);
      } else if (everyVerdict) validVerdicts[i]!.status = status;
    }
    if (overLimit.length > 0 && request.allOrNothing) {
      // JSON requests are all or nothing for validation; this limit is met only at commit, after
      // the other events were stored, so the answer says exactly what happened to each.
      throw new AnoleError(
        'identity_event_limit',
        `${overLimit.length} of ${siteEvents.length} events were not stored: their identity already holds the most events one identity may hold; the ${accepted} others were stored${duplicate > 0 ? ` (${duplicate} were already)` : ''}`,
        { errors: overLimit, accepted, duplicate },
      );
    }
    rejected += overLimit.length;
    if (overLimit.length > 0 && !everyVerdict) verdicts.sort((a, b) => (a.line ?? a.index ?? 0) - (b.line ?? b.index ?? 0));
  }
  if (everyVerdict) {
    for (const [i, warning] of await registryWarnings(deps.storage, site, deps.quotas ?? DEFAULT_QUOTAS, siteEvents, { dryRun: request.dryRun })) {
      const verdict = validVerdicts[i]!;
      if (verdict.status !== 'rejected') (verdict.warnings ??= []).push(warning);
    }
  }

  return {
    siteCode: site.code,
    format,
    dryRun: request.dryRun,
    accepted,
    duplicate,
    rejected,
    ignoredFields,
    stringValues,
    events: verdicts,
  };
}

/** A verdict for the event at this position, 'rejected' until decided (keys in their answered order). */
function verdictAt(position: RawEvent['position'], nonce: string | undefined): EventVerdict {
  const verdict: EventVerdict = 'line' in position ? { line: position.line, status: 'rejected' } : { index: position.index, status: 'rejected' };
  // A nonce is 16 characters: one of a line's length is junk, and echoing it whole would double the answer.
  if (nonce !== undefined) verdict.nonce = nonce.length > 64 ? `${nonce.slice(0, 64)}…` : nonce;
  return verdict;
}
