import type { VisitorEvent } from './events.ts';

/**
 * One entry of the append-only link history: a `customData` event with `mappingIdentifier=true`
 * sent by `visitorCode` links it to `mappingValue` (a user id) from `time` on.
 */
export interface IdentityLink {
  mappingValue: string;
  visitorCode: string;
  time: number;
  nonce: string;
}

function newestFirst(a: IdentityLink, b: IdentityLink): number {
  return b.time - a.time || (a.nonce < b.nonce ? 1 : a.nonce > b.nonce ? -1 : 0);
}

/** Reads the link a mapping-identifier custom data event makes, if it makes one. */
export function linkFromEvent(event: VisitorEvent): IdentityLink | null {
  if (event.type !== 'customData' || !event.data.mappingIdentifier) return null;
  // A link names the device that sent it; an event addressed by mapping value names no device.
  if (event.identity.kind !== 'visitorCode') return null;
  const mappingValue = Object.keys(event.data.valuesCountMap)[0];
  if (mappingValue === undefined || mappingValue === '') return null;
  return { mappingValue, visitorCode: event.identity.value, time: event.time, nonce: event.nonce };
}

/**
 * The visitor code an event sent with `mappingValue` belongs to: the visitor code most recently
 * linked to that value at or before the event's time, or the value itself when none was linked yet.
 * A code re-linked to another value since then belongs to that other person and is passed over, so
 * `links` must hold the links to the value and every link of the codes linked to it.
 * Using the event's time (not the time of reading) makes the answer independent of arrival order.
 */
export function resolveMappingValue(mappingValue: string, eventTime: number, links: readonly IdentityLink[]): string {
  const known = links.filter((l) => l.time <= eventTime).sort(newestFirst);
  for (const link of known) {
    if (link.mappingValue !== mappingValue) continue;
    const latestOfCode = known.find((l) => l.visitorCode === link.visitorCode);
    if (latestOfCode?.mappingValue === mappingValue) return link.visitorCode;
  }
  return mappingValue;
}

/** The mapping value a visitor code was last linked to, if any. */
export function currentMappingValue(visitorCode: string, linksOfCode: readonly IdentityLink[]): string | null {
  const own = linksOfCode.filter((l) => l.visitorCode === visitorCode).sort(newestFirst);
  return own[0]?.mappingValue ?? null;
}

/**
 * The visitor codes of the person known by `mappingValue`: every code whose latest link is to that
 * value, plus the value itself used as a visitor code (events posted by mapping value before any
 * link land there) unless that code now belongs to another person. `links` must hold every link
 * of every candidate code.
 */
export function personVisitorCodes(mappingValue: string, links: readonly IdentityLink[]): string[] {
  const candidates = new Set<string>([mappingValue]);
  for (const l of links) if (l.mappingValue === mappingValue) candidates.add(l.visitorCode);
  return [...candidates].filter((code) => {
    const latest = currentMappingValue(code, links);
    return latest === null ? code === mappingValue : latest === mappingValue;
  });
}
