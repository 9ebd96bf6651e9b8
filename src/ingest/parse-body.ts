import { AnoleError } from '../core/error-codes.ts';
import { LIMITS } from '../core/limits.ts';
import { parseLine, splitLines } from './line-format.ts';

/** One raw event and where it stood in the body: a 1-based line, or a 0-based array index. */
export interface RawEvent {
  position: { line: number } | { index: number };
  /** The parsed parameters, or null when the item cannot be an event at all. */
  fields: Record<string, unknown> | null;
  /** Why `fields` is null. */
  problem?: 'line_too_long' | 'invalid_event';
}

function checkCount(count: number): void {
  if (count > LIMITS.eventsPerRequest) {
    throw new AnoleError('too_many_events', `the body holds ${count} events; one request may carry at most ${LIMITS.eventsPerRequest}`);
  }
}

/** The default format: one event per line, each line a query string. */
export function parseLineBody(body: string): RawEvent[] {
  const lines = splitLines(body);
  checkCount(lines.length);
  return lines.map(({ line, text }) =>
    text.length > LIMITS.lineLength
      ? { position: { line }, fields: null, problem: 'line_too_long' }
      : { position: { line }, fields: parseLine(text) },
  );
}

/**
 * The format a body is read in. A line-format line starts with a parameter name, never with `[`,
 * so a body whose first non-blank character is `[` is a JSON array whatever the query names: a
 * client that forgot json=true gets its events stored (or a 400 that says why), not a silent 204.
 */
export function bodyFormat(named: 'lines' | 'json', body: string): 'lines' | 'json' {
  if (named === 'json') return 'json';
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    // JSON's whitespace: space, tab, LF, CR.
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    return c === 0x5b ? 'json' : 'lines';
  }
  return 'lines';
}

/** `json=true` (or a body starting with `[`): a JSON array of event objects. */
export function parseJsonBody(body: string, options: { named: boolean } = { named: true }): RawEvent[] {
  // An empty body carries no events in either format (clients flush with nothing to send).
  if (body.trim() === '') return [];
  const why = options.named ? 'json=true' : 'the body starts with "[" (so it is read as JSON whatever json says)';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new AnoleError('invalid_body', `${why} but the body is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new AnoleError('invalid_body', `${why}: the body must be a JSON array of event objects, e.g. [{"eventType":"conversion","goalId":1,"nonce":"0123456789abcdef"}]`);
  checkCount(parsed.length);
  return parsed.map((item: unknown, index) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? { position: { index }, fields: item as Record<string, unknown> }
      : { position: { index }, fields: null, problem: 'invalid_event' },
  );
}
