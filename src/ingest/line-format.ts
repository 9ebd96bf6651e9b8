import { percentDecode } from './percent-decode.ts';

/** One non-empty line of a line-format body, with its 1-based line number. */
export interface RawLine {
  line: number;
  text: string;
}

/** Splits a body into non-empty lines; `\n` and `\r\n` both end a line. */
export function splitLines(body: string): RawLine[] {
  const lines: RawLine[] = [];
  let start = 0;
  let number = 1;
  while (start <= body.length) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    let text = body.slice(start, end);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() !== '') lines.push({ line: number, text });
    start = end + 1;
    number += 1;
  }
  return lines;
}

const PARAMETER = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Parses `name=value&name=value` into a record. Each parameter splits on its first `=`; values are
 * decoded leniently; the first occurrence of a name wins. The JavaScript SDK appends the user agent
 * raw, so when nothing after `userAgent=` looks like another parameter, the whole tail (which may
 * hold `&` or `=`) is the user agent; otherwise it is one parameter like any other, wherever it stands.
 */
export function parseLine(text: string): Record<string, string> {
  // Built as an ordinary object and given its null prototype at the end: an object created with
  // Object.create(null) is a hash table in V8, slower to fill and to read than this (which is why
  // own-property checks and define() below stand in for `in` and plain assignment).
  const params: Record<string, string> = {};
  // A scan from `&` to `&` rather than split('&'): no array of parts per line.
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) {
      const part = text.slice(start, end);
      const eq = part.indexOf('=');
      const key = percentDecode(eq === -1 ? part : part.slice(0, eq));
      if (!Object.hasOwn(params, key)) {
        if (key === 'userAgent' && !parameterFollows(text, end)) {
          // The whole tail; without `=` that tail starts at the name itself, as it always has.
          params[key] = percentDecode(text.slice(start + eq + 1));
          break;
        }
        define(params, key, eq === -1 ? '' : percentDecode(part.slice(eq + 1)));
      }
    }
    start = end + 1;
  }
  return Object.setPrototypeOf(params, null) as Record<string, string>;
}

/** Sets an own property; `__proto__` by assignment would replace the prototype instead. */
function define(params: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(params, key, { value, enumerable: true, writable: true, configurable: true });
  else params[key] = value;
}

/** Whether a parameter (`name=`) starts after any `&` at or beyond `from`. */
function parameterFollows(text: string, from: number): boolean {
  return from < text.length && text.slice(from + 1).split('&').some((rest) => PARAMETER.test(rest));
}
