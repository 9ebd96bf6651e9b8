import { createHash } from 'node:crypto';
import type { IdentityKind } from '../core/events.ts';
import { identityKindCode } from './event-rows.ts';

/**
 * The tombstone of a forgotten event: SHA-256 of (identity kind, identity as sent, nonce). It names
 * no visitor, and without the event's random nonce it cannot be matched to one, yet a replay of the
 * very same event computes the same digest and is recognised. Both adapters share this function.
 */
export function forgottenEventDigest(kind: IdentityKind | number, identity: string, nonce: string): Buffer {
  const code = typeof kind === 'number' ? kind : identityKindCode(kind);
  return createHash('sha256').update(`${code}\u0000${identity}\u0000${nonce.toLowerCase()}`).digest();
}
