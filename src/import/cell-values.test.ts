import { describe, expect, it } from 'vitest';
import { parseAmount, parseFlag } from './cell-values.ts';

const dot = { decimal: '.' as const, thousands: null };
const comma = { decimal: ',' as const, thousands: null };

describe('amounts', () => {
  it('reads plain amounts and decimal commas when declared', () => {
    expect(parseAmount(' 23.50 ', dot)).toEqual({ ok: true, value: 23.5 });
    expect(parseAmount('-4', dot)).toEqual({ ok: true, value: -4 });
    expect(parseAmount('23,50', comma)).toEqual({ ok: true, value: 23.5 });
  });

  it('refuses a thousands separator unless declared, and then only real grouping', () => {
    expect(parseAmount('1,234.50', dot)).toMatchObject({ ok: false, message: expect.stringContaining('--thousands') });
    expect(parseAmount('23,50', dot)).toMatchObject({ ok: false, message: expect.stringContaining('--decimal ,') });
    expect(parseAmount('1.234,50', comma)).toMatchObject({ ok: false });
    expect(parseAmount('1,234.50', { decimal: '.', thousands: ',' })).toEqual({ ok: true, value: 1234.5 });
    expect(parseAmount('1.234.567,5', { decimal: ',', thousands: '.' })).toEqual({ ok: true, value: 1234567.5 });
    expect(parseAmount('1 234,5', { decimal: ',', thousands: ' ' })).toEqual({ ok: true, value: 1234.5 });
    expect(parseAmount('12,34.5', { decimal: '.', thousands: ',' })).toMatchObject({ ok: false, message: expect.stringContaining('not grouped') });
  });

  it('refuses what is not a number', () => {
    for (const bad of ['abc', '€12', '12€', '1e400', '', '--1', '0x10']) expect(parseAmount(bad, dot).ok, bad).toBe(false);
  });
});

describe('flags', () => {
  it('reads true/false, 1/0, yes/no in any case; empty is false', () => {
    for (const yes of ['true', 'TRUE', '1', 'yes', 'Y']) expect(parseFlag(yes)).toEqual({ ok: true, value: true });
    for (const no of ['false', '0', 'No', 'n', '']) expect(parseFlag(no)).toEqual({ ok: true, value: false });
    expect(parseFlag('maybe').ok).toBe(false);
  });
});
