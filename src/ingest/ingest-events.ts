import { AnoleError, type EventRejectionCode } from '../core/error-codes.ts';
import type { Identity, SdkInfo } from '../core/events.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { SiteEvent, Storage } from '../storage/port.ts';
import { decodeEvent, type Rejection } from './decode-event.ts';
import type { GroupCommitter } from './group-commit.ts';
import { parseJsonBody, parseLineBody, type RawEvent } from './parse-body.ts';

export interface IngestRequest {
  siteCode: string;
  format: 'lines' | 'json';
  body: string;
  queryIdentity: Identity | null;
  itp: boolean;
  sdk: SdkInfo | null;
  /** Validate and look for duplicates, store nothing. */
  dryRun: boolean;
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
}

export interface IngestReport {
  siteCode: string;
  dryRun: boolean;
  accepted: number;
  duplicate: number;
  rejected: number;
  /** One verdict per event, in body order; only the rejected ones when the request set verdicts=false. */
  events: EventVerdict[];
}

export interface IngestDeps {
  storage: Storage;
  sites: SiteDirectory;
  committer: GroupCommitter;
}

const REJECTION_OF: Record<NonNullable<RawEvent['problem']>, Rejection> = {
  line_too_long: { code: 'line_too_long', message: 'the line exceeds 64 KiB' },
  invalid_event: { code: 'invalid_event', message: 'each item must be a JSON object' },
};

/**
 * The single write path: parse → validate → de-duplicate → persist. HTTP, the import CLI and tests
 * all come through here. Line format stores the valid events and rejects the others; JSON format is
 * all or nothing (one invalid event → invalid_events, nothing stored).
 */
export async function ingestEvents(deps: IngestDeps, request: IngestRequest): Promise<IngestReport> {
  const raws = request.format === 'json' ? parseJsonBody(request.body) : parseLineBody(request.body);
  const site = await deps.sites.resolve(request.siteCode);
  const ctx = {
    queryIdentity: request.queryIdentity,
    receivedAt: request.receivedAt,
    lateHorizonMs: site.settings.lateEventHorizonMs,
    itp: request.itp,
    sdk: request.sdk,
  };
  // A dry run answers its verdicts whatever the request says.
  const everyVerdict = request.verdicts !== false || request.dryRun;

  const verdicts: EventVerdict[] = [];
  const siteEvents: SiteEvent[] = [];
  // The verdicts of the valid events, in the order of siteEvents (empty unless every verdict is kept).
  const validVerdicts: EventVerdict[] = [];
  for (let r = 0; r < raws.length; r++) {
    const raw = raws[r]!;
    const nonce = raw.fields !== null && typeof raw.fields.nonce === 'string' ? raw.fields.nonce : undefined;
    const decoded = raw.fields !== null ? decodeEvent(raw.fields, ctx) : { ok: false as const, rejection: REJECTION_OF[raw.problem!] };
    if (decoded.ok) {
      siteEvents.push({ siteId: site.id, event: decoded.event });
      if (everyVerdict) {
        // Provisional until the store answers.
        const verdict = verdictAt(raw.position, nonce);
        verdicts.push(verdict);
        validVerdicts.push(verdict);
      }
    } else {
      const verdict = verdictAt(raw.position, nonce);
      verdict.code = decoded.rejection.code;
      verdict.message = decoded.rejection.message;
      verdicts.push(verdict);
    }
  }

  const rejected = raws.length - siteEvents.length;
  if (request.format === 'json' && rejected > 0) {
    throw new AnoleError('invalid_events', `${rejected} of ${raws.length} events are invalid; nothing was stored`, {
      errors: verdicts.filter((v) => v.code !== undefined),
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
    for (let i = 0; i < siteEvents.length; i++) {
      const status = outcome[i] ?? 'rejected';
      if (status === 'accepted') accepted += 1;
      else if (status === 'duplicate') duplicate += 1;
      if (everyVerdict) validVerdicts[i]!.status = status;
    }
  }

  return {
    siteCode: site.code,
    dryRun: request.dryRun,
    accepted,
    duplicate,
    rejected,
    events: verdicts,
  };
}

/** A verdict for the event at this position, 'rejected' until decided (keys in their answered order). */
function verdictAt(position: RawEvent['position'], nonce: string | undefined): EventVerdict {
  const verdict: EventVerdict = 'line' in position ? { line: position.line, status: 'rejected' } : { index: position.index, status: 'rejected' };
  if (nonce !== undefined) verdict.nonce = nonce;
  return verdict;
}
