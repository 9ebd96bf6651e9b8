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
