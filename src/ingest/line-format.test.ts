import { describe, expect, it } from 'vitest';
import { parseLine, splitLines } from './line-format.ts';

const plain = (r: Record<string, string>) => ({ ...r });

describe('splitLines', () => {
  it('splits on \\n and \\r\\n, numbering lines from 1 and skipping empty ones', () => {
    expect(splitLines('a=1\nb=2\r\nc=3')).toEqual([
      { line: 1, text: 'a=1' },
      { line: 2, text: 'b=2' },
      { line: 3, text: 'c=3' },
    ]);
  });

  it('ignores a trailing newline (PHP), blank and whitespace-only lines, keeping the numbering', () => {
    expect(splitLines('a=1\n')).toEqual([{ line: 1, text: 'a=1' }]);
    expect(splitLines('\n\na=1\r\n\r\n  \n\tb=2\n')).toEqual([
      { line: 3, text: 'a=1' },
      { line: 6, text: '\tb=2' },
    ]);
    expect(splitLines('')).toEqual([]);
    expect(splitLines('\n\r\n\n')).toEqual([]);
  });

  it('keeps a lone \\r inside a line and strips only the one before \\n', () => {
    expect(splitLines('a=1\rb=2\r\r\n')).toEqual([{ line: 1, text: 'a=1\rb=2\r' }]);
  });
});

describe('parseLine', () => {
  it('splits parameters on & and each on its first =, decoding names and values', () => {
    expect(plain(parseLine('eventType=page&href=https%3A%2F%2Fex.com%2F%3Fa%3D1&title=a%3Db'))).toEqual({
      eventType: 'page',
      href: 'https://ex.com/?a=1',
      title: 'a=b',
    });
    expect(plain(parseLine('x=a=b=c'))).toEqual({ x: 'a=b=c' });
    expect(plain(parseLine('flag&x=1&=orphan&&'))).toEqual({ flag: '', x: '1', '': 'orphan' });
    expect(plain(parseLine('na%6De=v'))).toEqual({ name: 'v' });
  });

  it('does not depend on parameter order', () => {
    const js = parseLine('eventType=conversion&goalId=2001&revenue=49.9&negative=false&nonce=DBA9D8CD8DAE1A69&visitorCode=k3v9');
    const go = parseLine('eventType=conversion&goalId=2001&negative=false&nonce=DBA9D8CD8DAE1A69&revenue=49.9&visitorCode=k3v9');
    const reversed = parseLine('visitorCode=k3v9&nonce=DBA9D8CD8DAE1A69&negative=false&revenue=49.9&goalId=2001&eventType=conversion');
    expect(plain(go)).toEqual(plain(js));
    expect(plain(reversed)).toEqual(plain(js));
  });

  it('takes the raw, unencoded user agent the JavaScript SDK appends, with + ; / ( ) and spaces', () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0 Foo+Bar';
    const p = parseLine(`eventType=experiment&id=4001&variationId=700002&nonce=C2500ADD0E4CAE10&visitorCode=user-42&userAgent=${ua}`);
    expect(p.userAgent).toBe(ua);
    expect(p.visitorCode).toBe('user-42');
    expect(p.nonce).toBe('C2500ADD0E4CAE10');
  });

  it('decodes a url-encoded user agent (GO, PHP)', () => {
    const p = parseLine('eventType=activity&nonce=0A1B2C3D4E5F6789&visitorCode=abc&userAgent=Mozilla%2F5.0%20%28X11%3B%20Linux%29');
    expect(p.userAgent).toBe('Mozilla/5.0 (X11; Linux)');
  });

  it('reads userAgent anywhere in the line, not only last: order is irrelevant', () => {
    const p = parseLine('eventType=page&userAgent=Mozilla%2F5.0&href=https%3A%2F%2Fex.com%2F&nonce=AAD35161EA57C29F&visitorCode=v1');
    expect(plain(p)).toEqual({
      eventType: 'page',
      userAgent: 'Mozilla/5.0',
      href: 'https://ex.com/',
      nonce: 'AAD35161EA57C29F',
      visitorCode: 'v1',
    });
    const first = parseLine('userAgent=Agent (A; B)&eventType=activity&nonce=AAD35161EA57C29F');
    expect(first.userAgent).toBe('Agent (A; B)');
    expect(first.eventType).toBe('activity');
  });

  it('keeps a raw user agent whole when its tail has & or = but no further parameter', () => {
    const p = parseLine('eventType=activity&nonce=AAD35161EA57C29F&visitorCode=v1&userAgent=Odd & Agent a=b 1.0');
    expect(p.userAgent).toBe('Odd & Agent a=b 1.0');
    expect(p.visitorCode).toBe('v1');
  });

  it('accepts raw JSON such as referrersIndices=[1,3]', () => {
    expect(parseLine('eventType=page&href=x&referrersIndices=[1,3]&nonce=1').referrersIndices).toBe('[1,3]');
  });

  it('keeps unknown parameters (the decoder ignores them)', () => {
    expect(parseLine('eventType=activity&futureParam=42&nonce=1').futureParam).toBe('42');
  });

  it('lets the first occurrence of a name win', () => {
    expect(plain(parseLine('nonce=AAAAAAAAAAAAAAAA&nonce=BBBBBBBBBBBBBBBB&x=1&x=2'))).toEqual({ nonce: 'AAAAAAAAAAAAAAAA', x: '1' });
    expect(parseLine('userAgent=first&eventType=activity&userAgent=second').userAgent).toBe('first');
    expect(parseLine('a=1&a%3D=2')['a=']).toBe('2');
  });

  it('is not fooled by inherited names', () => {
    const p = parseLine('__proto__=x&constructor=y&toString=z');
    expect(p.__proto__).toBe('x');
    expect(p.constructor).toBe('y');
    expect(Object.getPrototypeOf(p)).toBeNull();
  });
});
