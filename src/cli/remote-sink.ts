import type { ImportRowCode } from '../core/error-codes.ts';
import { LIMITS } from '../core/limits.ts';
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
    // A number or a boolean spells nothing that needs escaping: most of an import's values.
    const text = typeof value === 'number' || typeof value === 'boolean' ? String(value) : escapeText(typeof value === 'object' ? JSON.stringify(value) : String(value));
    line += `${line === '' ? '' : '&'}${escapeText(name)}=${text}`;
  }
  return line;
}

interface Verdict {
  line?: number;
  status: RowStatus;
  code?: ImportRowCode;
  message?: string;
}

/** answer=counts (and a 400 invalid_events, whose body is the rejected lines alone). */
interface CountsAnswer {
  stored: number;
  duplicate: number;
  errors: Verdict[];
  /** Every rejected line, listed or not: by code, and where ("2-5,9"). */
  rejections?: { byCode: Record<string, number>; lines?: string };
}

/** What the server answered for a body of lines. */
type Answer = { verdicts: Verdict[] } | { counts: CountsAnswer };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The line numbers of a rejections list ("2-5,9"), of a body of `count` lines: nothing past them is read. */
export function linesOf(ranges: string, count: number): number[] {
  const lines: number[] = [];
  for (const part of ranges.split(',')) {
    const [from, to = from] = part.split('-').map(Number) as [number, number?];
    if (!Number.isInteger(from) || !Number.isInteger(to)) continue;
    for (let line = Math.max(1, from); line <= Math.min(to!, count); line++) lines.push(line);
  }
  return lines;
}

/**
 * Batches to a running server as line-format bodies of POST /visit/events. An import asks for
 * counts (answer=counts: stored, duplicate, and the rejected lines alone), so neither side builds
 * or reads a verdict per row; a dry run asks for every verdict, because a row repeated within the
 * file is found from them. The server validates every row; the reasons of its rejections past the
 * first 1,000 an answer lists are asked for with a dry run of those rows. A batch that fails
 * for the server's or the network's sake is sent again, with the same nonces, so a retry never
 * stores anything twice.
 */
export function remoteSink(options: RemoteSinkOptions): ImportSink {
  const attempts = options.attempts ?? 8;
  const firstDelay = options.retryDelayMs ?? 500;
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', 'user-agent': 'anole-import' };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const url = (query: Record<string, string>) => `${options.url}/visit/events?${new URLSearchParams({ siteCode: options.siteCode, ...query }).toString()}`;
  const countsUrl = url({ answer: 'counts' });
  const dryRunUrl = url({ dryRun: 'true' });

  async function post(body: string, dryRun: boolean): Promise<Answer> {
    let lastProblem = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let response: Response;
      try {
        response = await fetch(dryRun ? dryRunUrl : countsUrl, { method: 'POST', headers, body });
      } catch (error) {
        lastProblem = `${options.url} cannot be reached: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`;
        await sleep(backoff(attempt));
        continue;
      }
      if (response.ok) {
        const answer = (await response.json()) as { events?: Verdict[] } & CountsAnswer;
        return dryRun ? { verdicts: answer.events ?? [] } : { counts: answer };
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
      // A body whose every line is refused is answered 400 with the reasons, like a counts answer's.
      if (response.status === 400 && answer.code === 'invalid_events' && Array.isArray(answer.errors)) {
        return { counts: { stored: 0, duplicate: 0, errors: answer.errors as Verdict[], ...(answer.rejections ? { rejections: answer.rejections as CountsAnswer['rejections'] } : {}) } };
      }
      throw new TargetError('refused', `${options.url} refused a batch (${response.status} ${answer.code ?? ''}): ${answer.message ?? text.slice(0, 200)}`);
    }
    throw new TargetError('unreachable', `${lastProblem} (gave up after ${attempts} attempts)`);
  }

  function backoff(attempt: number): number {
    const base = Math.min(firstDelay * 2 ** (attempt - 1), 30_000);
    return base / 2 + Math.random() * (base / 2);
  }

  /**
   * The reasons of rejected lines a counts answer located but did not list (past its first 1,000):
   * those lines were not stored, so a dry run of them alone says why, storing nothing.
   */
  async function reasonsOf(lines: string[], rejectedLines: number[]): Promise<Map<number, Verdict>> {
    const reasons = new Map<number, Verdict>();
    // An answer lists LIMITS.listedRejections rejections whole: ask for no more at once.
    for (let from = 0; from < rejectedLines.length; from += LIMITS.listedRejections) {
      const chunk = rejectedLines.slice(from, from + LIMITS.listedRejections);
      const answer = await post(chunk.map((line) => lines[line - 1]!).join('\n'), true);
      const verdicts = 'verdicts' in answer ? answer.verdicts : answer.counts.errors;
      for (const verdict of verdicts) {
        if (verdict.status === 'rejected' && verdict.line !== undefined && chunk[verdict.line - 1] !== undefined) reasons.set(chunk[verdict.line - 1]!, verdict);
      }
    }
    return reasons;
  }

  return {
    batchRows: options.batchRows,
    concurrency: options.concurrency,
    async send(batch: EventBatch): Promise<BatchOutcome> {
      const outcome: BatchOutcome = { accepted: 0, duplicate: 0, rejections: new Map() };
      // Every row goes to the server, which validates it (the horizon is the site's): the same
      // decoder run here first would cost this process as much again for rows that are valid.
      const lines = batch.events.map(toLine);
      if (batch.dryRun) outcome.statuses = batch.events.map(() => 'rejected');
      if (lines.length === 0) return outcome;
      const answer = await post(lines.join('\n'), batch.dryRun);
      // Line n of the body is the batch's event n - 1.
      const reject = (line: number, verdict: Verdict | undefined, code?: string) => {
        const index = line - 1;
        if (index < 0 || index >= lines.length) return;
        outcome.rejections.set(index, {
          code: verdict?.code ?? (code as ImportRowCode | undefined) ?? 'invalid_field',
          message: verdict?.message ?? 'rejected by the server, which gave no reason for this row',
        });
      };
      if ('verdicts' in answer) {
        // Lines the answer does not name keep 'rejected'.
        for (const verdict of answer.verdicts) {
          if (verdict.line === undefined || verdict.line < 1 || verdict.line > lines.length) continue;
          outcome.statuses![verdict.line - 1] = verdict.status;
          if (verdict.status === 'rejected') reject(verdict.line, verdict);
          else if (verdict.status === 'accepted') outcome.accepted += 1;
          else outcome.duplicate += 1;
        }
        for (let n = 1; n <= lines.length; n++) if (!outcome.rejections.has(n - 1) && outcome.statuses![n - 1] === 'rejected') reject(n, undefined);
        return outcome;
      }
      const { counts } = answer;
      outcome.accepted = counts.stored;
      outcome.duplicate = counts.duplicate;
      const listed = new Map<number, Verdict>();
      for (const verdict of counts.errors) if (verdict.line !== undefined) listed.set(verdict.line, verdict);
      const rejectedLines = counts.rejections?.lines !== undefined ? linesOf(counts.rejections.lines, lines.length) : [...listed.keys()];
      const unlisted = rejectedLines.filter((line) => !listed.has(line));
      const reasons = unlisted.length > 0 ? await reasonsOf(lines, unlisted) : new Map<number, Verdict>();
      // A line the dry run no longer rejects (a limit met only at commit) keeps the code the counts name, when they name one.
      const codes = Object.keys(counts.rejections?.byCode ?? {});
      for (const line of rejectedLines) reject(line, listed.get(line) ?? reasons.get(line), codes.length === 1 ? codes[0] : undefined);
      return outcome;
    },
  };
}

function parseError(text: string): { code?: string; message?: string; errors?: unknown; rejections?: unknown } {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as { code?: string; message?: string; errors?: unknown; rejections?: unknown }) : {};
  } catch {
    return {};
  }
}
