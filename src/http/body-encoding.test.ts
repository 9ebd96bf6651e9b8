import { describe, expect, it } from 'vitest';
import { bodyCharset, bodyCoding } from './body-encoding.ts';

describe('bodyCoding', () => {
  it('reads gzip, x-gzip and deflate in any case, identity as none', () => {
    expect(bodyCoding('gzip')).toBe('gzip');
    expect(bodyCoding(' GZip ')).toBe('gzip');
    expect(bodyCoding('x-gzip')).toBe('gzip');
    expect(bodyCoding('Deflate')).toBe('deflate');
    expect(bodyCoding('identity')).toBe('identity');
    expect(bodyCoding('')).toBe('identity');
    expect(bodyCoding('identity, gzip')).toBe('gzip');
  });

  it('refuses every other coding and stacked codings', () => {
    for (const header of ['br', 'zstd', 'compress', 'gzip, gzip', 'deflate, gzip', 'gzip;q=1', 'x'.repeat(10_000)]) expect(bodyCoding(header), header).toBeNull();
  });
});

describe('bodyCharset', () => {
  it('reads UTF-8 by default and by name, ASCII as UTF-8, ISO-8859-1 as latin1', () => {
    expect(bodyCharset(undefined)).toBe('utf8');
    expect(bodyCharset('*/*')).toBe('utf8');
    expect(bodyCharset('text/plain; charset=UTF-8')).toBe('utf8');
    expect(bodyCharset('application/json;charset="utf-8"')).toBe('utf8');
    expect(bodyCharset('text/plain; charset=us-ascii')).toBe('utf8');
    expect(bodyCharset('text/plain; format=flowed; Charset=ISO-8859-1')).toBe('latin1');
  });

  it('refuses charsets it would misread', () => {
    for (const type of ['text/plain; charset=utf-16le', 'text/plain; charset=UTF-16', 'text/plain; charset=shift_jis', 'text/plain; charset=']) {
      expect(bodyCharset(type), type).toBe(type.endsWith('=') ? 'utf8' : null);
    }
  });
});
