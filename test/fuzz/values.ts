import type { Random } from './random.ts';

/**
 * Hostile values, each a kind of input that has broken a server somewhere: long digit runs before
 * a non-digit (backtracking), control characters and NUL (PostgreSQL text), broken escapes and
 * UTF-8, lone surrogates, prototype names, huge and deep JSON, numbers past every range.
 */
const PROTO = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'];

export function hostileText(r: Random): string {
  return r.weighted<() => string>([
    [3, () => r.pick(['a', 'abc', 'site1', 'v1', 'user@example.com', '245fc', 'x-y_z', 'é', '😀', 'Ab+c'])],
    [2, () => `${r.pick(['1', '9', '0'])}`.repeat(r.chance(0.98) ? r.int(16, 100) : r.int(100, 20_000)) + r.pick(['x', 'e', '.', 'e+', '', ' ', '..'])],
    [1, () => r.pick(['', ' ', '  \t ', '\u0000', 'a\u0000b', '\t', '\r\n', '\u007f', '\u001b[31m', '\u2028', '\ufeff', '\ud800', 'x\udc00', '\ud83d'])],
    [1, () => r.pick(PROTO)],
    [1, () => r.pick(['NaN', 'Infinity', '-Infinity', '1e309', '-0', '0x10', '1_000', '1,5', '١٢', '2147483648', '-1', '9007199254740993', '1e-400', '.5', '5.', '+1'])],
    [1, () => r.pick(["' OR 1=1 --", '"; DROP TABLE events; --', '../../etc/passwd', '%2e%2e%2f', '${jndi:ldap://x}', '<script>alert(1)</script>', '{{7*7}}'])],
    [1, () => r.pick(['%', '%Z', '%ZZ', '%00', '%C3%28', '%E2%82', '%F0%9F%98', '%ED%A0%80', '%FF%FE', '%25%32%35', '%u0041'])],
    [1, () => 'x'.repeat(r.chance(0.98) ? r.pick([101, 255, 256, 1024, 1025]) : r.pick([4097, 65_537, r.int(1, 80_000)]))],
    [1, () => r.pick(['[]', '{}', '[[[[', '{"a":', 'null', 'true', '[null]', '{"__proto__":{"x":1}}', '"str"', '[1,2,3]'])],
    [1, () => String.fromCharCode(...Array.from({ length: r.int(1, 64) }, () => r.int(0, 0xffff)))],
  ])();
}

export function hostileNumber(r: Random): unknown {
  return r.weighted<() => unknown>([
    [3, () => r.int(0, 100)],
    [1, () => r.pick([0, -1, 1.5, 2147483647, 2147483648, Number.MAX_SAFE_INTEGER, 1e12, 1e12 + 1, 1e300, -1e300, 5e-324, 1e-300])],
    [1, () => hostileText(r)],
    [1, () => r.pick([null, true, false, [], {}, [1], { a: 1 }])],
  ])();
}

/** A JSON value of any shape, sometimes deep or wide. */
export function hostileJson(r: Random, depth = 0): unknown {
  if (depth > 4 || r.chance(0.4)) {
    return r.weighted<() => unknown>([
      [3, () => hostileText(r)],
      [2, () => hostileNumber(r)],
      [1, () => r.pick([null, true, false])],
    ])();
  }
  return r.weighted<() => unknown>([
    [2, () => Array.from({ length: r.int(0, 5) }, () => hostileJson(r, depth + 1))],
    [2, () => Object.fromEntries(Array.from({ length: r.int(0, 5) }, () => [r.chance(0.3) ? r.pick(PROTO) : hostileText(r).slice(0, 40), hostileJson(r, depth + 1)]))],
    [0.2, () => nested(r.int(10, 1_000), r.chance(0.5))],
    [0.1, () => Array.from({ length: r.int(100, 2_000) }, (_, i) => i)],
  ])();
}

/** `[[[…]]]` or `{"a":{"a":…}}` `depth` levels deep, built without recursion. */
export function nested(depth: number, arrays: boolean): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
}

/** The same, as text: a parser must reject or bound it without overflowing its stack. */
export function nestedText(depth: number, arrays: boolean): string {
  return arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** A JSON body's text: valid JSON of `value`, or something close to it that is not. */
export function jsonText(r: Random, value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'null';
  } catch {
    text = '[]';
  }
  return r.weighted<() => string>([
    [8, () => text],
    [1, () => text.slice(0, r.int(0, text.length))],
    [0.05, () => nestedText(r.int(1_000, 100_000), r.chance(0.5))],
    [1, () => r.pick(['', ' ', 'null', '[', '{', ']', '"', '\u0000', '[1,]', '{"a" 1}', '\ufeff[]'])],
    [0.02, () => '[' + '1,'.repeat(r.int(1, 50_000)) + '1]'],
  ])();
}

export function percentEncode(r: Random, value: string): string {
  // Mostly encoded as a client would, sometimes raw (with its & and =), sometimes with bad escapes.
  return r.weighted<() => string>([
    [6, () => safeEncode(value)],
    [1, () => value],
    [1, () => safeEncode(value).replace(/%/g, r.pick(['%', '%%', '%Z']))],
  ])();
}

/** encodeURIComponent, with lone surrogates spelled as the bytes a broken client would send. */
export function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return Buffer.from(value, 'utf8').toString('latin1').split('').map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
  }
}
