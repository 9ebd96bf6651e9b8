/**
 * The one rule for identifiers a client names things by: visitor codes, mapping values (user ids)
 * and map keys, wherever they arrive (an event, a query, a forget line, a map body). An identifier
 * must be findable again by every route and on every engine, so it is refused when it is empty,
 * too long, holds a control character (a NUL is not even storable in PostgreSQL text, and a tab or
 * line break could never be named on a forget line) or a lone surrogate (storage would silently
 * turn it into U+FFFD, and the identifier as sent would then match nothing).
 */

/** Why `value` cannot be an identifier of at most `maxLength` characters, or null when it can. */
export function identifierProblem(value: string, maxLength: number): string | null {
  if (value.length === 0) return 'must not be empty';
  if (value.length > maxLength) return `must be at most ${maxLength} characters`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return 'must not contain control characters';
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return 'must be well-formed Unicode (no lone surrogates)';
      i++;
    }
  }
  return null;
}

/** Whether a text holds a C0 control character or DEL; names and labels refuse them too. */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
