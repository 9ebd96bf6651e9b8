import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.ts';

describe('fixed-window rate limiter', () => {
  it('allows the limit per window, then says how long to wait, and starts over when the window ends', () => {
    let now = 1_000;
    const limiter = createRateLimiter({ now: () => now, maxKeys: 10 });
    const budget = { limit: 2, windowMs: 1_000 };
    expect(limiter.take('a', budget)).toEqual({ ok: true });
    now += 400;
    expect(limiter.take('a', budget)).toEqual({ ok: true });
    expect(limiter.take('a', budget)).toEqual({ ok: false, retryAfterMs: 600 });
    expect(limiter.take('b', budget)).toEqual({ ok: true });
    now += 600;
    expect(limiter.take('a', budget)).toEqual({ ok: true });
  });

  it('checks without counting, and counts failures on their own', () => {
    let now = 0;
    const limiter = createRateLimiter({ now: () => now, maxKeys: 10 });
    const budget = { limit: 2, windowMs: 1_000 };
    expect(limiter.check('f', budget)).toEqual({ ok: true });
    limiter.add('f', budget);
    expect(limiter.check('f', budget)).toEqual({ ok: true });
    limiter.add('f', budget);
    expect(limiter.check('f', budget).ok).toBe(false);
    now += 1_000;
    expect(limiter.check('f', budget)).toEqual({ ok: true });
  });

  it('tracks at most maxKeys keys: ended windows go first, then everything starts over', () => {
    let now = 0;
    const limiter = createRateLimiter({ now: () => now, maxKeys: 3 });
    const short = { limit: 1, windowMs: 10 };
    const long = { limit: 1, windowMs: 10_000 };
    limiter.take('old', short);
    limiter.take('x', long);
    limiter.take('y', long);
    now += 20;
    limiter.take('z', long);
    expect(limiter.size()).toBe(3);
    expect(limiter.take('x', long).ok).toBe(false);
    limiter.take('w', long);
    expect(limiter.size()).toBe(1);
  });
});
