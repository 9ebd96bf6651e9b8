import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type EventType, type TypedEvent, type VisitorEvent } from './events.ts';
import { visitJson, visitorJson, type VisitorViewOptions } from './visitor-view.ts';
import { sessionize, splitCurrentVisit } from './visits.ts';

const T = 1_795_908_499_342;
let n = 0;
function ev(offset: number, typed: TypedEvent, extra: Partial<VisitorEvent> = {}): VisitorEvent {
  return {
    ...typed,
    identity: { kind: 'visitorCode', value: 'k3v9' },
    nonce: (++n).toString(16).padStart(16, '0'),
    time: T + offset,
    receivedAt: T + offset,
    itp: false,
    sdk: null,
    ...extra,
  } as VisitorEvent;
}
const all: VisitorViewOptions = { siteCode: 'a1b2c3d4e5', maxPreviousVisits: 25, currentVisit: true, include: new Set<EventType>(EVENT_TYPES) };

/** Visit keys exactly as the reference (kameleoon-data-api.md §4.2) names them. */
const VISIT_KEYS = [
  'siteCode',
  'visitorCode',
  'timeStarted',
  'timeLastEvent',
  'customDataEvents',
  'pageEvents',
  'experimentEvents',
  'personalizationEvents',
  'conversionEvents',
  'geolocationEvents',
  'staticDataEvent',
];
const STATIC_KEYS = [
  'visitNumber', 'timeSincePreviousVisit', 'firstReferrerHref', 'browser', 'browserIndex', 'browserVersion', 'os', 'osIndex',
  'windowWidth', 'windowHeight', 'screenWidth', 'screenHeight', 'timeZoneId', 'localeLanguageTag', 'deviceType', 'mappingIdentifier',
];

const everyType = [
  ev(0, { type: 'staticData', data: { os: 'LINUX', osIndex: 3 } }),
  ev(1, { type: 'staticData', data: { deviceType: 'DESKTOP' } }),
  ev(2, { type: 'staticData', data: { browser: 'CHROME', browserIndex: 0, browserVersion: 120 } }),
  ev(3, { type: 'page', data: { href: 'https://shop.example.com/', canonicalHref: null, title: 'Home', keyPagesIndices: [], referrerHref: null, referrersIndices: [1] } }),
  ev(4, { type: 'customData', data: { index: 0, valuesCountMap: { gold: 1 }, overwrite: true, mappingIdentifier: false } }),
  ev(5, { type: 'geolocation', data: { country: 'France', region: 'Ile-de-France', city: 'Paris', postalCode: '75001', latitude: 48.86, longitude: 2.34 } }),
  ev(6, { type: 'conversion', data: { goalId: 2001, revenue: 49.9, negative: false, metadata: {} } }),
  ev(7, { type: 'experiment', data: { id: 4001, variationId: 700002 } }),
  ev(8, { type: 'personalization', data: { id: 55, variationId: 66 } }),
  ev(9, { type: 'activity', data: {} }),
  ev(10, { type: 'staticData', data: { browser: 'CHROME', browserIndex: 0, browserVersion: 120, visitNumber: 2, timeSincePreviousVisit: 2100000, os: 'LINUX', osIndex: 3, deviceType: 'DESKTOP' } }, { itp: true, sdk: { name: 'javascript', version: '4.17.1' } }),
];

describe('visitJson', () => {
  it('uses exactly the keys of the reference, with events oldest first as {time, itp, data}', () => {
    const [visit] = sessionize('k3v9', everyType, 30 * 60_000);
    const json = visitJson(visit!, all);
    for (const key of Object.keys(json)) expect([...VISIT_KEYS, 'targetingSegmentEvents']).toContain(key);
    expect(Object.keys(json).sort()).toEqual([...VISIT_KEYS].sort());
    expect(json).toMatchObject({ siteCode: 'a1b2c3d4e5', visitorCode: 'k3v9', timeStarted: T, timeLastEvent: T + 10 });
    expect(json.pageEvents).toEqual([
      { time: T + 3, itp: false, data: { href: 'https://shop.example.com/', canonicalHref: null, title: 'Home', keyPagesIndices: [], referrerHref: null, referrersIndices: [1] } },
    ]);
    expect(json.conversionEvents).toEqual([{ time: T + 6, itp: false, data: { goalId: 2001, revenue: 49.9, negative: false, metadata: {} } }]);
    expect(json.experimentEvents).toEqual([{ time: T + 7, itp: false, data: { id: 4001, variationId: 700002 } }]);
    expect(json.personalizationEvents).toEqual([{ time: T + 8, itp: false, data: { id: 55, variationId: 66 } }]);
    expect(json.customDataEvents).toEqual([{ time: T + 4, itp: false, data: { index: 0, valuesCountMap: { gold: 1 }, overwrite: true, mappingIdentifier: false } }]);
    expect(json.geolocationEvents).toEqual([
      { time: T + 5, itp: false, data: { country: 'France', region: 'Ile-de-France', city: 'Paris', postalCode: '75001', latitude: 48.86, longitude: 2.34 } },
    ]);
  });

  it('merges the partial static data lines of a visit into a single object, the latest value of each field winning', () => {
    const [visit] = sessionize('k3v9', everyType, 30 * 60_000);
    const staticDataEvent = visitJson(visit!, all).staticDataEvent as { time: number; itp: boolean; sdk: unknown; data: Record<string, unknown> };
    expect(Array.isArray(staticDataEvent)).toBe(false);
    expect(Object.keys(staticDataEvent.data)).toEqual(STATIC_KEYS);
    expect(staticDataEvent).toEqual({
      time: T + 10,
      itp: true,
      sdk: { name: 'javascript', version: '4.17.1' },
      data: {
        visitNumber: 2, timeSincePreviousVisit: 2100000, firstReferrerHref: null, browser: 'CHROME', browserIndex: 0, browserVersion: 120,
        os: 'LINUX', osIndex: 3, windowWidth: null, windowHeight: null, screenWidth: null, screenHeight: null, timeZoneId: null,
        localeLanguageTag: null, deviceType: 'DESKTOP', mappingIdentifier: null,
      },
    });
  });

  it('fills nulls where no static data line said anything', () => {
    const [visit] = sessionize('v', [ev(0, { type: 'staticData', data: { deviceType: 'PHONE' } })], 1);
    const data = (visitJson(visit!, all).staticDataEvent as { data: Record<string, unknown> }).data;
    expect(data).toMatchObject({ deviceType: 'PHONE', browser: null, browserIndex: null, os: null, osIndex: null, visitNumber: null });
  });

  it('answers INTERNET_EXPLORER for the IE the JavaScript SDK sends, and names browsers and systems from their index', () => {
    const view = (data: object) => {
      const [visit] = sessionize('v', [ev(0, { type: 'staticData', data })], 1);
      return (visitJson(visit!, all).staticDataEvent as { data: Record<string, unknown> }).data;
    };
    expect(view({ browser: 'IE', browserIndex: 1 })).toMatchObject({ browser: 'INTERNET_EXPLORER', browserIndex: 1 });
    expect(view({ browser: 'IE' })).toMatchObject({ browser: 'INTERNET_EXPLORER', browserIndex: 1 });
    expect(view({ browserIndex: 1 })).toMatchObject({ browser: 'INTERNET_EXPLORER', browserIndex: 1 });
    expect(view({ browserIndex: 3 })).toMatchObject({ browser: 'SAFARI', browserIndex: 3 });
    expect(view({ browser: 'EDGE' })).toMatchObject({ browser: 'EDGE', browserIndex: 5 });
    expect(view({ osIndex: 5 })).toMatchObject({ os: 'WINDOWS_PHONE', osIndex: 5 });
    expect(view({ os: 'IOS' })).toMatchObject({ os: 'IOS', osIndex: 2 });
  });

  it('reports the mapping identifier the visit linked in its static data', () => {
    const [visit] = sessionize('anon', [
      ev(0, { type: 'staticData', data: { deviceType: 'DESKTOP' } }),
      ev(1, { type: 'customData', data: { index: 3, valuesCountMap: { 'user-42': 1 }, overwrite: true, mappingIdentifier: true } }),
    ], 1000);
    expect((visitJson(visit!, all).staticDataEvent as { data: Record<string, unknown> }).data.mappingIdentifier).toBe('user-42');
  });

  it('returns targeting segments under targetingSegmentEvents (the reference leaves the key open), activity under none', () => {
    const [visit] = sessionize('v', [ev(0, { type: 'targetingSegment', data: { id: 8001 } }), ev(1, { type: 'activity', data: {} })], 1000);
    expect(visitJson(visit!, all)).toEqual({
      siteCode: 'a1b2c3d4e5', visitorCode: 'v', timeStarted: T, timeLastEvent: T + 1,
      targetingSegmentEvents: [{ time: T, itp: false, data: { id: 8001 } }],
    });
  });

  it('omits the keys of types not requested or without events', () => {
    const [visit] = sessionize('k3v9', everyType, 30 * 60_000);
    const json = visitJson(visit!, { ...all, include: new Set<EventType>(['conversion']) });
    expect(Object.keys(json).sort()).toEqual(['conversionEvents', 'siteCode', 'timeLastEvent', 'timeStarted', 'visitorCode']);
    const [bare] = sessionize('v', [ev(0, { type: 'activity', data: {} })], 1000);
    expect(visitJson(bare!, all)).toEqual({ siteCode: 'a1b2c3d4e5', visitorCode: 'v', timeStarted: T, timeLastEvent: T });
  });
});

describe('visitorJson', () => {
  it('is {} for an unknown visitor', () => {
    expect(visitorJson({ current: null, previous: [] }, all)).toEqual({});
  });

  it('returns the current visit only when asked, and previous visits newest first up to the maximum', () => {
    const HOUR = 3_600_000;
    const visits = sessionize('v', [0, 2, 4, 6].map((h) => ev(h * HOUR, { type: 'activity', data: {} })), 30 * 60_000);
    const split = splitCurrentVisit(visits, T + 6 * HOUR + 1, 30 * 60_000);
    const body = visitorJson(split, { ...all, maxPreviousVisits: 2 });
    expect(body.currentVisit?.timeStarted).toBe(T + 6 * HOUR);
    expect(body.previousVisits?.map((v) => v.timeStarted)).toEqual([T + 4 * HOUR, T + 2 * HOUR]);
    expect(Object.keys(visitorJson(split, { ...all, currentVisit: false }))).toEqual(['previousVisits']);
    expect(visitorJson(split, { ...all, currentVisit: false, maxPreviousVisits: 0 })).toEqual({});
  });
});
