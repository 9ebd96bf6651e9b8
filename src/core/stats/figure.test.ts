import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NULL_REASONS } from './figure.ts';
import {
  compareCuped,
  compareMeans,
  compareMeansSequential,
  compareProportions,
  compareProportionsSequential,
  probabilityToBeatMean,
  probabilityToBeatRate,
  sampleRatioMismatch,
  type CupedSample,
  type MeanSample,
  type ProportionSample,
} from './index.ts';

describe('null reasons', () => {
  it('docs/statistics.md lists exactly the registry, with the same wording', () => {
    const doc = readFileSync(new URL('../../../docs/statistics.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (.+) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(rows)).toEqual(NULL_REASONS);
  });
});

/** Deterministic generator (mulberry32), so a failure is reproducible. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every number reachable in a result is finite, and every null carries a registered reason. */
function dishonesty(result: unknown, path: string, problems: string[]): void {
  if (typeof result === 'number') {
    if (!Number.isFinite(result)) problems.push(`${path} = ${result}`);
  } else if (Array.isArray(result)) {
    result.forEach((item, i) => dishonesty(item, `${path}[${i}]`, problems));
  } else if (result !== null && typeof result === 'object') {
    const record = result as Record<string, unknown>;
    if ('value' in record && record.value === null && !((record.reason as string) in NULL_REASONS)) {
      problems.push(`${path}.reason = ${String(record.reason)}`);
    }
    if ('lower' in record && !((record.lower as number) <= (record.upper as number))) problems.push(`${path}: lower > upper`);
    for (const [key, value] of Object.entries(record)) dishonesty(value, `${path}.${key}`, problems);
  }
}

describe('never NaN or Infinity', () => {
  const next = random(20240611);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const count = (): number => pick([0, 1, 2, 3, 5, 40, 1000, 10_000_000]);

  function proportion(): ProportionSample {
    const n = count();
    return { n, conversions: pick([0, n, Math.floor(next() * (n + 1))]) };
  }
  function mean(): MeanSample {
    const n = count();
    const values = pick([0, 0.1, 3.3, 100]);
    const spread = pick([0, 1, 1e-9, 50]);
    const centre = values * pick([1, -1]);
    return { n, sum: n * centre, sumSquares: n === 0 ? 0 : (n - 1) * spread * spread + n * centre * centre };
  }
  function cuped(): CupedSample {
    const n = count();
    const my = pick([0, 1, 20]);
    const mx = pick([0, 1, 20]);
    const sy = pick([0, 5]);
    const sx = pick([0, 5]);
    const rho = pick([0, 0.5, 1]);
    const m = Math.max(n - 1, 0);
    return {
      n,
      sumY: n * my,
      sumYSquares: m * sy * sy + n * my * my,
      sumX: n * mx,
      sumXSquares: m * sx * sx + n * mx * mx,
      sumXY: m * rho * sx * sy + n * mx * my,
    };
  }

  it('for random and degenerate inputs alike', () => {
    const problems: string[] = [];
    for (let i = 0; i < 400; i++) {
      const confidence = pick([0.5, 0.8, 0.95, 0.999]);
      const [pr, pv] = [proportion(), proportion()];
      const [mr, mv] = [mean(), mean()];
      const [cr, cv] = [cuped(), cuped()];
      const inputs = JSON.stringify({ pr, pv, mr, mv, cr, cv, confidence });
      dishonesty(compareProportions(pr, pv, { confidence }), `compareProportions ${inputs}`, problems);
      dishonesty(compareProportionsSequential(pr, pv, { confidence }), `compareProportionsSequential ${inputs}`, problems);
      dishonesty(probabilityToBeatRate(pr, pv), `probabilityToBeatRate ${inputs}`, problems);
      dishonesty(compareMeans(mr, mv, { confidence }), `compareMeans ${inputs}`, problems);
      dishonesty(compareMeansSequential(mr, mv, { confidence }), `compareMeansSequential ${inputs}`, problems);
      dishonesty(probabilityToBeatMean(mr, mv), `probabilityToBeatMean ${inputs}`, problems);
      dishonesty(compareCuped(cr, cv, { all: [cr, cv], confidence }), `compareCuped ${inputs}`, problems);
      dishonesty(sampleRatioMismatch([pr.n, pv.n]), `sampleRatioMismatch ${inputs}`, problems);
    }
    expect(problems).toEqual([]);
  });
});
