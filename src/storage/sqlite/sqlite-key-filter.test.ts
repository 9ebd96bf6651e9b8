import { describe, expect, it } from 'vitest';
import { identityHash, keyHash } from './sqlite-event-keys.ts';
import { keyFilter, type KeyFilter } from './sqlite-key-filter.ts';

const key = (i: number) => [1 + (i % 3), identityHash(0, `visitor-${i % 5_000}`), keyHash(`nonce-${i}`)] as const;

/** Keys from..to-1 for which the filter answers "maybe". */
const maybes = (filter: KeyFilter, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) if (filter.mayHave(...key(i))) n += 1;
  return n;
};

/** A filter of this size holding keys 0..count-1. */
const filled = (megabytes: number, count: number): KeyFilter => {
  const filter = keyFilter(megabytes);
  for (let i = 0; i < count; i++) filter.add(...key(i));
  return filter;
};

describe('key filter', () => {
  it('has every key added, and few others at the size the store gives it', () => {
    const filter = filled(0.5, 200_000);
    expect(maybes(filter, 0, 200_000)).toBe(200_000);
    // 4M bits, 200k keys, 4 bits a key: about 0.1% expected.
    expect(maybes(filter, 200_000, 400_000) / 200_000).toBeLessThan(0.005);
  });

  it('tells keys apart by site, identity and nonce alike', () => {
    const filter = keyFilter(1);
    filter.add(1, identityHash(0, 'a'), keyHash('n'));
    expect(filter.mayHave(1, identityHash(0, 'a'), keyHash('n'))).toBe(true);
    expect(filter.mayHave(2, identityHash(0, 'a'), keyHash('n'))).toBe(false);
    expect(filter.mayHave(1, identityHash(1, 'a'), keyHash('n'))).toBe(false);
    expect(filter.mayHave(1, identityHash(0, 'a'), keyHash('m'))).toBe(false);
  });

  it('overfilled, answers "maybe" for nearly everything and still never "no" for a key added', () => {
    const filter = filled(0, 100_000); // the smallest: 32k bits
    expect(maybes(filter, 0, 100_000)).toBe(100_000);
    expect(maybes(filter, 100_000, 110_000)).toBeGreaterThan(9_000);
  });
});
