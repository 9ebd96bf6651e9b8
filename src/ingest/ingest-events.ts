import { AnoleError, type EventRejectionCode } from '../core/error-codes.ts';
import type { Identity, SdkInfo, VisitorEvent } from '../core/events.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { Storage } from '../storage/port.ts';
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

  const verdicts: EventVerdict[] = [];
  const valid: { verdict: EventVerdict; event: VisitorEvent }[] = [];
  for (const raw of raws) {
    const verdict: EventVerdict = { ...raw.position, status: 'rejected' };
    verdicts.push(verdict);
    const decoded = raw.fields ? decodeEvent(raw.fields, ctx) : { ok: false as const, rejection: REJECTION_OF[raw.problem!] };
    if (typeof raw.fields?.nonce === 'string') verdict.nonce = raw.fields.nonce;
    if (decoded.ok) {
      valid.push({ verdict, event: decoded.event });
    } else {
      verdict.code = decoded.rejection.code;
      verdict.message = decoded.rejection.message;
    }
  }

  const rejected = verdicts.length - valid.length;
  if (request.format === 'json' && rejected > 0) {
    throw new AnoleError('invalid_events', `${rejected} of ${verdicts.length} events are invalid; nothing was stored`, {
      // Valid events still carry the provisional 'rejected' status; only those with a code failed.
      errors: verdicts.filter((v) => v.code !== undefined),
    });
  }

  const siteEvents = valid.map(({ event }) => ({ siteId: site.id, event }));
  if (request.dryRun) {
    const stored = await deps.storage.alreadyStored(siteEvents);
    const seen = new Set<string>();
    valid.forEach(({ verdict, event }, i) => {
      const key = `${event.identity.kind}\u0000${event.identity.value}\u0000${event.nonce}`;
      verdict.status = stored[i] || seen.has(key) ? 'duplicate' : 'accepted';
      seen.add(key);
    });
  } else {
    const outcome = await deps.committer.submit(siteEvents);
    valid.forEach(({ verdict }, i) => {
      verdict.status = outcome[i] ?? 'rejected';
    });
  }

  const count = (status: EventStatus) => verdicts.filter((v) => v.status === status).length;
  return {
    siteCode: site.code,
    dryRun: request.dryRun,
    accepted: count('accepted'),
    duplicate: count('duplicate'),
    rejected,
    events: verdicts,
  };
}
