import { describe, expect, it } from 'vitest';
import { identityHash, keyHash } from './sqlite-event-keys.ts';
import { keyFilter } from './sqlite-key-filter.ts';

const key = (i: number) => [1 + (i % 3), identityHash(0, `visitor-${i % 5_000}`), keyHash(`nonce-${i}`)] as const;

describe('key filter', () => {
  it('has every key added, and few others at the size the store gives it', () => {
    const filter = keyFilter(0.5);
    for (let i = 0; i < 200_000; i++) filter.add(...key(i));
    let missed = 0;
    for (let i = 0; i < 200_000; i++) if (!filter.mayHave(...key(i))) missed += 1;
    expect(missed).toBe(0);
    let falsePositives = 0;
    for (let i = 200_000; i < 400_000; i++) if (filter.mayHave(...key(i))) falsePositives += 1;
    // 4M bits, 200k keys, 4 bits a key: about 0.1% expected.
    expect(falsePositives / 200_000).toBeLessThan(0.005);
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
    const filter = keyFilter(0); // the smallest: 32k bits
    for (let i = 0; i < 100_000; i++) filter.add(...key(i));
    let missed = 0;
    for (let i = 0; i < 100_000; i++) if (!filter.mayHave(...key(i))) missed += 1;
    expect(missed).toBe(0);
    let maybe = 0;
    for (let i = 100_000; i < 110_000; i++) if (filter.mayHave(...key(i))) maybe += 1;
    expect(maybe).toBeGreaterThan(9_000);
  });
});
