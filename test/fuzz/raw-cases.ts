import type { Random } from './random.ts';
import { hostileText } from './values.ts';

/** Bytes written straight to a socket: what Node's HTTP parser, not a route, must answer. */
export interface RawCase {
  kind: 'raw';
  target: string;
  bytes: Buffer;
}

const PATHS = ['/health', '/visit/events?siteCode=fz1', '/visit/visitor?siteCode=fz1&visitorCode=v1', '/map/map?siteCode=fz1&key=k1', '/nowhere', '*', ''];

function requestLine(r: Random): string {
  const method = r.weighted<string>([[6, r.pick(['GET', 'POST'])], [1, r.pick(['get', 'Post', 'FETCH', 'BREW', 'G\u0000T', 'CONNECT', 'PRI', 'TRACE', '', ' GET'])], [1, hostileText(r).slice(0, 20)]]);
  const path = r.weighted<string>([[6, r.pick(PATHS)], [1, `/${'a'.repeat(r.int(1, 20_000))}`], [1, hostileText(r).slice(0, 200)]]);
  const version = r.weighted<string>([[8, 'HTTP/1.1'], [2, 'HTTP/1.0'], [1, r.pick(['HTTP/2.0', 'HTTP/1.2', 'HTTP/9', 'http/1.1', 'HTTP/1.1 ', '', 'HTTP/1.1\u0000'])]]);
  return `${method} ${path} ${version}`.replace(/\r|\n/g, r.chance(0.5) ? '' : '\n');
}

function headerLines(r: Random, body: string): string[] {
  const lines: string[] = [];
  if (r.chance(0.9)) lines.push(r.chance(0.95) ? 'Host: fuzz' : r.pick(['Host:', 'Host: a\u0000b', 'Host: x\r\nHost: y', 'host : x']));
  const framing = r.weighted<string>([[6, 'length'], [2, 'chunked'], [1, 'both'], [1, 'bad-length'], [1, 'none']]);
  if (framing === 'length' || framing === 'both') lines.push(`Content-Length: ${body.length}`);
  if (framing === 'chunked' || framing === 'both') lines.push(r.pick(['Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: chunked, gzip', 'Transfer-Encoding:  chunked', 'Transfer-Encoding: xchunked']));
  if (framing === 'bad-length') lines.push(r.pick(['Content-Length: -1', 'Content-Length: 1e3', 'Content-Length: 12, 13', 'Content-Length: 99999999999999999999', `Content-Length: ${body.length}\r\nContent-Length: ${body.length + 1}`, 'Content-Length: 0x10']));
  for (let i = r.weighted([[6, 0], [2, r.int(1, 5)], [1, r.int(50, 300)]]); i > 0; i--) {
    lines.push(r.weighted<string>([[4, `X-${r.int(0, 99)}: ${hostileText(r).slice(0, 100)}`], [1, `${hostileText(r).slice(0, 30)}: v`], [1, 'NoColonHere'], [1, ' folded continuation'], [1, `X-Big: ${'a'.repeat(r.int(8_000, 20_000))}`]]));
  }
  if (r.chance(0.05)) lines.push(`Content-Encoding: ${r.pick(['gzip', 'br', 'deflate'])}`);
  if (r.chance(0.2)) lines.push(r.pick(['Connection: close', 'Connection: keep-alive', 'Expect: 100-continue', 'Upgrade: websocket', 'Connection: Upgrade, HTTP2-Settings']));
  return lines;
}

function chunked(r: Random, body: string): string {
  const size = r.weighted<string>([[6, body.length.toString(16)], [1, r.pick(['zz', '-1', 'ffffffffffffffffff', '', '1;ext=1', ' 5', '5 '])]]);
  return `${size}\r\n${body}\r\n${r.chance(0.8) ? '0\r\n\r\n' : r.pick(['0\r\n', '0\r\nTrailer: x\r\n\r\n', '', 'x'])}`;
}

/** A request that is malformed in one or several ways, sometimes followed by a second one (pipelining). */
export function rawCase(r: Random): RawCase {
  const body = r.chance(0.5) ? `eventType=activity&nonce=${'0'.repeat(15)}${r.int(0, 9)}&visitorCode=raw` : hostileText(r).slice(0, 2_000);
  const headers = headerLines(r, body);
  const eol = r.weighted<string>([[8, '\r\n'], [1, '\n'], [1, '\r']]);
  const framedBody = headers.some((h) => h.startsWith('Transfer-Encoding')) ? chunked(r, body) : body;
  let text = `${requestLine(r)}${eol}${headers.join(eol)}${eol}${eol}${r.chance(0.9) ? framedBody : framedBody.slice(0, r.int(0, framedBody.length))}`;
  if (r.chance(0.1)) text += 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n';
  if (r.chance(0.05)) text = Buffer.from(Array.from({ length: r.int(1, 2_000) }, () => r.int(0, 255))).toString('latin1');
  return { kind: 'raw', target: 'raw socket', bytes: Buffer.from(text, 'latin1') };
}
