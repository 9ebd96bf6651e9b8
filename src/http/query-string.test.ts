import { describe, expect, it } from 'vitest';
import { LIMITS } from '../core/limits.ts';
import { parseQueryString, QUERY_OVERFLOW } from './query-string.ts';

describe('parseQueryString', () => {
  it('decodes like a line-format body: + stays +, bad escapes stay literal, repeats become arrays', () => {
    expect({ ...parseQueryString('a=1+2&b=%ZZ&c=%C3%A9&a=3&a=4&d&=x') }).toEqual({ a: ['1+2', '3', '4'], b: '%ZZ', c: 'é', d: '', '': 'x' });
  });

  it('keeps __proto__ and constructor as plain parameters', () => {
    const q = parseQueryString('__proto__=x&constructor=y');
    expect(Object.getPrototypeOf(q)).toBeNull();
    expect(q.__proto__).toBe('x');
    expect(q.constructor).toBe('y');
  });

  it('collects repeated names into one array (16 KB of a&a&… once cost ~100 ms by copying it per repeat)', () => {
    const q = parseQueryString(Array.from({ length: 100 }, (_, i) => `a=${i}`).join('&'));
    expect(q.a).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
  });

  it(`stops at ${LIMITS.queryParameters} parameters and marks the query for a 400`, () => {
    const within = parseQueryString(Array.from({ length: LIMITS.queryParameters }, (_, i) => `p${i}=1`).join('&'));
    expect(within[QUERY_OVERFLOW]).toBeUndefined();
    expect(Object.keys(within)).toHaveLength(LIMITS.queryParameters);
    const beyond = parseQueryString(Array.from({ length: 10_000 }, () => 'a=1').join('&'));
    expect(beyond[QUERY_OVERFLOW]).toBe(true);
    expect(beyond.a).toHaveLength(LIMITS.queryParameters);
    // Empty parts cost nothing and are not parameters.
    expect(parseQueryString('&'.repeat(10_000))[QUERY_OVERFLOW]).toBeUndefined();
  });
});
