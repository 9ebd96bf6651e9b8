import type { FastifyRequest } from 'fastify';
import { AnoleError } from '../core/error-codes.ts';
import { LIMITS } from '../core/limits.ts';
import { percentDecode } from '../ingest/percent-decode.ts';

/** Set on a parsed query that had more parameters than LIMITS.queryParameters (the rest were not read). */
export const QUERY_OVERFLOW = Symbol('queryOverflow');

export type ParsedQuery = Record<string, string | string[]> & { [QUERY_OVERFLOW]?: true };

/**
 * Query strings are decoded like line-format bodies: `+` stays `+` and invalid `%` sequences are
 * kept literally, so a visitor code reads the same in the query as in a body line. A repeated
 * name yields an array, which the route schemas then refuse where one value is expected.
 *
 * The router calls this while it matches the route, where a throw would escape every error
 * handler; a query over the parameter limit is therefore marked, and rejectQueryOverflow answers
 * it. Parsing stops at the limit and appends to arrays in place, so the cost is linear in the query.
 */
export function parseQueryString(query: string): ParsedQuery {
  const out = Object.create(null) as ParsedQuery;
  let count = 0;
  for (let start = 0; start < query.length; ) {
    let end = query.indexOf('&', start);
    if (end === -1) end = query.length;
    if (end > start) {
      if (++count > LIMITS.queryParameters) {
        out[QUERY_OVERFLOW] = true;
        break;
      }
      const part = query.slice(start, end);
      const eq = part.indexOf('=');
      const name = percentDecode(eq === -1 ? part : part.slice(0, eq));
      const value = percentDecode(eq === -1 ? '' : part.slice(eq + 1));
      const prior = out[name];
      if (prior === undefined) out[name] = value;
      else if (Array.isArray(prior)) prior.push(value);
      else out[name] = [prior, value];
    }
    start = end + 1;
  }
  return out;
}

/** onRequest hook: a query with more parameters than the limit is a 400 before anything else runs. */
export async function rejectQueryOverflow(request: FastifyRequest): Promise<void> {
  if ((request.query as ParsedQuery | undefined)?.[QUERY_OVERFLOW]) {
    throw new AnoleError('invalid_query', `the query has more than ${LIMITS.queryParameters} parameters`);
  }
}
