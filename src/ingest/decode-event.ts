import type { EventRejectionCode } from '../core/error-codes.ts';
import { eventTime } from '../core/event-time.ts';
import type { EventType, Identity, SdkInfo, VisitorEvent } from '../core/events.ts';
import { LIMITS } from '../core/limits.ts';
import { EVENT_SPECS, eventTypeOf, type FieldSpec } from './event-specs.ts';
import { bool, integer, isAbsent, text } from './field-decoders.ts';

/** What the request says about all its events. */
export interface DecodeContext {
  /** The query's visitorCode or mappingValue, used by events that carry neither. */
  queryIdentity: Identity | null;
  receivedAt: number;
  lateHorizonMs: number;
  itp: boolean;
  sdk: SdkInfo | null;
}

export interface Rejection {
  code: EventRejectionCode;
  message: string;
}

export type DecodeResult = { ok: true; event: VisitorEvent } | { ok: false; rejection: Rejection };

const reject = (code: EventRejectionCode, message: string): DecodeResult => ({ ok: false, rejection: { code, message } });

/** 16 hexadecimal characters; a character scan, as this runs for every event. */
function isNonce(s: string): boolean {
  if (s.length !== 16) return false;
  for (let i = 0; i < 16; i++) {
    const c = s.charCodeAt(i);
    const lower = c | 0x20; // folds A-F onto a-f
    if (!((c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66))) return false;
  }
  return true;
}

/** A spec's fields as a list, read once at start-up instead of per event. */
interface FieldPlan extends FieldSpec {
  name: string;
  aliases: readonly string[];
}
const FIELD_PLANS = Object.fromEntries(
  Object.entries(EVENT_SPECS).map(([type, spec]) => [
    type,
    Object.entries(spec.fields).map(([name, field]): FieldPlan => ({ ...field, name, aliases: field.aliases ?? [] })),
  ]),
) as Record<EventType, FieldPlan[]>;
const identityText = text(LIMITS.identityLength);
const epochMs = integer(0, Number.MAX_SAFE_INTEGER);

/** Reads the event's own identity, else the query's: `visitorCode` wins over `mappingValue`. */
function identityOf(raw: Record<string, unknown>, ctx: DecodeContext): Identity | Rejection {
  for (const kind of ['visitorCode', 'mappingValue'] as const) {
    const value = raw[kind];
    if (value === undefined || value === null) continue;
    const decoded = identityText(value);
    if (!decoded.ok || decoded.value === '') {
      return { code: 'invalid_identity', message: `${kind} ${decoded.ok ? 'must not be empty' : decoded.reason}` };
    }
    return { kind, value: decoded.value };
  }
  const query = ctx.queryIdentity;
  if (!query) return { code: 'missing_identity', message: 'neither the event nor the query gives a visitorCode or mappingValue' };
  // The query's identity is client input too (the HTTP schema checks only its length).
  const decoded = identityText(query.value);
  if (!decoded.ok || decoded.value === '') {
    return { code: 'invalid_identity', message: `query ${query.kind} ${decoded.ok ? 'must not be empty' : decoded.reason}` };
  }
  return query;
}

/**
 * Turns one raw event (a parsed line, or one object of a JSON body) into a validated event, or the
 * first reason it is rejected. Pure: the receive time comes from the context.
 */
export function decodeEvent(raw: Record<string, unknown>, ctx: DecodeContext): DecodeResult {
  if (isAbsent(raw.eventType)) return reject('missing_event_type', 'eventType is required');
  const type = typeof raw.eventType === 'string' ? eventTypeOf(raw.eventType) : undefined;
  if (!type) {
    // Never stringify a non-string: a deeply nested array would overflow the stack.
    const shown = typeof raw.eventType === 'string' ? JSON.stringify(raw.eventType.slice(0, 80)) : `of type ${Array.isArray(raw.eventType) ? 'array' : typeof raw.eventType}`;
    return reject('unknown_event_type', `eventType ${shown} is not supported`);
  }

  if (isAbsent(raw.nonce)) return reject('missing_nonce', 'nonce is required');
  if (typeof raw.nonce !== 'string' || !isNonce(raw.nonce)) return reject('invalid_nonce', 'nonce must be 16 hexadecimal characters');

  const identity = identityOf(raw, ctx);
  if ('code' in identity) return { ok: false, rejection: identity };

  let supplied: number | undefined;
  if (!isAbsent(raw.time)) {
    const t = epochMs(raw.time);
    if (!t.ok) return reject('invalid_field', `time ${t.reason} (epoch milliseconds)`);
    supplied = t.value;
  }
  const time = eventTime(supplied, ctx.receivedAt, ctx.lateHorizonMs);
  if (!time.ok) return reject('time_out_of_range', time.message);

  const spec = EVENT_SPECS[type];
  const plans = FIELD_PLANS[type];
  const fields: Record<string, unknown> = {};
  for (let f = 0; f < plans.length; f++) {
    const field = plans[f]!;
    let value = raw[field.name];
    for (let a = 0; a < field.aliases.length && isAbsent(value); a++) value = raw[field.aliases[a]!];
    if (isAbsent(value)) {
      if (field.required) return reject('missing_field', `${type}: ${field.name} is required`);
      const fallback = field.fallback;
      if (fallback !== undefined) fields[field.name] = typeof fallback === 'function' ? fallback() : fallback;
      continue;
    }
    const decoded = field.decode(value);
    if (!decoded.ok) return reject('invalid_field', `${type}: ${field.name} ${decoded.reason}`);
    fields[field.name] = decoded.value;
  }
  const data = spec.finish ? spec.finish(fields) : fields;
  if (data && typeof data === 'object' && 'problem' in data && typeof data.problem === 'string') {
    return reject('invalid_field', `${type}: ${data.problem}`);
  }

  let itp = ctx.itp;
  if (!isAbsent(raw.itp)) {
    const decoded = bool(raw.itp);
    if (decoded.ok) itp = decoded.value;
  }
  const event = {
    type,
    data,
    identity,
    nonce: raw.nonce.toLowerCase(),
    time: time.time,
    receivedAt: ctx.receivedAt,
    itp,
    sdk: ctx.sdk,
  } as VisitorEvent;
  return { ok: true, event };
}
