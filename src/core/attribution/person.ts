import type { IdentityLink } from '../identity.ts';

/**
 * A person is the unit of visitor-level results: every visitor code whose latest link is to one
 * mapping value (`m:<value>`), or a lone visitor code (`v:<code>`).
 */
export type PersonKey = `m:${string}` | `v:${string}`;

function latestLink(visitorCode: string, links: readonly IdentityLink[]): IdentityLink | undefined {
  let best: IdentityLink | undefined;
  for (const link of links) {
    if (link.visitorCode !== visitorCode) continue;
    if (!best || link.time > best.time || (link.time === best.time && link.nonce > best.nonce)) best = link;
  }
  return best;
}

/**
 * The person a visitor code belongs to now: the mapping value it was last linked to; else, when
 * other codes are linked to it as a mapping value, that value's person; else itself alone.
 * `links` must hold the code's own links and the links made to it as a value.
 */
export function personOfVisitorCode(visitorCode: string, links: readonly IdentityLink[]): PersonKey {
  const own = latestLink(visitorCode, links);
  if (own) return `m:${own.mappingValue}`;
  if (links.some((l) => l.mappingValue === visitorCode)) return `m:${visitorCode}`;
  return `v:${visitorCode}`;
}

/**
 * Every person whose derived state may change when events of this visitor code arrive or its links
 * change: its current person, every person it was ever linked into, and itself alone.
 */
export function personsTouchedByVisitorCode(visitorCode: string, links: readonly IdentityLink[]): PersonKey[] {
  const keys = new Set<PersonKey>([`v:${visitorCode}`, personOfVisitorCode(visitorCode, links)]);
  for (const link of links) if (link.visitorCode === visitorCode) keys.add(`m:${link.mappingValue}`);
  if (links.some((l) => l.mappingValue === visitorCode)) keys.add(`m:${visitorCode}`);
  return [...keys];
}

export function parsePersonKey(key: PersonKey): { kind: 'mappingValue' | 'visitorCode'; value: string } {
  return key.startsWith('m:') ? { kind: 'mappingValue', value: key.slice(2) } : { kind: 'visitorCode', value: key.slice(2) };
}

/**
 * The visitor codes of a person now. `m:<value>` exists only while some code is linked to the
 * value; `v:<code>` only while the code belongs to no mapping value. `links` must hold every link
 * to the value and every link of each candidate code.
 */
export function visitorCodesOfPerson(key: PersonKey, links: readonly IdentityLink[]): string[] {
  const { kind, value } = parsePersonKey(key);
  if (kind === 'visitorCode') return personOfVisitorCode(value, links) === key ? [value] : [];
  const candidates = new Set<string>();
  for (const link of links) if (link.mappingValue === value) candidates.add(link.visitorCode);
  if (candidates.size === 0) return [];
  candidates.add(value);
  return [...candidates].filter((code) => personOfVisitorCode(code, links) === key).sort();
}
