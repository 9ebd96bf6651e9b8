import { AnoleError } from '../core/error-codes.ts';
import type { Identity } from '../core/events.ts';
import { identifierProblem } from '../core/identifiers.ts';
import { LIMITS } from '../core/limits.ts';

/** Boolean query flags: true/false in any case, 1/0, or empty (false). Anything else is a 400. */
export const FLAG = {
  type: 'string',
  pattern: '^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0|)$',
} as const;

export function flagValue(raw: string | undefined): boolean {
  return raw !== undefined && (raw === '1' || raw.toLowerCase() === 'true');
}

export const SITE_CODE_PARAM = { type: 'string', minLength: 1, maxLength: LIMITS.siteCodeLength, description: 'The project (site) code.' } as const;
export const IDENTITY_PARAM = { type: 'string', minLength: 1, maxLength: LIMITS.identityLength } as const;

/** The query's identity: `visitorCode` wins over `mappingValue`; null when neither is given. */
export function queryIdentity(q: { visitorCode?: string | undefined; mappingValue?: string | undefined }): Identity | null {
  if (q.visitorCode) return { kind: 'visitorCode', value: q.visitorCode };
  if (q.mappingValue) return { kind: 'mappingValue', value: q.mappingValue };
  return null;
}

/**
 * Like queryIdentity, for reads that cannot do without one; the identity is checked by the same rule
 * as an ingested one, so that a read names only what an event could have stored.
 */
export function requiredQueryIdentity(q: { visitorCode?: string | undefined; mappingValue?: string | undefined }): Identity {
  const identity = queryIdentity(q);
  if (!identity) throw new AnoleError('invalid_query', 'visitorCode or mappingValue is required');
  const problem = identifierProblem(identity.value, LIMITS.identityLength);
  if (problem) throw new AnoleError('invalid_query', `${identity.kind} ${problem}`);
  return identity;
}
