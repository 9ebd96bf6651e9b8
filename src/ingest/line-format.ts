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
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const parts = text.split('&');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = percentDecode(eq === -1 ? part : part.slice(0, eq));
    if (key in params) continue;
    let value = eq === -1 ? '' : part.slice(eq + 1);
    if (key === 'userAgent' && !parts.slice(i + 1).some((rest) => PARAMETER.test(rest))) {
      value = parts.slice(i).join('&').slice(eq + 1);
      params[key] = percentDecode(value);
      break;
    }
    params[key] = percentDecode(value);
  }
  return params;
}
