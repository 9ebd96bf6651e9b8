/**
 * Deterministic, realistic traffic for the benchmark. Event number `n` belongs to a visitor drawn
 * from a sliding window of recently active visitors, so each visitor gets about ten events spread
 * over a few seconds of traffic (a visit), visitor codes are random-looking (they land anywhere in
 * an index), nonces are random 16-hex, and the mix of types resembles what the SDKs send.
 */

export const EVENTS_PER_VISITOR = 10;
/** Visitors active at once: a visitor's events are spread over this many visitors' worth of traffic. */
const ACTIVE_VISITORS = 5_000;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The visitor code of visitor number `v`: 16 lower-case alphanumerics, as the SDKs make them. */
export function visitorCodeOf(v: number): string {
  let code = '';
  let h = mix32(v ^ 0x9e3779b9);
  for (let i = 0; i < 16; i++) {
    if (i % 4 === 0) h = mix32(h + v + i * 0x632be5ab);
    code += ALPHABET[h % 36];
    h = Math.floor(h / 36);
  }
  return code;
}

/** The visitor that event number `n` belongs to. */
export function visitorOfEvent(n: number): number {
  return Math.max(0, Math.floor(n / EVENTS_PER_VISITOR) - Math.floor(Math.random() * ACTIVE_VISITORS));
}

function hex8(): string {
  return ((Math.random() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
}

export function randomNonce(): string {
  return hex8() + hex8();
}

const BROWSERS = ['CHROME', 'FIREFOX', 'SAFARI', 'EDGE'];
const DEVICES = ['DESKTOP', 'PHONE', 'TABLET'];

/** The event-specific part of a line (everything but nonce and visitor code), by a rough SDK mix. */
function payload(n: number): string {
  const r = Math.random();
  const k = n % 997;
  if (r < 0.5) {
    return `eventType=page&href=https%3A%2F%2Fshop.example.com%2Fproducts%2F${k}%3Futm_source%3Dnewsletter&title=Product%20${k}%20%7C%20Example%20Shop&referrersIndices=%5B${k % 7}%5D`;
  }
  if (r < 0.6) {
    return `eventType=staticData&deviceType=${DEVICES[k % 3]}&browser=${BROWSERS[k % 4]}&browserVersion=12${k % 10}.0&os=Windows&visitNumber=${1 + (k % 5)}`;
  }
  if (r < 0.75) {
    return `eventType=customData&index=${k % 20}&valuesCountMap=%7B%22segment-${k % 13}%22%3A1%7D&overwrite=true`;
  }
  if (r < 0.9) return `eventType=experiment&id=${100 + (k % 8)}&variationId=${1000 + (k % 3)}`;
  return `eventType=conversion&goalId=${k % 50}&revenue=${(k % 200) + 0.99}&negative=false`;
}

/** One line-format event: event number `n` of the run. */
export function eventLine(n: number): string {
  return `nonce=${randomNonce()}&visitorCode=${visitorCodeOf(visitorOfEvent(n))}&${payload(n)}`;
}

/** A line-format body of events `first` … `first + count − 1`. */
export function eventBody(first: number, count: number): string {
  const lines: string[] = new Array(count);
  for (let i = 0; i < count; i++) lines[i] = eventLine(first + i);
  return lines.join('\n');
}
