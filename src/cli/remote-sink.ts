import type { ImportRowCode } from '../core/error-codes.ts';
import { decodeEvent } from '../ingest/decode-event.ts';
import type { BatchOutcome, EventBatch, ImportSink, RowStatus } from '../import/run-import.ts';
import { TargetError } from './target-error.ts';

export interface RemoteSinkOptions {
  url: string;
  key: string | null;
  siteCode: string;
  batchRows: number;
  concurrency: number;
  /** Attempts per batch before the import gives up (5xx, 429, network errors). */
  attempts?: number;
  /** First retry delay; each next one doubles, up to 30 s, with jitter. */
  retryDelayMs?: number;
}

// The line format decodes leniently (a `+` is a `+`, UTF-8 may be sent as is): only what would
// split a line or a parameter, or read as an escape, needs escaping. Most values have none of it.
const SPECIAL = /[%&\r\n=]/;
const SPECIAL_ALL = /[%&\r\n=]/g;
const escapeOne = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
const escapeText = (text: string) => (SPECIAL.test(text) ? text.replace(SPECIAL_ALL, escapeOne) : text);

/** One event as a line of the line format: the body POST /visit/events reads by default. */
export function toLine(fields: Record<string, unknown>): string {
  let line = '';
  for (const name in fields) {
    const value = fields[name];
    if (value === undefined || value === null) continue;
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    line += `${line === '' ? '' : '&'}${escapeText(name)}=${escapeText(text)}`;
  }
  return line;
}

interface Verdict {
  line?: number;
  status: RowStatus;
  code?: ImportRowCode;
  message?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Batches to a running server as line-format bodies of POST /visit/events with verdicts (and
 * dryRun for dry runs). Rows the server would refuse for their own sake are refused here first by
 * the same decoder (the site's late-event horizon is the server's to judge). A batch that fails
 * for the server's or the network's sake is sent again, with the same nonces, so a retry never
 * stores anything twice.
 */
export function remoteSink(options: RemoteSinkOptions): ImportSink {
  const attempts = options.attempts ?? 8;
  const firstDelay = options.retryDelayMs ?? 500;
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', 'user-agent': 'anole-import' };
  if (options.key) headers.authorization = `Bearer ${options.key}`;

  async function post(body: string, dryRun: boolean): Promise<Verdict[] | { rejectedAll: Verdict[] }> {
    const query = new URLSearchParams({ siteCode: options.siteCode, verdicts: 'true' });
    if (dryRun) query.set('dryRun', 'true');
    const url = `${options.url}/visit/events?${query.toString()}`;
    let lastProblem = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', headers, body });
      } catch (error) {
        lastProblem = `${options.url} cannot be reached: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`;
        await sleep(backoff(attempt));
        continue;
      }
      if (response.ok) {
        const report = (await response.json()) as { events: Verdict[] };
        return report.events;
      }
      const text = await response.text();
      const answer = parseError(text);
      if (response.status === 401 || response.status === 403) {
        throw new TargetError('unauthorized', `${options.url} refused the key (${response.status} ${answer.code ?? ''}): ${answer.message ?? text.slice(0, 200)}; pass --key or set ANOLE_KEY`);
      }
      if (response.status === 429 || response.status >= 500) {
        lastProblem = `${options.url} answered ${response.status}${answer.code ? ` ${answer.code}` : ''}: ${answer.message ?? text.slice(0, 200)}`;
        const retryAfter = Number(response.headers.get('retry-after'));
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 60_000) : backoff(attempt));
        continue;
      }
      // A body whose every line is refused may be answered 400 with the reasons, line by line.
      if (response.status === 400 && Array.isArray(answer.errors)) return { rejectedAll: answer.errors as Verdict[] };
      throw new TargetError('refused', `${options.url} refused a batch (${response.status} ${answer.code ?? ''}): ${answer.message ?? text.slice(0, 200)}`);
    }
    throw new TargetError('unreachable', `${lastProblem} (gave up after ${attempts} attempts)`);
  }

  function backoff(attempt: number): number {
    const base = Math.min(firstDelay * 2 ** (attempt - 1), 30_000);
    return base / 2 + Math.random() * (base / 2);
  }

  return {
    batchRows: options.batchRows,
    concurrency: options.concurrency,
    async send(batch: EventBatch): Promise<BatchOutcome> {
      const outcome: BatchOutcome = { accepted: 0, duplicate: 0, rejections: new Map(), statuses: new Array<RowStatus>(batch.events.length).fill('rejected') };
      // Local validation first: no horizon here (the server knows the site's), the clock is ours.
      const ctx = { queryIdentity: null, receivedAt: Date.now(), lateHorizonMs: Number.POSITIVE_INFINITY, itp: false, sdk: null };
      const sent: number[] = [];
      const lines: string[] = [];
      for (let i = 0; i < batch.events.length; i++) {
        const decoded = decodeEvent(batch.events[i]!, ctx);
        if (!decoded.ok) {
          outcome.rejections.set(i, decoded.rejection);
          continue;
        }
        sent.push(i);
        lines.push(toLine(batch.events[i]!));
      }
      if (lines.length > 0) {
        const answer = await post(lines.join('\n'), batch.dryRun);
        const verdicts = Array.isArray(answer) ? answer : answer.rejectedAll.map((v) => ({ ...v, status: 'rejected' as const }));
        // Lines the answer does not name (an all-rejected answer lists only the rejected) keep 'rejected'.
        for (const verdict of verdicts) {
          if (verdict.line === undefined) continue;
          const index = sent[verdict.line - 1];
          if (index === undefined) continue;
          outcome.statuses![index] = verdict.status;
          if (verdict.status === 'rejected') outcome.rejections.set(index, { code: verdict.code ?? 'invalid_field', message: verdict.message ?? 'rejected by the server' });
        }
      }
      for (const status of outcome.statuses!) {
        if (status === 'accepted') outcome.accepted += 1;
        else if (status === 'duplicate') outcome.duplicate += 1;
      }
      for (let i = 0; i < outcome.statuses!.length; i++) {
        if (outcome.statuses![i] === 'rejected' && !outcome.rejections.has(i)) outcome.rejections.set(i, { code: 'invalid_field', message: 'the server gave no verdict for this row' });
      }
      if (!batch.dryRun) delete outcome.statuses;
      return outcome;
    },
  };
}

function parseError(text: string): { code?: string; message?: string; errors?: unknown } {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as { code?: string; message?: string; errors?: unknown }) : {};
  } catch {
    return {};
  }
}
