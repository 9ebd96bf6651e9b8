import { identifierProblem } from '../core/identifiers.ts';
import { LIMITS } from '../core/limits.ts';

/**
 * Decoders for one field of an event. The line format carries every value as a string, the JSON
 * format as a JSON value (or, for structured values, a JSON-encoded string): each decoder accepts
 * both and answers the typed value or the reason it cannot.
 */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };
export type Decoder<T> = (raw: unknown) => Decoded<T>;

const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
const fail = (reason: string): Decoded<never> => ({ ok: false, reason });

/** Absent, null and (in the line format) empty values all mean "not given". */
export function isAbsent(raw: unknown): boolean {
  return raw === undefined || raw === null || raw === '';
}

const NUMBER_TOO_LONG = Symbol('numberTooLong');
const tooLong = (): Decoded<never> => fail(`must be a number of at most ${LIMITS.numberLength} characters`);

/**
 * A number as sent, or null when it is not one, or NUMBER_TOO_LONG. The length is checked before
 * anything reads the characters, and the spelling is then scanned once: a backtracking pattern
 * over a long run of digits followed by a non-digit would hold the event loop for seconds.
 */
function toNumber(raw: unknown): number | null | typeof NUMBER_TOO_LONG {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string') return null;
  if (raw.length > LIMITS.numberLength) return NUMBER_TOO_LONG;
  if (isDigits(raw)) return Number(raw); // the common case (ids, indices)
  return isDecimal(raw.trim()) ? Number(raw) : null;
}

/** 1 to 15 decimal digits: always an exact, safe integer. */
function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Index of the first non-digit at or after `i`. */
function skipDigits(s: string, i: number): number {
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  return i;
}

/** `[+-]?(digits[.digits?] | .digits)([eE][+-]?digits)?` by one left-to-right scan. */
function isDecimal(s: string): boolean {
  let i = s[0] === '+' || s[0] === '-' ? 1 : 0;
  const integerEnd = skipDigits(s, i);
  let mantissaDigits = integerEnd - i;
  i = integerEnd;
  if (s[i] === '.') {
    const fractionEnd = skipDigits(s, i + 1);
    mantissaDigits += fractionEnd - (i + 1);
    i = fractionEnd;
  }
  if (mantissaDigits === 0) return false;
  if (s[i] === 'e' || s[i] === 'E') {
    i++;
    if (s[i] === '+' || s[i] === '-') i++;
    const exponentEnd = skipDigits(s, i);
    if (exponentEnd === i) return false;
    i = exponentEnd;
  }
  return i === s.length;
}

export const id: Decoder<number> = (raw) => {
  const n = toNumber(raw);
  if (n === NUMBER_TOO_LONG) return tooLong();
  if (n === null || !Number.isInteger(n)) return fail('must be an integer');
  if (n < 0 || n > LIMITS.maxId) return fail(`must be between 0 and ${LIMITS.maxId}`);
  return ok(n);
};

export function integer(min: number, max: number): Decoder<number> {
  return (raw) => {
    const n = toNumber(raw);
    if (n === NUMBER_TOO_LONG) return tooLong();
    if (n === null || !Number.isSafeInteger(n)) return fail('must be an integer');
    if (n < min || n > max) return fail(`must be between ${min} and ${max}`);
    return ok(n);
  };
}

export function finite(min: number, max: number): Decoder<number> {
  return (raw) => {
    const n = toNumber(raw);
    if (n === NUMBER_TOO_LONG) return tooLong();
    if (n === null || !Number.isFinite(n)) return fail('must be a finite number');
    if (n < min || n > max) return fail(`must be between ${min} and ${max}`);
    return ok(n);
  };
}

export const bool: Decoder<boolean> = (raw) => {
  if (typeof raw === 'boolean') return ok(raw);
  if (typeof raw === 'string') {
    const s = raw.toLowerCase();
    if (s === 'true' || s === '1') return ok(true);
    if (s === 'false' || s === '0') return ok(false);
  }
  return fail('must be true or false');
};

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** A surrogate not paired (JSON can spell one as \ud800); storage would silently turn it into U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/u;
/** Any character either check above could refuse: most texts have none, and one scan clears them. */
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000-\u001F\u007F\uD800-\uDFFF]/;

export function text(maxLength: number): Decoder<string> {
  return (raw) => {
    const s = typeof raw === 'number' ? String(raw) : raw;
    if (typeof s !== 'string') return fail('must be a string');
    if (s.length > maxLength) return fail(`must be at most ${maxLength} characters`);
    if (!SUSPECT.test(s)) return ok(s);
    if (CONTROL.test(s)) return fail('must not contain control characters');
    if (LONE_SURROGATE.test(s)) return fail('must be well-formed Unicode (no lone surrogates)');
    return ok(s);
  };
}

/** Visitor codes and mapping values: the one identifier rule of core/identifiers.ts (numbers read as text). */
export function identifier(maxLength: number): Decoder<string> {
  return (raw) => {
    const s = typeof raw === 'number' ? String(raw) : raw;
    if (typeof s !== 'string') return fail('must be a string');
    const problem = identifierProblem(s, maxLength);
    return problem === null ? ok(s) : fail(problem);
  };
}

/**
 * Structured values: a JSON value, or the same value JSON-encoded in a string (line format). The
 * string is capped at a line's length before it is parsed: a JSON body may otherwise carry one of
 * megabytes, where a line-format value could never exceed its line.
 */
function parseStructured(raw: unknown): Decoded<unknown> {
  if (typeof raw !== 'string') return ok(raw);
  if (raw.length > LIMITS.lineLength) return fail(`must be JSON of at most ${LIMITS.lineLength} characters`);
  try {
    return ok(JSON.parse(raw));
  } catch {
    return fail('must be valid JSON');
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{"<value>": <count>}`: custom data values with their counts. */
export const countMap: Decoder<Record<string, number>> = (raw) => {
  const parsed = parseStructured(raw);
  if (!parsed.ok) return parsed;
  const map = parsed.value;
  // Legacy SDKs (before 2023) sent valueToCount=[["value",1],...].
  const entries = Array.isArray(map) ? map : isPlainObject(map) ? Object.entries(map) : null;
  if (!entries) return fail('must be a JSON object of value → count');
  if (entries.length > LIMITS.mapEntries) return fail(`must have at most ${LIMITS.mapEntries} entries`);
  const pairs: [string, number][] = [];
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2) return fail('must be a JSON object of value → count');
    const [key, count] = entry as [unknown, unknown];
    const k = text(LIMITS.textLength)(key);
    if (!k.ok) return fail(`value ${k.reason}`);
    if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) return fail('counts must be finite numbers ≥ 0');
    pairs.push([k.value, count]);
  }
  // fromEntries defines own properties, so a value spelled `__proto__` stays a value.
  return ok(Object.fromEntries(pairs));
};

/** Whether a JSON value nests deeper than `limit`; stops descending there, so it never overflows the stack. */
function deeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  return Object.values(value).some((child) => deeperThan(child, limit - 1));
}

/** Conversion metadata: `{"<customDataIndex>": [values]}`, kept as sent within size limits. */
export const metadata: Decoder<Record<string, unknown>> = (raw) => {
  const parsed = parseStructured(raw);
  if (!parsed.ok) return parsed;
  if (!isPlainObject(parsed.value)) return fail('must be a JSON object');
  if (deeperThan(parsed.value, LIMITS.metadataDepth)) return fail(`must nest at most ${LIMITS.metadataDepth} levels deep`);
  if (Object.keys(parsed.value).length > LIMITS.mapEntries) return fail(`must have at most ${LIMITS.mapEntries} entries`);
  if (JSON.stringify(parsed.value).length > LIMITS.lineLength / 4) return fail(`must serialize to at most ${LIMITS.lineLength / 4} characters`);
  return ok(parsed.value);
};

/** Index lists such as `referrersIndices=[1,3]` (sent raw by the JavaScript SDK). */
export const idArray: Decoder<number[]> = (raw) => {
  const parsed = parseStructured(raw);
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value)) return fail('must be a JSON array of integers');
  if (parsed.value.length > LIMITS.arrayItems) return fail(`must have at most ${LIMITS.arrayItems} items`);
  const out: number[] = [];
  for (const item of parsed.value) {
    if (item === null) continue; // Kameleoon answers [null] for "none"; accept it back.
    const d = id(item);
    if (!d.ok) return fail(`items ${d.reason}`);
    out.push(d.value);
  }
  return ok(out);
};
