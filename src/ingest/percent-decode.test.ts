import { describe, expect, it } from 'vitest';
import { percentDecode } from './percent-decode.ts';

describe('percentDecode', () => {
  it('decodes what encodeURIComponent and rawurlencode produce', () => {
    expect(percentDecode('Running%20shoes')).toBe('Running shoes');
    expect(percentDecode('https%3A%2F%2Fex.com%2Fp%3Fa%3D1%26b%3D2')).toBe('https://ex.com/p?a=1&b=2');
    expect(percentDecode('%7B%22gold%22%3A1%7D')).toBe('{"gold":1}');
    expect(percentDecode('%e2%82%ac')).toBe('€');
    expect(percentDecode('%F0%9F%98%80')).toBe('😀');
    expect(percentDecode("(it's)!*")).toBe("(it's)!*");
  });

  it('keeps + as +: no SDK encodes a space as +', () => {
    expect(percentDecode('a+b')).toBe('a+b');
    expect(percentDecode('a%2Bb')).toBe('a+b');
    expect(percentDecode('a+b%20c')).toBe('a+b c');
  });

  it('keeps invalid % sequences literally and decodes the valid ones around them', () => {
    expect(percentDecode('%')).toBe('%');
    expect(percentDecode('100%')).toBe('100%');
    expect(percentDecode('%zz')).toBe('%zz');
    expect(percentDecode('a%2')).toBe('a%2');
    expect(percentDecode('%%41')).toBe('%A');
    expect(percentDecode('50%%20off')).toBe('50% off');
    expect(percentDecode('%G1%41')).toBe('%G1A');
  });

  it('keeps bytes that are not UTF-8 literally, decoding the valid sequences next to them', () => {
    expect(percentDecode('%E2%82')).toBe('%E2%82'); // truncated 3-byte sequence
    expect(percentDecode('%C3%28')).toBe('%C3('); // bad continuation byte
    expect(percentDecode('%FF')).toBe('%FF');
    expect(percentDecode('%E2%82%ACx%FF%41')).toBe('€x%FFA');
    expect(percentDecode('%ED%A0%80')).toBe('%ED%A0%80'); // an encoded surrogate is not UTF-8
    expect(percentDecode('%C0%AF')).toBe('%C0%AF'); // overlong encoding of "/"
  });

  it('never throws, whatever the input', () => {
    for (const s of ['%', '%%%%', '%E', '%E2%', '%F0%9F%98', '\u0000%00', '%uD83D']) {
      expect(() => percentDecode(s)).not.toThrow();
    }
    expect(percentDecode('%00')).toBe('\u0000');
  });

  it('returns values without % untouched', () => {
    expect(percentDecode('Mozilla/5.0 (X11; Linux x86_64) Foo+Bar')).toBe('Mozilla/5.0 (X11; Linux x86_64) Foo+Bar');
    expect(percentDecode('')).toBe('');
  });
});
