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

/**
 * Parses `name=value&name=value` into a record. Each parameter splits on its first `=`; values are
 * decoded leniently. The first occurrence of a name wins, except `userAgent`: the JavaScript SDK
 * appends it raw, so everything after `&userAgent=` (which may contain `&` or `=`) is taken whole.
 */
export function parseLine(text: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  let rest = text;
  const uaAt = rest.indexOf('&userAgent=');
  if (uaAt !== -1) {
    params.userAgent = percentDecode(rest.slice(uaAt + '&userAgent='.length));
    rest = rest.slice(0, uaAt);
  }
  for (const part of rest.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    const key = percentDecode(name);
    if (!(key in params)) params[key] = percentDecode(value);
  }
  return params;
}
