import { describe, expect, it } from 'vitest';
import { hasControlCharacter, identifierProblem } from './identifiers.ts';

describe('identifierProblem', () => {
  it('accepts any well-formed text of 1 to maxLength characters', () => {
    for (const value of ['a', 'Ab+c 😀', 'user@example.com', 'é'.repeat(10), '\u00a0nbsp', '\u0085next-line']) expect(identifierProblem(value, 20), value).toBeNull();
  });

  it('refuses empty, too long, every C0 control character and DEL, and lone surrogates', () => {
    expect(identifierProblem('', 5)).toBe('must not be empty');
    expect(identifierProblem('abcdef', 5)).toBe('must be at most 5 characters');
    for (let c = 0; c < 0x20; c++) expect(identifierProblem(`a${String.fromCharCode(c)}b`, 5), `U+${c.toString(16)}`).toBe('must not contain control characters');
    expect(identifierProblem('a\u007fb', 5)).toBe('must not contain control characters');
    for (const value of ['a\ud800', '\udc00a', 'a\ud800b', '\ud83e\ud83e']) expect(identifierProblem(value, 5), JSON.stringify(value)).toBe('must be well-formed Unicode (no lone surrogates)');
    expect(identifierProblem('\ud83e\udd8e', 5)).toBeNull();
  });
});

describe('hasControlCharacter', () => {
  it('finds C0 and DEL, not other characters', () => {
    expect(hasControlCharacter('a\tb')).toBe(true);
    expect(hasControlCharacter('a\u0000')).toBe(true);
    expect(hasControlCharacter('a\u007f')).toBe(true);
    expect(hasControlCharacter('Café 😀')).toBe(false);
  });
});
