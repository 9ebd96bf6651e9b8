import { describe, expect, it } from 'vitest';
import { LIMITS } from '../core/limits.ts';
import { countMap, finite, id, idArray, integer, metadata } from './field-decoders.ts';

/** Wall time of one call, in ms: the decoders must stay linear whatever they are given. */
function timed<T>(work: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = work();
  return { result, ms: performance.now() - start };
}

describe('number decoders: linear time, length cap first', () => {
  const revenue = finite(0, LIMITS.maxRevenue);
  const hostile = [
    `${'1'.repeat(32_000)}x`,
    `${'9'.repeat(96_000)}`,
    `${'9'.repeat(96_000)}.`,
    `1${'0'.repeat(50_000)}e`,
    `.${'5'.repeat(50_000)}e+`,
    `${' '.repeat(50_000)}1${' '.repeat(50_000)}x`,
  ];

  it.each(hostile.map((s, i) => [i, s] as const))('refuses hostile number %i quickly, naming the limit', (_i, raw) => {
    for (const decode of [id, integer(0, 99), revenue]) {
      const { result, ms } = timed(() => decode(raw));
      expect(result).toEqual({ ok: false, reason: `must be a number of at most ${LIMITS.numberLength} characters` });
      // The backtracking pattern took 2.2 s on the first and 5.3 s on the fourth of these.
      expect(ms).toBeLessThan(500);
    }
  });

  it('keeps accepting every spelling it accepted, up to the cap', () => {
    const cases: [string, number][] = [
      ['0', 0], ['007', 7], [' 1 ', 1], ['+3', 3], ['1.', 1], ['.5', 0.5], ['1.5e3', 1500], ['2E-2', 0.02], ['1e+2', 100],
      [`${'0'.repeat(LIMITS.numberLength - 2)}12`, 12],
    ];
    for (const [raw, value] of cases) expect(revenue(raw)).toEqual({ ok: true, value });
    expect(revenue(`${'0'.repeat(LIMITS.numberLength - 1)}12`).ok).toBe(false);
  });

  it('refuses what is not a decimal number, as before', () => {
    for (const raw of ['', '.', '+', '-', 'e5', '1e', '1e+', '0x10', '1_000', '1,5', 'NaN', 'Infinity', '1..2', '1.2.3', '--1', '١', '1²', '1 2']) {
      expect(revenue(raw).ok).toBe(false);
    }
    expect(id('-1')).toEqual({ ok: false, reason: `must be between 0 and ${LIMITS.maxId}` });
  });
});

describe('structured decoders: the JSON text is capped before it is parsed', () => {
  const big = JSON.stringify({ '1': ['x'.repeat(LIMITS.lineLength)] });
  it.each([['metadata', metadata], ['countMap', countMap], ['idArray', idArray]] as const)('%s refuses a string over the line length without parsing it', (_name, decode) => {
    expect(decode(big)).toEqual({ ok: false, reason: `must be JSON of at most ${LIMITS.lineLength} characters` });
  });
});
