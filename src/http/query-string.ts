import { percentDecode } from '../ingest/percent-decode.ts';

/**
 * Query strings are decoded like line-format bodies: `+` stays `+` and invalid `%` sequences are
 * kept literally, so a visitor code reads the same in the query as in a body line. A repeated
 * name yields an array, which the route schemas then refuse where one value is expected.
 */
export function parseQueryString(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = percentDecode(eq === -1 ? part : part.slice(0, eq));
    const value = percentDecode(eq === -1 ? '' : part.slice(eq + 1));
    const prior = out[name];
    out[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}
