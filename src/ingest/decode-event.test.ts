import { describe, expect, it } from 'vitest';
import type { VisitorEvent } from '../core/events.ts';
import { LIMITS } from '../core/limits.ts';
import { decodeEvent, type DecodeContext, type DecodeResult } from './decode-event.ts';
import { parseLine } from './line-format.ts';

const NOW = 1_795_908_800_000;
const DAY = 86_400_000;
const ctx: DecodeContext = { queryIdentity: null, receivedAt: NOW, lateHorizonMs: 30 * DAY, itp: false, sdk: null };
const NONCE = '3C91992A14A1C237';

function ok(result: DecodeResult): VisitorEvent {
  if (!result.ok) throw new Error(`rejected: ${result.rejection.code} ${result.rejection.message}`);
  return result.event;
}
function code(result: DecodeResult): string {
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.event)}`);
  return result.rejection.code;
}
/** Decodes one line-format line with a nonce and visitor code added. */
const line = (params: string, c: DecodeContext = ctx) => decodeEvent(parseLine(`${params}&nonce=${NONCE}&visitorCode=v1`), c);
const json = (item: Record<string, unknown>, c: DecodeContext = ctx) => decodeEvent({ nonce: NONCE, visitorCode: 'v1', ...item }, c);

const base = { identity: { kind: 'visitorCode', value: 'v1' }, nonce: NONCE.toLowerCase(), time: NOW, receivedAt: NOW, itp: false, sdk: null };

describe('decodeEvent: every event type with its fields', () => {
  it('conversion, with its defaults', () => {
    expect(ok(line('eventType=conversion&goalId=2001&revenue=49.9&negative=false'))).toEqual({
      ...base,
      type: 'conversion',
      data: { goalId: 2001, revenue: 49.9, negative: false, metadata: {} },
    });
    expect(ok(line('eventType=conversion&goalId=7')).data).toEqual({ goalId: 7, revenue: 0, negative: false, metadata: {} });
    expect(ok(line('eventType=conversion&goalId=7&revenue=10&negative=true')).data).toMatchObject({ revenue: 10, negative: true });
  });

  it('conversion metadata decodes from its url-encoded JSON', () => {
    const e = ok(line('eventType=conversion&goalId=36151&revenue=23.5&negative=false&metadata=%7B%223%22%3A%5B%22store-42%22%5D%2C%225%22%3A%5B%22a%26b%22%2C%22c%5C%22d%22%5D%7D'));
    expect(e.data).toEqual({ goalId: 36151, revenue: 23.5, negative: false, metadata: { '3': ['store-42'], '5': ['a&b', 'c"d'] } });
  });

  it('customData, with overwrite defaulting to true and mappingIdentifier to false', () => {
    expect(ok(line('eventType=customData&index=5&valuesCountMap=%7B%22newsletter%22%3A1%2C%22sms%22%3A1%7D&overwrite=true'))).toEqual({
      ...base,
      type: 'customData',
      data: { index: 5, valuesCountMap: { newsletter: 1, sms: 1 }, overwrite: true, mappingIdentifier: false },
    });
    expect(ok(line('eventType=customData&index=0&valuesCountMap=%7B%7D')).data).toEqual({ index: 0, valuesCountMap: {}, overwrite: true, mappingIdentifier: false });
    expect(ok(line('eventType=customData&index=1&valuesCountMap=%7B%22a%22%3A2%7D&overwrite=false')).data).toMatchObject({ overwrite: false, valuesCountMap: { a: 2 } });
  });

  it('customData with mappingIdentifier=true needs the mapping value', () => {
    expect(ok(line('eventType=customData&index=3&valuesCountMap=%7B%22user-42%22%3A1%7D&overwrite=true&mappingIdentifier=true')).data).toEqual({
      index: 3,
      valuesCountMap: { 'user-42': 1 },
      overwrite: true,
      mappingIdentifier: true,
    });
    expect(code(line('eventType=customData&index=3&valuesCountMap=%7B%7D&mappingIdentifier=true'))).toBe('invalid_field');
  });

  it('customData in the legacy valueToCount form', () => {
    expect(ok(line('eventType=customData&index=2&valueToCount=%5B%5B%22gold%22%2C1%5D%2C%5B%22vip%22%2C1%5D%5D')).data).toEqual({
      index: 2,
      valuesCountMap: { gold: 1, vip: 1 },
      overwrite: true,
      mappingIdentifier: false,
    });
  });

  it('page, with every field Kameleoon returns', () => {
    expect(ok(line('eventType=page&href=https%3A%2F%2Fex.com%2Fp%3Fa%3D1%26b%3D2&title=Home%20page&referrersIndices=[1,3]'))).toEqual({
      ...base,
      type: 'page',
      data: { href: 'https://ex.com/p?a=1&b=2', title: 'Home page', referrersIndices: [1, 3], keyPagesIndices: [], canonicalHref: null, referrerHref: null },
    });
    expect(ok(line('eventType=page&href=%2F')).data).toEqual({
      href: '/',
      title: '',
      referrersIndices: [],
      keyPagesIndices: [],
      canonicalHref: null,
      referrerHref: null,
    });
    expect(ok(line('eventType=page&href=%2F&referrersIndices=%5B2%5D&keyPagesIndices=[null]&canonicalHref=%2Fc&referrerHref=https%3A%2F%2Fg.co')).data).toMatchObject({
      referrersIndices: [2],
      keyPagesIndices: [],
      canonicalHref: '/c',
      referrerHref: 'https://g.co',
    });
    expect(code(line('eventType=page&title=x'))).toBe('missing_field');
    expect(code(line('eventType=page&href=%2F&referrersIndices=[1,-3]'))).toBe('invalid_field');
    expect(code(line('eventType=page&href=%2F&referrersIndices=[1'))).toBe('invalid_field');
  });

  it('experiment and personalization: id and variationId', () => {
    expect(ok(line('eventType=experiment&id=4001&variationId=700002'))).toEqual({ ...base, type: 'experiment', data: { id: 4001, variationId: 700002 } });
    expect(ok(line('eventType=personalization&id=55&variationId=66'))).toEqual({ ...base, type: 'personalization', data: { id: 55, variationId: 66 } });
    expect(ok(line('eventType=experiment&id=1&variationId=0')).data).toEqual({ id: 1, variationId: 0 });
    expect(code(line('eventType=experiment&id=4001'))).toBe('missing_field');
    expect(code(line('eventType=personalization&variationId=1'))).toBe('missing_field');
  });

  it('targetingSegment: id', () => {
    expect(ok(line('eventType=targetingSegment&id=8001'))).toEqual({ ...base, type: 'targetingSegment', data: { id: 8001 } });
    expect(code(line('eventType=targetingSegment'))).toBe('missing_field');
  });

  it('staticData: each partial shape keeps only what it carried', () => {
    expect(ok(line('eventType=staticData&os=LINUX&osIndex=3')).data).toEqual({ os: 'LINUX', osIndex: 3 });
    expect(ok(line('eventType=staticData&deviceType=DESKTOP')).data).toEqual({ deviceType: 'DESKTOP' });
    expect(ok(line('eventType=staticData&browser=CHROME&browserIndex=0&browserVersion=120')).data).toEqual({ browser: 'CHROME', browserIndex: 0, browserVersion: 120 });
    expect(ok(line('eventType=staticData&browserIndex=0&browserVersion=120.500000')).data).toEqual({ browserIndex: 0, browserVersion: 120.5 });
    expect(ok(line('eventType=staticData&timeSincePreviousVisit=86400000&visitNumber=3')).data).toEqual({ visitNumber: 3, timeSincePreviousVisit: 86400000 });
    expect(
      ok(line('eventType=staticData&browser=CHROME&browserIndex=0&browserVersion=120&visitNumber=0&timeSincePreviousVisit=0&os=LINUX&osIndex=3&deviceType=DESKTOP')).data,
    ).toEqual({ browser: 'CHROME', browserIndex: 0, browserVersion: 120, visitNumber: 0, timeSincePreviousVisit: 0, os: 'LINUX', osIndex: 3, deviceType: 'DESKTOP' });
    expect(ok(line('eventType=staticData&deviceType=phone&browser=ie')).data).toEqual({ deviceType: 'PHONE', browser: 'IE' });
  });

  it('staticData: legacy browser=<index>, and a line with none of its fields is rejected', () => {
    expect(ok(line('eventType=staticData&browser=2')).data).toEqual({ browserIndex: 2 });
    expect(ok(line('eventType=staticData&browser=2&browserIndex=3')).data).toEqual({ browserIndex: 3 });
    expect(code(line('eventType=staticData'))).toBe('invalid_field');
    expect(code(line('eventType=staticData&osIndex=-1'))).toBe('invalid_field');
  });

  it('geolocation: country required, coordinates in range', () => {
    expect(ok(line('eventType=geolocation&country=France&region=Ile-de-France&city=Paris&postalCode=75001&latitude=48.86&longitude=2.34'))).toEqual({
      ...base,
      type: 'geolocation',
      data: { country: 'France', region: 'Ile-de-France', city: 'Paris', postalCode: '75001', latitude: 48.86, longitude: 2.34 },
    });
    expect(ok(line('eventType=geolocation&country=France')).data).toEqual({ country: 'France', region: null, city: null, postalCode: null, latitude: null, longitude: null });
    expect(code(line('eventType=geolocation&city=Paris'))).toBe('missing_field');
    expect(code(line('eventType=geolocation&country=X&latitude=91'))).toBe('invalid_field');
    expect(code(line('eventType=geolocation&country=X&longitude=-180.5'))).toBe('invalid_field');
  });

  it('activity: no data', () => {
    expect(ok(line('eventType=activity'))).toEqual({ ...base, type: 'activity', data: {} });
  });
});

describe('decodeEvent: event type', () => {
  it('matches eventType case-insensitively', () => {
    expect(ok(line('eventType=CONVERSION&goalId=1')).type).toBe('conversion');
    expect(ok(line('eventType=customdata&index=1&valuesCountMap=%7B%7D')).type).toBe('customData');
    expect(ok(line('eventType=STATICDATA&deviceType=TABLET')).type).toBe('staticData');
    expect(ok(line('eventType=TargetingSegment&id=1')).type).toBe('targetingSegment');
    expect(ok(line('eventType=PERSONALIZATION&id=1&variationId=2')).type).toBe('personalization');
  });

  it('rejects a missing or unknown eventType', () => {
    expect(code(line('goalId=1'))).toBe('missing_event_type');
    expect(code(line('eventType=&goalId=1'))).toBe('missing_event_type');
    expect(code(line('eventType=namedEvent'))).toBe('unknown_event_type');
    expect(code(line('eventType=PRODUCTBUY'))).toBe('unknown_event_type');
    expect(code(json({ eventType: 3 }))).toBe('unknown_event_type');
    expect(code(json({ eventType: ['conversion'] }))).toBe('unknown_event_type');
  });

  it('ignores unknown parameters', () => {
    expect(ok(line('eventType=activity&futureParam=1&sdkHint=x&userAgent=Mozilla/5.0 (X11)')).data).toEqual({});
  });
});

describe('decodeEvent: goalId spellings', () => {
  it('accepts goalId and tolerates goalID', () => {
    expect(ok(json({ eventType: 'CONVERSION', goalID: 36151, revenue: 23.5 })).data).toMatchObject({ goalId: 36151, revenue: 23.5 });
    expect(ok(line('eventType=conversion&goalID=9')).data).toMatchObject({ goalId: 9 });
    expect(ok(json({ eventType: 'conversion', goalId: 1, goalID: 2 })).data).toMatchObject({ goalId: 1 });
  });
});

describe('decodeEvent: JSON mode values', () => {
  it('takes structured values as JSON values or as JSON strings', () => {
    const asValues = ok(json({ eventType: 'customData', index: 2, valuesCountMap: { gold: 1, 'vip user': 1 }, overwrite: false, mappingIdentifier: false }));
    const asStrings = ok(json({ eventType: 'customData', index: '2', valuesCountMap: '{"gold":1,"vip user":1}', overwrite: 'false', mappingIdentifier: 'false' }));
    expect(asValues.data).toEqual({ index: 2, valuesCountMap: { gold: 1, 'vip user': 1 }, overwrite: false, mappingIdentifier: false });
    expect(asStrings.data).toEqual(asValues.data);

    expect(ok(json({ eventType: 'conversion', goalId: 1, metadata: { '3': ['a'] } })).data).toMatchObject({ metadata: { '3': ['a'] } });
    expect(ok(json({ eventType: 'conversion', goalId: 1, metadata: '{"3":["a"]}' })).data).toMatchObject({ metadata: { '3': ['a'] } });
    expect(ok(json({ eventType: 'page', href: '/', referrersIndices: [1, 3] })).data).toMatchObject({ referrersIndices: [1, 3] });
    expect(ok(json({ eventType: 'page', href: '/', referrersIndices: '[1,3]' })).data).toMatchObject({ referrersIndices: [1, 3] });
    expect(ok(json({ eventType: 'conversion', goalId: 1, negative: true, revenue: '23.50' })).data).toMatchObject({ negative: true, revenue: 23.5 });
  });

  it('bounds the nesting of metadata and keeps a value spelled __proto__', () => {
    const nested = (depth: number): unknown => (depth === 0 ? 'v' : { a: nested(depth - 1) });
    expect(ok(json({ eventType: 'conversion', goalId: 1, metadata: nested(LIMITS.metadataDepth) })).type).toBe('conversion');
    expect(code(json({ eventType: 'conversion', goalId: 1, metadata: nested(LIMITS.metadataDepth + 1) }))).toBe('invalid_field');
    const deepArray = JSON.parse('['.repeat(50_000) + ']'.repeat(50_000)) as unknown;
    expect(code(json({ eventType: deepArray }))).toBe('unknown_event_type');
    const map = ok(json({ eventType: 'customData', index: 1, valuesCountMap: JSON.parse('{"__proto__":1}') as unknown })).data as { valuesCountMap: object };
    expect(Object.keys(map.valuesCountMap)).toEqual(['__proto__']);
  });

  it('treats null as absent', () => {
    expect(ok(json({ eventType: 'page', href: '/', title: null, referrersIndices: null })).data).toMatchObject({ title: '', referrersIndices: [] });
  });

  it('rejects wrong types with invalid_field', () => {
    expect(code(json({ eventType: 'conversion', goalId: 'abc' }))).toBe('invalid_field');
    expect(code(json({ eventType: 'conversion', goalId: 1.5 }))).toBe('invalid_field');
    expect(code(json({ eventType: 'conversion', goalId: true }))).toBe('invalid_field');
    expect(code(json({ eventType: 'conversion', goalId: 1, revenue: true }))).toBe('invalid_field');
    expect(code(json({ eventType: 'conversion', goalId: 1, negative: 'yes' }))).toBe('invalid_field');
    expect(code(json({ eventType: 'conversion', goalId: 1, metadata: [1] }))).toBe('invalid_field');
    expect(code(json({ eventType: 'conversion', goalId: 1, metadata: '{' }))).toBe('invalid_field');
    expect(code(json({ eventType: 'page', href: { url: '/' } }))).toBe('invalid_field');
    expect(code(json({ eventType: 'page', href: '/', referrersIndices: { a: 1 } }))).toBe('invalid_field');
    expect(code(json({ eventType: 'customData', index: 1, valuesCountMap: ['gold'] }))).toBe('invalid_field');
    expect(code(json({ eventType: 'customData', index: 1, valuesCountMap: { gold: 'one' } }))).toBe('invalid_field');
    expect(code(json({ eventType: 'customData', index: 1, valuesCountMap: { gold: -1 } }))).toBe('invalid_field');
  });
});

describe('decodeEvent: numbers', () => {
  it('rejects NaN and Infinity', () => {
    expect(code(line('eventType=conversion&goalId=1&revenue=NaN'))).toBe('invalid_field');
    expect(code(line('eventType=conversion&goalId=1&revenue=Infinity'))).toBe('invalid_field');
    expect(code(line('eventType=conversion&goalId=1&revenue=1e400'))).toBe('invalid_field');
    expect(code(line('eventType=conversion&goalId=NaN'))).toBe('invalid_field');
    expect(code(json({ eventType: 'conversion', goalId: 1, revenue: Number.NaN }))).toBe('invalid_field');
    expect(code(json({ eventType: 'conversion', goalId: 1, revenue: Number.POSITIVE_INFINITY }))).toBe('invalid_field');
    expect(code(json({ eventType: 'geolocation', country: 'X', latitude: Number.NaN }))).toBe('invalid_field');
  });

  it('rejects negative ids, and ids above 2^31 − 1', () => {
    expect(code(line('eventType=experiment&id=-1&variationId=2'))).toBe('invalid_field');
    expect(code(line('eventType=conversion&goalId=-5'))).toBe('invalid_field');
    expect(code(line('eventType=experiment&id=2147483648&variationId=2'))).toBe('invalid_field');
    expect(code(line('eventType=targetingSegment&id=99999999999999999999'))).toBe('invalid_field');
    expect(code(line('eventType=customData&index=4294967296&valuesCountMap=%7B%7D'))).toBe('invalid_field');
    expect(ok(line(`eventType=experiment&id=${LIMITS.maxId}&variationId=0`)).data).toEqual({ id: 2147483647, variationId: 0 });
  });

  it('rejects a negative revenue (refunds are negative=true) and one beyond the limit', () => {
    expect(code(line('eventType=conversion&goalId=1&revenue=-5'))).toBe('invalid_field');
    expect(code(line(`eventType=conversion&goalId=1&revenue=${LIMITS.maxRevenue * 10}`))).toBe('invalid_field');
    expect(ok(line('eventType=conversion&goalId=1&revenue=1e3')).data).toMatchObject({ revenue: 1000 });
  });

  it('reads digit strings of any length, leading zeros and surrounding spaces as before', () => {
    expect(ok(line('eventType=experiment&id=007&variationId=%201%20')).data).toEqual({ id: 7, variationId: 1 });
    expect(ok(line('eventType=experiment&id=000000000000000000012&variationId=0')).data).toEqual({ id: 12, variationId: 0 });
    expect(code(line('eventType=experiment&id=1%C2%B2&variationId=0'))).toBe('invalid_field');
    expect(code(line('eventType=experiment&id=%D9%A1&variationId=0'))).toBe('invalid_field'); // Arabic-Indic one
  });
});

describe('decodeEvent: identity', () => {
  it('takes the event visitorCode, then its mappingValue, then the query identity', () => {
    const withQuery = { ...ctx, queryIdentity: { kind: 'visitorCode' as const, value: 'fromQuery' } };
    expect(ok(decodeEvent({ eventType: 'activity', nonce: NONCE, visitorCode: 'a', mappingValue: 'm' }, withQuery)).identity).toEqual({ kind: 'visitorCode', value: 'a' });
    expect(ok(decodeEvent({ eventType: 'activity', nonce: NONCE, mappingValue: 'm' }, withQuery)).identity).toEqual({ kind: 'mappingValue', value: 'm' });
    expect(ok(decodeEvent({ eventType: 'activity', nonce: NONCE }, withQuery)).identity).toEqual({ kind: 'visitorCode', value: 'fromQuery' });
    const mappingQuery = { ...ctx, queryIdentity: { kind: 'mappingValue' as const, value: 'user-42' } };
    expect(ok(decodeEvent({ eventType: 'activity', nonce: NONCE }, mappingQuery)).identity).toEqual({ kind: 'mappingValue', value: 'user-42' });
  });

  it('rejects an event with no identity at all', () => {
    expect(code(decodeEvent({ eventType: 'activity', nonce: NONCE }, ctx))).toBe('missing_identity');
  });

  it('rejects an empty identity rather than falling back to the query', () => {
    const withQuery = { ...ctx, queryIdentity: { kind: 'visitorCode' as const, value: 'q' } };
    expect(code(decodeEvent(parseLine(`eventType=activity&nonce=${NONCE}&visitorCode=`), withQuery))).toBe('invalid_identity');
    expect(code(decodeEvent({ eventType: 'activity', nonce: NONCE, mappingValue: '' }, ctx))).toBe('invalid_identity');
  });

  it('accepts visitor codes up to 255 characters, rejects longer ones and control characters', () => {
    expect(ok(decodeEvent({ eventType: 'activity', nonce: NONCE, visitorCode: 'v'.repeat(255) }, ctx)).identity.value).toHaveLength(255);
    expect(code(decodeEvent({ eventType: 'activity', nonce: NONCE, visitorCode: 'v'.repeat(256) }, ctx))).toBe('invalid_identity');
    expect(code(decodeEvent({ eventType: 'activity', nonce: NONCE, mappingValue: 'm'.repeat(1000) }, ctx))).toBe('invalid_identity');
    expect(code(decodeEvent({ eventType: 'activity', nonce: NONCE, visitorCode: 'a\u0000b' }, ctx))).toBe('invalid_identity');
    expect(code(decodeEvent({ eventType: 'activity', nonce: NONCE, visitorCode: { a: 1 } }, ctx))).toBe('invalid_identity');
  });

  it('checks the query identity like the event own one', () => {
    const bad = (value: string) => ({ ...ctx, queryIdentity: { kind: 'visitorCode' as const, value } });
    expect(code(decodeEvent({ eventType: 'activity', nonce: NONCE }, bad('a\u0000b')))).toBe('invalid_identity');
    expect(code(decodeEvent({ eventType: 'activity', nonce: NONCE }, bad('v'.repeat(256))))).toBe('invalid_identity');
    expect(ok(decodeEvent({ eventType: 'activity', nonce: NONCE, visitorCode: 'own' }, bad('a\u0000b'))).identity.value).toBe('own');
  });

  it('rejects lone surrogates, which JSON can spell', () => {
    expect(code(decodeEvent({ eventType: 'activity', nonce: NONCE, visitorCode: 'x\ud800' }, ctx))).toBe('invalid_identity');
    expect(code(json({ eventType: 'page', href: '/', title: 'a\udc00b' }))).toBe('invalid_field');
    expect(ok(json({ eventType: 'page', href: '/', title: 'a\ud83e\udd8eb' })).data).toMatchObject({ title: 'a🦎b' });
  });

  it('keeps identities exactly as sent (case, unicode, +)', () => {
    expect(ok(decodeEvent(parseLine(`eventType=activity&nonce=${NONCE}&visitorCode=Ab+c%20%F0%9F%98%80`), ctx)).identity).toEqual({ kind: 'visitorCode', value: 'Ab+c 😀' });
    expect(ok(decodeEvent({ eventType: 'activity', nonce: NONCE, visitorCode: 12345 }, ctx)).identity.value).toBe('12345');
  });
});

describe('decodeEvent: nonce', () => {
  it('needs 16 hexadecimal characters, any case, and stores it lower-case', () => {
    expect(ok(decodeEvent({ eventType: 'activity', nonce: 'a2bb4d22083348ef', visitorCode: 'v' }, ctx)).nonce).toBe('a2bb4d22083348ef');
    expect(ok(decodeEvent({ eventType: 'activity', nonce: 'A2BB4D22083348EF', visitorCode: 'v' }, ctx)).nonce).toBe('a2bb4d22083348ef');
    expect(ok(decodeEvent({ eventType: 'activity', nonce: 'A2bb4D22083348eF', visitorCode: 'v' }, ctx)).nonce).toBe('a2bb4d22083348ef');
  });

  it('rejects a missing nonce with missing_nonce and a malformed one with invalid_nonce', () => {
    expect(code(decodeEvent({ eventType: 'activity', visitorCode: 'v' }, ctx))).toBe('missing_nonce');
    expect(code(decodeEvent({ eventType: 'activity', nonce: '', visitorCode: 'v' }, ctx))).toBe('missing_nonce');
    expect(code(decodeEvent({ eventType: 'activity', nonce: null, visitorCode: 'v' }, ctx))).toBe('missing_nonce');
    for (const nonce of ['A2BB4D22083348E', 'A2BB4D22083348EF0', 'G2BB4D22083348EF', ' A2BB4D22083348E', 'A2BB-D22083348EF', '…']) {
      expect(code(decodeEvent({ eventType: 'activity', nonce, visitorCode: 'v' }, ctx))).toBe('invalid_nonce');
    }
    expect(code(decodeEvent({ eventType: 'activity', nonce: 1234567890123456, visitorCode: 'v' }, ctx))).toBe('invalid_nonce');
  });

  it('accepts exactly [0-9a-fA-F]: no character whose case-folded code lands in that range', () => {
    const hex = /^[0-9a-fA-F]$/;
    for (let c = 0; c < 0x3000; c++) {
      const nonce = `A2BB4D22083348E${String.fromCharCode(c)}`;
      expect(decodeEvent({ eventType: 'activity', nonce, visitorCode: 'v' }, ctx).ok).toBe(hex.test(String.fromCharCode(c)));
    }
  });
});

describe('decodeEvent: text', () => {
  it('keeps tabs, newlines and paired surrogates, refuses other control characters and lone surrogates', () => {
    expect(ok(json({ eventType: 'page', href: '/', title: 'a\tb\nc\rd😀' })).data).toMatchObject({ title: 'a\tb\nc\rd😀' });
    for (const title of ['a\u0000', 'a\u001f', 'a\u007f', 'a\u000b', '\udc00a', 'a\ud83d', '😀\ud83d']) {
      expect(code(json({ eventType: 'page', href: '/', title }))).toBe('invalid_field');
    }
  });
});

describe('decodeEvent: defaults', () => {
  it('gives each event its own default objects, so changing one event never changes another', () => {
    const a = ok(line('eventType=page&href=%2F')).data as { referrersIndices: number[] };
    const b = ok(line('eventType=page&href=%2F')).data as { referrersIndices: number[] };
    a.referrersIndices.push(1);
    expect(b.referrersIndices).toEqual([]);
    const m = ok(line('eventType=conversion&goalId=1')).data as { metadata: Record<string, unknown> };
    m.metadata.x = 1;
    expect((ok(line('eventType=conversion&goalId=1')).data as { metadata: object }).metadata).toEqual({});
  });
});

describe('decodeEvent: event time', () => {
  const at = (time: unknown) => decodeEvent({ eventType: 'conversion', goalId: 1, nonce: NONCE, visitorCode: 'v', time }, ctx);

  it('is the receive time unless the client gives one inside the horizon', () => {
    expect(ok(decodeEvent({ eventType: 'activity', nonce: NONCE, visitorCode: 'v' }, ctx)).time).toBe(NOW);
    expect(ok(at(NOW - 3_600_000)).time).toBe(NOW - 3_600_000);
    expect(ok(at(String(NOW - 5 * DAY))).time).toBe(NOW - 5 * DAY);
    expect(ok(at(NOW - 5 * DAY)).receivedAt).toBe(NOW);
  });

  it('accepts the horizon and the 5-minute skew exactly, rejects beyond with time_out_of_range', () => {
    expect(ok(at(NOW - 30 * DAY)).time).toBe(NOW - 30 * DAY);
    expect(code(at(NOW - 30 * DAY - 1))).toBe('time_out_of_range');
    expect(ok(at(NOW + LIMITS.futureSkewMs)).time).toBe(NOW + LIMITS.futureSkewMs);
    expect(code(at(NOW + LIMITS.futureSkewMs + 1))).toBe('time_out_of_range');
    expect(code(at(NOW + DAY))).toBe('time_out_of_range');
    expect(code(at(0))).toBe('time_out_of_range');
  });

  it('hints at seconds given for milliseconds', () => {
    const result = at(Math.floor(NOW / 1000));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejection.message).toMatch(/seconds/);
  });

  it('rejects a time that is not an integer number of milliseconds', () => {
    expect(code(at('yesterday'))).toBe('invalid_field');
    expect(code(at(NOW - 0.5))).toBe('invalid_field');
    expect(code(at(-1))).toBe('invalid_field');
    expect(code(at(Number.NaN))).toBe('invalid_field');
  });
});

describe('decodeEvent: itp and sdk', () => {
  it('takes itp and sdk from the request, an event may override itp', () => {
    const c = { ...ctx, itp: true, sdk: { name: 'GO', version: '3.18.0' } };
    const e = ok(decodeEvent({ eventType: 'activity', nonce: NONCE, visitorCode: 'v' }, c));
    expect(e.itp).toBe(true);
    expect(e.sdk).toEqual({ name: 'GO', version: '3.18.0' });
    expect(ok(decodeEvent({ eventType: 'activity', nonce: NONCE, visitorCode: 'v', itp: 'false' }, c)).itp).toBe(false);
  });
});

describe('decodeEvent: messages that say how to fix', () => {
  it('names lateEventHorizonMs, the PATCH that raises it and the cut-off as an ISO date', () => {
    const old = NOW - 45 * DAY;
    const result = json({ eventType: 'conversion', goalId: 1, time: old }, { ...ctx, siteCode: 'shop' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejection.code).toBe('time_out_of_range');
    expect(result.rejection.message).toBe(
      `time ${old} (${new Date(old).toISOString()}) is older than the late-event horizon of 30 days: events before ` +
        `${new Date(NOW - 30 * DAY).toISOString()} are refused; to accept it, raise the site's lateEventHorizonMs (now ${30 * DAY}) ` +
        `with PATCH /api/sites/shop {"lateEventHorizonMs": ${45 * DAY}} (45 days)`,
    );
    const ancient = json({ eventType: 'conversion', goalId: 1, time: NOW - 400 * DAY });
    expect(!ancient.ok && ancient.rejection.message).toMatch(/can be raised to at most 366 days \(lateEventHorizonMs, PATCH \/api\/sites\/\{siteCode\}\)$/);
    const seconds = json({ eventType: 'conversion', goalId: 1, time: Math.floor(NOW / 1000) });
    expect(!seconds.ok && seconds.rejection.message).toMatch(/looks like seconds \(multiply by 1000\)/);
    const ahead = json({ eventType: 'conversion', goalId: 1, time: NOW + 3_600_000 });
    expect(!ahead.ok && ahead.rejection.message).toBe(
      `time ${NOW + 3_600_000} (${new Date(NOW + 3_600_000).toISOString()}) is more than 5 minutes in the future (the server's clock says ${new Date(NOW).toISOString()})`,
    );
  });

  it('lists the supported event types for an unknown one, with the closest spelling', () => {
    const result = json({ eventType: 'CUSTOM_DATA' });
    expect(!result.ok && result.rejection.message).toBe(
      'eventType "CUSTOM_DATA" is not supported; did you mean customData? Supported (any case): conversion, customData, page, experiment, personalization, targetingSegment, staticData, geolocation, activity',
    );
    expect(!json({ eventType: ['x'] }).ok && (json({ eventType: ['x'] }) as { rejection: { message: string } }).rejection.message).toMatch(/^eventType must be a string, not an array; use one of conversion/);
    const typo = decodeEvent({ EventType: 'page', nonce: NONCE, visitorCode: 'v1' }, ctx);
    expect(!typo.ok && typo.rejection.message).toBe('eventType is required (`EventType` was sent; field names are case-sensitive)');
  });
});

describe('decodeEvent: fields the event type does not read', () => {
  const warnings = (r: DecodeResult) => r.warnings?.map((w) => (w.code === 'unknown_field' ? [w.field, w.suggestion ?? null] : [w.code]));

  it('warns with the closest known name: case, synonyms, typos, none', () => {
    expect(warnings(json({ eventType: 'conversion', goalId: 1, Revenue: 3, refund: true, amonut: 2, colour: 'red' }))).toEqual([
      ['Revenue', 'revenue'],
      ['refund', 'negative'],
      ['amonut', null],
      ['colour', null],
    ]);
    expect(warnings(json({ eventType: 'page', href: '/', titel: 'x', url: '/y' }))).toEqual([
      ['titel', 'title'],
      ['url', 'href'],
    ]);
    expect(warnings(json({ eventType: 'experiment', id: 1, variationID: 2 }))).toEqual([['variationID', 'variationId']]);
  });

  it('accepts the tolerated spellings and the common fields without a warning', () => {
    expect(json({ eventType: 'conversion', goalID: 1, time: NOW, itp: true }).warnings).toBeUndefined();
    expect(line('eventType=customData&index=1&valueToCount=%5B%5B%22a%22%2C1%5D%5D').warnings).toBeUndefined();
  });

  it('line-format SDK extras pass silently in lines only', () => {
    expect(line('eventType=activity&userAgent=Mozilla&keyPages=[]').warnings).toBeUndefined();
    expect(warnings(json({ eventType: 'activity', userAgent: 'Mozilla' }, { ...ctx, format: 'json' }))).toEqual([['userAgent', null]]);
  });

  it('strict=true rejects instead, naming the field and how many others', () => {
    const result = json({ eventType: 'conversion', goalId: 1, refund: true, note: 'x' }, { ...ctx, strict: true });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejection).toEqual({ code: 'unknown_field', message: expect.stringMatching(/^strict=true: `refund` is not a field of conversion; did you mean `negative`\? .* \(and 1 more unknown field\)$/) });
    expect(result.warnings).toHaveLength(2);
  });

  it('truncates a huge unknown name in its warning', () => {
    const name = 'x'.repeat(10_000);
    const [warning] = json({ eventType: 'activity', [name]: 1 }).warnings!;
    expect(warning!.code === 'unknown_field' && warning!.field).toHaveLength(65);
    expect(warning!.message.length).toBeLessThan(200);
  });
});

describe('decodeEvent: numbers and booleans sent as JSON strings', () => {
  const inJson: DecodeContext = { ...ctx, format: 'json' };
  const strict: DecodeContext = { ...inJson, strict: true };

  it('reads them as what they spell, with a warning per field (compatibility)', () => {
    const result = json({ eventType: 'conversion', goalId: '7', revenue: '10.50', negative: 'true', time: String(NOW - 1000), itp: '1' }, inJson);
    expect(ok(result)).toMatchObject({ data: { goalId: 7, revenue: 10.5, negative: true }, time: NOW - 1000, itp: true });
    expect(result.ok && result.stringValues).toBe(5);
    expect(result.warnings).toEqual([
      { code: 'string_value', field: 'time', message: `conversion: time is the string "${NOW - 1000}", not a JSON number; it was read as ${NOW - 1000} (send it without quotes; strict=true refuses strings here)` },
      { code: 'string_value', field: 'goalId', message: expect.stringContaining('goalId is the string "7", not a JSON number; it was read as 7') },
      { code: 'string_value', field: 'revenue', message: expect.stringContaining('revenue is the string "10.50", not a JSON number; it was read as 10.5') },
      { code: 'string_value', field: 'negative', message: expect.stringContaining('negative is the string "true", not a JSON boolean; it was read as true') },
      { code: 'string_value', field: 'itp', message: expect.stringContaining('itp is the string "1", not a JSON boolean') },
    ]);
  });

  it('says nothing for JSON values, for text fields, in the line format, or for a field the event leaves out', () => {
    const clean = json({ eventType: 'conversion', goalId: 7, revenue: 10.5, negative: true, metadata: '{"3":["a"]}' }, inJson);
    expect(clean.warnings).toBeUndefined();
    expect(json({ eventType: 'geolocation', country: 'France', postalCode: '75001' }, inJson).warnings).toBeUndefined();
    expect(line('eventType=conversion&goalId=7&revenue=10.50&negative=true').warnings).toBeUndefined();
  });

  it('rejects them with strict=true (string_value), naming the field and the type expected', () => {
    const result = json({ eventType: 'conversion', goalId: 7, revenue: '10.50' }, strict);
    expect(!result.ok && result.rejection).toEqual({ code: 'string_value', message: 'strict=true: conversion: revenue must be a JSON number, not the string "10.50"' });
    expect(code(json({ eventType: 'activity', itp: 'false' }, strict))).toBe('string_value');
    expect(code(json({ eventType: 'activity', time: String(NOW) }, strict))).toBe('string_value');
    expect(ok(json({ eventType: 'conversion', goalId: 7, revenue: 10.5 }, strict)).data).toMatchObject({ revenue: 10.5 });
  });

  it('still refuses a string that is not a number (invalid_field), strict or not', () => {
    expect(code(json({ eventType: 'conversion', goalId: 7, revenue: '10,50' }, inJson))).toBe('invalid_field');
    expect(code(json({ eventType: 'conversion', goalId: 7, negative: 'yes' }, strict))).toBe('invalid_field');
  });
});
