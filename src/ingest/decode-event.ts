import type { EventRejectionCode } from '../core/error-codes.ts';
import { eventTime } from '../core/event-time.ts';
import type { Identity, SdkInfo, VisitorEvent } from '../core/events.ts';
import { LIMITS } from '../core/limits.ts';
import { EVENT_SPECS, eventTypeOf } from './event-specs.ts';
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

const NONCE = /^[0-9a-fA-F]{16}$/;
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
  if (typeof raw.nonce !== 'string' || !NONCE.test(raw.nonce)) return reject('invalid_nonce', 'nonce must be 16 hexadecimal characters');

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
  const fields: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(spec.fields)) {
    let value = raw[name];
    for (const alias of field.aliases ?? []) if (isAbsent(value)) value = raw[alias];
    if (isAbsent(value)) {
      if (field.required) return reject('missing_field', `${type}: ${name} is required`);
      if (field.fallback !== undefined) fields[name] = structuredClone(field.fallback);
      continue;
    }
    const decoded = field.decode(value);
    if (!decoded.ok) return reject('invalid_field', `${type}: ${name} ${decoded.reason}`);
    fields[name] = decoded.value;
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
