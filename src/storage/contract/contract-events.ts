import type { VisitorEvent } from '../../core/events.ts';
import type { SiteEvent } from '../port.ts';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
let counter = 0;

/** A unique 16-hex nonce per call, so contract tests never collide by accident. */
export function nonce(): string {
  counter += 1;
  return counter.toString(16).padStart(16, '0');
}

export function conversion(visitorCode: string, overrides: Partial<VisitorEvent> = {}): VisitorEvent {
  return {
    type: 'conversion',
    data: { goalId: 7, revenue: 12.5, negative: false, metadata: { store: 'Lyon' } },
    identity: { kind: 'visitorCode', value: visitorCode },
    nonce: nonce(),
    time: T0,
    receivedAt: T0 + 1000,
    itp: false,
    sdk: null,
    ...overrides,
  } as VisitorEvent;
}

/** A mapping-identifier custom data event: links `visitorCode` to `mappingValue`. */
export function mappingEvent(visitorCode: string, mappingValue: string, time = T0): VisitorEvent {
  return {
    type: 'customData',
    data: { index: 1, valuesCountMap: { [mappingValue]: 1 }, overwrite: true, mappingIdentifier: true },
    identity: { kind: 'visitorCode', value: visitorCode },
    nonce: nonce(),
    time,
    receivedAt: time,
    itp: false,
    sdk: null,
  };
}

/** One event of every type, with awkward values (unicode, quotes, nulls, large times). */
export function everyType(visitorCode: string): VisitorEvent[] {
  const base = { identity: { kind: 'visitorCode' as const, value: visitorCode }, time: T0, receivedAt: T0, itp: false, sdk: null };
  return [
    { ...base, nonce: nonce(), type: 'conversion', data: { goalId: 2_147_483_647, revenue: -0.01, negative: true, metadata: { 'k"\\': 'v\u00e9\u{1F600}' } } },
    { ...base, nonce: nonce(), type: 'customData', data: { index: 0, valuesCountMap: { a: 2, 'b c': 1 }, overwrite: false, mappingIdentifier: false } },
    {
      ...base,
      nonce: nonce(),
      type: 'page',
      data: { href: 'https://shop.example/\u00e9?q="x"', canonicalHref: null, title: "L'été", keyPagesIndices: [1, 2], referrerHref: null, referrersIndices: [] },
      itp: true,
      sdk: { name: 'JAVASCRIPT', version: '4.1.0' },
    },
    { ...base, nonce: nonce(), type: 'experiment', data: { id: 101, variationId: 202 }, time: 8_640_000_000_000 },
    { ...base, nonce: nonce(), type: 'personalization', data: { id: 5, variationId: 6 } },
    { ...base, nonce: nonce(), type: 'targetingSegment', data: { id: 9 } },
    { ...base, nonce: nonce(), type: 'staticData', data: { visitNumber: 3, browser: 'Firefox', deviceType: 'DESKTOP' } },
    {
      ...base,
      nonce: nonce(),
      type: 'geolocation',
      data: { country: 'France', region: null, city: 'Lyon', postalCode: null, latitude: 45.76, longitude: 4.84 },
    },
    { ...base, nonce: nonce(), type: 'activity', data: {}, time: 0, receivedAt: 0 },
  ];
}

export const at = (siteId: number, events: readonly VisitorEvent[]): SiteEvent[] => events.map((event) => ({ siteId, event }));

/** Events in a canonical order, for comparing what was stored with what was read back. */
export function canonical(events: readonly VisitorEvent[]): VisitorEvent[] {
  const key = (e: VisitorEvent) => `${e.identity.kind}\u0000${e.identity.value}\u0000${e.nonce}`;
  return [...events].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
