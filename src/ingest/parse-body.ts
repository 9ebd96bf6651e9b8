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

/** `json=true`: a JSON array of event objects. */
export function parseJsonBody(body: string): RawEvent[] {
  // An empty body carries no events in either format (clients flush with nothing to send).
  if (body.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new AnoleError('invalid_body', `json=true but the body is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new AnoleError('invalid_body', 'json=true needs a JSON array of events');
  checkCount(parsed.length);
  return parsed.map((item: unknown, index) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? { position: { index }, fields: item as Record<string, unknown> }
      : { position: { index }, fields: null, problem: 'invalid_event' },
  );
}
