import type { EventRejectionCode } from '../core/error-codes.ts';
import { eventTime } from '../core/event-time.ts';
import type { EventType, Identity, SdkInfo, VisitorEvent } from '../core/events.ts';
import { LIMITS } from '../core/limits.ts';
import { EVENT_SPECS, eventTypeOf, type FieldSpec } from './event-specs.ts';
import { bool, identifier, integer, isAbsent } from './field-decoders.ts';
import { scalarKind, stringValueRefusal, stringValueWarning, type EventWarning } from './event-warnings.ts';
import { unknownFields } from './unknown-fields.ts';

/** What the request says about all its events. */
export interface DecodeContext {
  /** The query's visitorCode or mappingValue, used by events that carry neither. */
  queryIdentity: Identity | null;
  receivedAt: number;
  lateHorizonMs: number;
  itp: boolean;
  sdk: SdkInfo | null;
  /** Where the raw events come from: line-format SDK extras pass silently there. Default 'lines'. */
  format?: 'lines' | 'json';
  /** strict=true: an event with a field its type does not read is rejected instead of warned about. */
  strict?: boolean;
  /** Named in messages that say how to fix a site setting. */
  siteCode?: string;
}

export interface Rejection {
  code: EventRejectionCode;
  message: string;
}

/**
 * `warnings`: fields the event carried that were ignored, and (JSON) numbers or booleans sent as
 * strings (absent when there are none); `ignoredFields` counts the ignored fields, `stringValues` the strings.
 */
export type DecodeResult =
  | { ok: true; event: VisitorEvent; warnings?: EventWarning[]; ignoredFields?: number; stringValues?: number }
  | { ok: false; rejection: Rejection; warnings?: EventWarning[] };

const reject = (code: EventRejectionCode, message: string, warnings?: EventWarning[]): DecodeResult =>
  warnings ? { ok: false, rejection: { code, message }, warnings } : { ok: false, rejection: { code, message } };

const DAY = 86_400_000;
const SUPPORTED_TYPES = Object.keys(EVENT_SPECS).join(', ');
const isoTime = (ms: number) => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));

/** An unknown event type, with the supported ones and the closest spelling when there is one. */
function unknownTypeMessage(raw: unknown): string {
  // Never stringify a non-string: a deeply nested array would overflow the stack.
  if (typeof raw !== 'string') return `eventType must be a string, not ${Array.isArray(raw) ? 'an array' : typeof raw}; use one of ${SUPPORTED_TYPES}`;
  const letters = raw.toLowerCase().replace(/[^a-z]/g, '');
  const meant = Object.keys(EVENT_SPECS).find((t) => t.toLowerCase() === letters);
  return `eventType ${JSON.stringify(raw.slice(0, 80))} is not supported${meant ? `; did you mean ${meant}?` : ''} Supported (any case): ${SUPPORTED_TYPES}`;
}

/** Why a supplied time was refused, and what to change. */
function timeMessage(supplied: number, verdict: Extract<ReturnType<typeof eventTime>, { ok: false }>, ctx: DecodeContext): string {
  if (verdict.problem === 'too_far_ahead') {
    return `time ${supplied} (${isoTime(supplied)}) is more than ${LIMITS.futureSkewMs / 60_000} minutes in the future (the server's clock says ${isoTime(ctx.receivedAt)})`;
  }
  const seconds = verdict.looksLikeSeconds ? '; time is in epoch milliseconds and this looks like seconds (multiply by 1000)' : '';
  const neededDays = Math.ceil((ctx.receivedAt - supplied) / DAY);
  const site = ctx.siteCode ?? '{siteCode}';
  const raise =
    neededDays * DAY <= LIMITS.maxLateEventHorizonMs
      ? `to accept it, raise the site's lateEventHorizonMs (now ${ctx.lateHorizonMs}) with PATCH /api/sites/${site} {"lateEventHorizonMs": ${neededDays * DAY}} (${neededDays} days)`
      : `the horizon can be raised to at most ${LIMITS.maxLateEventHorizonMs / DAY} days (lateEventHorizonMs, PATCH /api/sites/${site})`;
  return (
    `time ${supplied} (${isoTime(supplied)}) is older than the late-event horizon of ${Math.round(ctx.lateHorizonMs / DAY)} days: ` +
    `events before ${isoTime(verdict.cutoff)} are refused${seconds}; ${raise}`
  );
}

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
  /** A number or boolean field: a JSON string there gets a warning (strict=true: string_value). */
  scalar: 'number' | 'boolean' | null;
}
const FIELD_PLANS = Object.fromEntries(
  Object.entries(EVENT_SPECS).map(([type, spec]) => [
    type,
    Object.entries(spec.fields).map(([name, field]): FieldPlan => ({ ...field, name, aliases: field.aliases ?? [], scalar: scalarKind(field.doc.type) })),
  ]),
) as Record<EventType, FieldPlan[]>;
const identityText = identifier(LIMITS.identityLength);
const epochMs = integer(0, Number.MAX_SAFE_INTEGER);

const IDENTITY_KINDS = ['visitorCode', 'mappingValue'] as const;

/** Reads the event's own identity, else the query's: `visitorCode` wins over `mappingValue`. */
function identityOf(raw: Record<string, unknown>, ctx: DecodeContext): Identity | Rejection {
  for (const kind of IDENTITY_KINDS) {
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
  if (isAbsent(raw.eventType)) {
    const guess = Object.keys(raw).find((k) => k.toLowerCase() === 'eventtype' || k.toLowerCase() === 'type');
    return reject('missing_event_type', guess ? `eventType is required (\`${guess.slice(0, 64)}\` was sent; field names are case-sensitive)` : 'eventType is required');
  }
  const type = typeof raw.eventType === 'string' ? eventTypeOf(raw.eventType) : undefined;
  if (!type) return reject('unknown_event_type', unknownTypeMessage(raw.eventType));

  const unknown = unknownFields(type, raw, ctx.format !== 'json');
  if (unknown && ctx.strict) {
    const others = unknown.count - 1;
    const more = others > 0 ? ` (and ${others} more unknown field${others > 1 ? 's' : ''})` : '';
    return reject('unknown_field', `strict=true: ${unknown.warnings[0]!.message.replace(' and was ignored', '')}${more}`, unknown.warnings);
  }
  // A plain object and a module function rather than a closure over locals: this runs for every event.
  const gathered: Gathered = { warnings: unknown?.warnings, stringValues: 0 };

  if (isAbsent(raw.nonce)) return reject('missing_nonce', hinted('nonce is required', 'nonce', gathered.warnings), gathered.warnings);
  if (typeof raw.nonce !== 'string' || !isNonce(raw.nonce)) return reject('invalid_nonce', 'nonce must be 16 hexadecimal characters', gathered.warnings);

  const identity = identityOf(raw, ctx);
  if ('code' in identity) return { ok: false, rejection: { ...identity, message: hinted(identity.message, 'visitorCode', gathered.warnings) }, ...(gathered.warnings ? { warnings: gathered.warnings } : {}) };

  let supplied: number | undefined;
  if (!isAbsent(raw.time)) {
    const t = epochMs(raw.time);
    if (!t.ok) return reject('invalid_field', `time ${t.reason} (epoch milliseconds)`, gathered.warnings);
    const refused = stringly(gathered, ctx, type, 'time', 'number', raw.time, t.value);
    if (refused) return reject('string_value', refused, gathered.warnings);
    supplied = t.value;
  }
  const time = eventTime(supplied, ctx.receivedAt, ctx.lateHorizonMs);
  if (!time.ok) return reject('time_out_of_range', timeMessage(supplied!, time, ctx), gathered.warnings);

  const spec = EVENT_SPECS[type];
  const plans = FIELD_PLANS[type];
  const fields: Record<string, unknown> = {};
  for (let f = 0; f < plans.length; f++) {
    const field = plans[f]!;
    let value = raw[field.name];
    for (let a = 0; a < field.aliases.length && isAbsent(value); a++) value = raw[field.aliases[a]!];
    if (isAbsent(value)) {
      if (field.required) return reject('missing_field', hinted(`${type}: ${field.name} is required`, field.name, gathered.warnings), gathered.warnings);
      const fallback = field.fallback;
      if (fallback !== undefined) fields[field.name] = typeof fallback === 'function' ? fallback() : fallback;
      continue;
    }
    const decoded = field.decode(value);
    if (!decoded.ok) return reject('invalid_field', `${type}: ${field.name} ${decoded.reason}`, gathered.warnings);
    if (field.scalar) {
      const refused = stringly(gathered, ctx, type, field.name, field.scalar, value, decoded.value);
      if (refused) return reject('string_value', refused, gathered.warnings);
    }
    fields[field.name] = decoded.value;
  }
  const data = spec.finish ? spec.finish(fields) : fields;
  if (data && typeof data === 'object' && 'problem' in data && typeof data.problem === 'string') {
    return reject('invalid_field', `${type}: ${data.problem}`, gathered.warnings);
  }

  let itp = ctx.itp;
  if (!isAbsent(raw.itp)) {
    const decoded = bool(raw.itp);
    if (decoded.ok) {
      const refused = stringly(gathered, ctx, type, 'itp', 'boolean', raw.itp, decoded.value);
      if (refused) return reject('string_value', refused, gathered.warnings);
      itp = decoded.value;
    }
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
  const { warnings, stringValues } = gathered;
  if (!warnings) return { ok: true, event };
  return { ok: true, event, warnings, ...(unknown ? { ignoredFields: unknown.count } : {}), ...(stringValues > 0 ? { stringValues } : {}) };
}

/** Warnings and JSON string values met while one event is decoded. */
interface Gathered {
  warnings: EventWarning[] | undefined;
  stringValues: number;
}

/** A JSON string where a number or boolean belongs: a warning, or with strict=true the refusal's message. */
function stringly(gathered: Gathered, ctx: DecodeContext, type: EventType, field: string, kind: 'number' | 'boolean', sent: unknown, value: unknown): string | null {
  if (ctx.format !== 'json' || typeof sent !== 'string') return null;
  if (ctx.strict) return stringValueRefusal(type, field, kind, sent);
  (gathered.warnings ??= []).push(stringValueWarning(type, field, kind, sent, value));
  gathered.stringValues += 1;
  return null;
}

/** A missing field's message, with the ignored field that was most likely meant for it. */
function hinted(message: string, field: string, warnings: EventWarning[] | undefined): string {
  const meant = warnings?.find((w) => w.code === 'unknown_field' && w.suggestion === field);
  if (meant?.code !== 'unknown_field') return message;
  return `${message} (\`${meant.field}\` was sent: ${meant.suggestion!.toLowerCase() === meant.field.toLowerCase() ? 'field names are case-sensitive' : `did you mean \`${field}\`?`})`;
}
