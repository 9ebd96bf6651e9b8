import { describe, expect, it } from 'vitest';
import type { Identity, SdkInfo, TypedEvent, VisitorEvent } from '../core/events.ts';
import { decodeEvent, type DecodeContext } from './decode-event.ts';
import { parseLineBody } from './parse-body.ts';

/**
 * Real lines as the SDKs write them (kameleoon-data-api.md §3.8, kameleoon-sdk-wire.md §5 and
 * Appendix A), each parsed and decoded to the exact event Anole stores.
 */
const NOW = 1_795_908_800_000;
const ctxOf = (sdk: SdkInfo | null): DecodeContext => ({ queryIdentity: null, receivedAt: NOW, lateHorizonMs: 30 * 86_400_000, itp: false, sdk });
const JS = { name: 'javascript', version: '4.17.1' };
const GO = { name: 'GO', version: '3.18.0' };
const PHP = { name: 'PHP', version: '4.20.0' };

function decodeBody(body: string, sdk: SdkInfo | null): VisitorEvent[] {
  return parseLineBody(body).map((raw) => {
    const result = decodeEvent(raw.fields!, ctxOf(sdk));
    if (!result.ok) throw new Error(`line ${JSON.stringify(raw.position)} rejected: ${result.rejection.code} ${result.rejection.message}`);
    // Nothing the SDKs send is ignored with a warning (their extras are expected), so strict=true takes it too.
    if (result.warnings) throw new Error(`line ${JSON.stringify(raw.position)} warned: ${result.warnings.map((w) => w.message).join('; ')}`);
    if (!decodeEvent(raw.fields!, { ...ctxOf(sdk), strict: true }).ok) throw new Error(`line ${JSON.stringify(raw.position)} refused with strict=true`);
    return result.event;
  });
}

const vc = (value: string): Identity => ({ kind: 'visitorCode', value });
const mv = (value: string): Identity => ({ kind: 'mappingValue', value });
function event(identity: Identity, nonce: string, typed: TypedEvent, sdk: SdkInfo | null): VisitorEvent {
  return { ...typed, identity, nonce: nonce.toLowerCase(), time: NOW, receivedAt: NOW, itp: false, sdk } as VisitorEvent;
}
const page = (href: string, title: string, referrersIndices: number[] = []): TypedEvent => ({
  type: 'page',
  data: { href, title, referrersIndices, keyPagesIndices: [], canonicalHref: null, referrerHref: null },
});
const custom = (index: number, valuesCountMap: Record<string, number>, mappingIdentifier = false): TypedEvent => ({
  type: 'customData',
  data: { index, valuesCountMap, overwrite: true, mappingIdentifier },
});
const summary = (visitNumber: number, timeSincePreviousVisit: number): TypedEvent => ({
  type: 'staticData',
  data: { browser: 'CHROME', browserIndex: 0, browserVersion: 120, visitNumber, timeSincePreviousVisit, os: 'LINUX', osIndex: 3, deviceType: 'DESKTOP' },
});

describe('JavaScript SDK 4.17.1 (captured)', () => {
  it('decodes the first 13-line POST exactly', () => {
    const body = [
      'eventType=experiment&id=4001&variationId=700002&nonce=3C91992A14A1C237&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=experiment&id=4002&variationId=700011&nonce=7230ABB52B6B5C4C&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=staticData&os=LINUX&osIndex=3&nonce=455C5553E9E83A84&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=staticData&deviceType=DESKTOP&nonce=4FB3EBDC140096FF&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=staticData&browser=CHROME&browserIndex=0&browserVersion=120&nonce=46F2FA4AE2E5034B&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=page&href=https%3A%2F%2Fshop.example.com%2F&title=Home&nonce=AAD35161EA57C29F&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=page&href=https%3A%2F%2Fshop.example.com%2Fproduct%2F42%3Fref%3Dmail&title=Running%20shoes&referrersIndices=[1]&nonce=53387CB5D364BC4D&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=customData&index=0&valuesCountMap=%7B%22gold%22%3A1%7D&overwrite=true&nonce=BB89928F2062C04E&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=customData&index=1&valuesCountMap=%7B%22premium%22%3A1%7D&overwrite=true&nonce=A6EDD997A0150AB8&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=customData&index=5&valuesCountMap=%7B%22newsletter%22%3A1%2C%22sms%22%3A1%7D&overwrite=true&nonce=E694DEEC792D4BB2&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=geolocation&country=France&region=Ile-de-France&city=Paris&postalCode=75001&latitude=48.86&longitude=2.34&nonce=582243F2F7BF4C97&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=conversion&goalId=2001&revenue=49.9&negative=false&nonce=DBA9D8CD8DAE1A69&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=staticData&browser=CHROME&browserIndex=0&browserVersion=120&visitNumber=0&timeSincePreviousVisit=0&os=LINUX&osIndex=3&deviceType=DESKTOP&nonce=5AEC2C7FB8859F3E&visitorCode=k3v9q2m7x1p8z4w6',
    ].join('\n');
    const k = vc('k3v9q2m7x1p8z4w6');
    expect(decodeBody(body, JS)).toEqual([
      event(k, '3C91992A14A1C237', { type: 'experiment', data: { id: 4001, variationId: 700002 } }, JS),
      event(k, '7230ABB52B6B5C4C', { type: 'experiment', data: { id: 4002, variationId: 700011 } }, JS),
      event(k, '455C5553E9E83A84', { type: 'staticData', data: { os: 'LINUX', osIndex: 3 } }, JS),
      event(k, '4FB3EBDC140096FF', { type: 'staticData', data: { deviceType: 'DESKTOP' } }, JS),
      event(k, '46F2FA4AE2E5034B', { type: 'staticData', data: { browser: 'CHROME', browserIndex: 0, browserVersion: 120 } }, JS),
      event(k, 'AAD35161EA57C29F', page('https://shop.example.com/', 'Home'), JS),
      event(k, '53387CB5D364BC4D', page('https://shop.example.com/product/42?ref=mail', 'Running shoes', [1]), JS),
      event(k, 'BB89928F2062C04E', custom(0, { gold: 1 }), JS),
      event(k, 'A6EDD997A0150AB8', custom(1, { premium: 1 }), JS),
      event(k, 'E694DEEC792D4BB2', custom(5, { newsletter: 1, sms: 1 }), JS),
      event(
        k,
        '582243F2F7BF4C97',
        { type: 'geolocation', data: { country: 'France', region: 'Ile-de-France', city: 'Paris', postalCode: '75001', latitude: 48.86, longitude: 2.34 } },
        JS,
      ),
      event(k, 'DBA9D8CD8DAE1A69', { type: 'conversion', data: { goalId: 2001, revenue: 49.9, negative: false, metadata: {} } }, JS),
      event(k, '5AEC2C7FB8859F3E', summary(0, 0), JS),
    ]);
  });

  it('decodes a conversion with metadata and a targeting segment', () => {
    const body = [
      'eventType=conversion&goalId=2002&revenue=19.99&negative=false&metadata=%7B%220%22%3A%5B%22gold%22%5D%7D&nonce=6AE3716798C11E7F&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=targetingSegment&id=8001&nonce=E13CCBF7A35ED9F8&visitorCode=k3v9q2m7x1p8z4w6',
    ].join('\n');
    const k = vc('k3v9q2m7x1p8z4w6');
    expect(decodeBody(body, JS)).toEqual([
      event(k, '6AE3716798C11E7F', { type: 'conversion', data: { goalId: 2002, revenue: 19.99, negative: false, metadata: { '0': ['gold'] } } }, JS),
      event(k, 'E13CCBF7A35ED9F8', { type: 'targetingSegment', data: { id: 8001 } }, JS),
    ]);
  });

  it('decodes the bodyUa=true POST whose first line ends with the raw user agent, and the self-link of user-42', () => {
    const body = [
      'eventType=experiment&id=4001&variationId=700002&nonce=C2500ADD0E4CAE10&visitorCode=user-42&userAgent=Mozilla/5.0 (X11; Linux x86_64) HarnessBot/1.0',
      'eventType=staticData&os=LINUX&osIndex=3&nonce=F83DFBF7B9379524&visitorCode=user-42',
      'eventType=page&href=https%3A%2F%2Fshop.example.com%2F&title=Home&nonce=3C30F2A920A23130&visitorCode=user-42',
      'eventType=customData&index=0&valuesCountMap=%7B%22silver%22%3A1%7D&overwrite=true&nonce=FBBC83397E055D6A&visitorCode=user-42',
      'eventType=customData&index=3&valuesCountMap=%7B%22user-42%22%3A1%7D&overwrite=true&mappingIdentifier=true&nonce=4A9F70447B652C01&visitorCode=user-42',
    ].join('\n');
    const raws = parseLineBody(body);
    expect(raws[0]!.fields!.userAgent).toBe('Mozilla/5.0 (X11; Linux x86_64) HarnessBot/1.0');
    const u = vc('user-42');
    expect(decodeBody(body, JS)).toEqual([
      event(u, 'C2500ADD0E4CAE10', { type: 'experiment', data: { id: 4001, variationId: 700002 } }, JS),
      event(u, 'F83DFBF7B9379524', { type: 'staticData', data: { os: 'LINUX', osIndex: 3 } }, JS),
      event(u, '3C30F2A920A23130', page('https://shop.example.com/', 'Home'), JS),
      event(u, 'FBBC83397E055D6A', custom(0, { silver: 1 }), JS),
      event(u, '4A9F70447B652C01', custom(3, { 'user-42': 1 }, true), JS),
    ]);
  });

  it('decodes the mappingValue=user-42 lines, mixed with another visitor in one body', () => {
    const body = [
      'eventType=customData&index=3&valuesCountMap=%7B%22user-42%22%3A1%7D&overwrite=true&mappingIdentifier=true&nonce=125E156962C8D136&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=staticData&browser=CHROME&browserIndex=0&browserVersion=120&visitNumber=2&timeSincePreviousVisit=1802885&os=LINUX&osIndex=3&deviceType=DESKTOP&nonce=85D3148AA6B754A6&visitorCode=k3v9q2m7x1p8z4w6',
      'eventType=page&href=https%3A%2F%2Fshop.example.com%2F&title=Home&nonce=374A5C86711DE7E8&mappingValue=user-42',
      'eventType=conversion&goalId=2001&revenue=5&negative=false&nonce=6B25F1F385AA03F1&mappingValue=user-42',
      'eventType=staticData&browser=CHROME&browserIndex=0&browserVersion=120&visitNumber=2&timeSincePreviousVisit=1802139&os=LINUX&osIndex=3&deviceType=DESKTOP&nonce=43FEEEC705DF83FB&mappingValue=user-42',
    ].join('\n');
    const k = vc('k3v9q2m7x1p8z4w6');
    const m = mv('user-42');
    expect(decodeBody(body, JS)).toEqual([
      event(k, '125E156962C8D136', custom(3, { 'user-42': 1 }, true), JS),
      event(k, '85D3148AA6B754A6', summary(2, 1802885), JS),
      event(m, '374A5C86711DE7E8', page('https://shop.example.com/', 'Home'), JS),
      event(m, '6B25F1F385AA03F1', { type: 'conversion', data: { goalId: 2001, revenue: 5, negative: false, metadata: {} } }, JS),
      event(m, '43FEEEC705DF83FB', summary(2, 1802139), JS),
    ]);
  });

  it('decodes the core examples: raw [1,3], escaped metadata, IE browser, activity', () => {
    const body = [
      'eventType=page&href=https%3A%2F%2Fex.com%2Fp%3Fa%3D1%26b%3D2&title=Home%20page&referrersIndices=[1,3]&nonce=0A1B2C3D4E5F6780&visitorCode=abc123',
      'eventType=conversion&goalId=36151&revenue=23.5&negative=false&metadata=%7B%223%22%3A%5B%22store-42%22%5D%2C%225%22%3A%5B%22a%26b%22%2C%22c%5C%22d%22%5D%7D&nonce=0A1B2C3D4E5F6789&visitorCode=abc123',
      'eventType=customData&index=2&valuesCountMap=%7B%22gold%22%3A1%2C%22vip%20user%22%3A1%7D&overwrite=true&nonce=0A1B2C3D4E5F6781&visitorCode=abc123',
      'eventType=staticData&browser=IE&browserIndex=1&browserVersion=11&nonce=0A1B2C3D4E5F6782&visitorCode=abc123',
      'eventType=staticData&deviceType=PHONE&nonce=0A1B2C3D4E5F6783&visitorCode=abc123',
      'eventType=staticData&os=IOS&osIndex=2&nonce=0A1B2C3D4E5F6784&visitorCode=abc123',
      'eventType=activity&nonce=0A1B2C3D4E5F6785&visitorCode=otherVisitor',
    ].join('\n');
    const a = vc('abc123');
    expect(decodeBody(body, JS)).toEqual([
      event(a, '0A1B2C3D4E5F6780', page('https://ex.com/p?a=1&b=2', 'Home page', [1, 3]), JS),
      event(a, '0A1B2C3D4E5F6789', { type: 'conversion', data: { goalId: 36151, revenue: 23.5, negative: false, metadata: { '3': ['store-42'], '5': ['a&b', 'c"d'] } } }, JS),
      event(a, '0A1B2C3D4E5F6781', custom(2, { gold: 1, 'vip user': 1 }), JS),
      event(a, '0A1B2C3D4E5F6782', { type: 'staticData', data: { browser: 'IE', browserIndex: 1, browserVersion: 11 } }, JS),
      event(a, '0A1B2C3D4E5F6783', { type: 'staticData', data: { deviceType: 'PHONE' } }, JS),
      event(a, '0A1B2C3D4E5F6784', { type: 'staticData', data: { os: 'IOS', osIndex: 2 } }, JS),
      event(vc('otherVisitor'), '0A1B2C3D4E5F6785', { type: 'activity', data: {} }, JS),
    ]);
  });
});

describe('GO SDK (sorted keys, url.QueryEscape with + → %20)', () => {
  it('decodes sorted-key lines with a url-encoded user agent and %f numbers', () => {
    const body = [
      'eventType=conversion&goalId=36151&negative=false&nonce=0A1B2C3D4E5F6789&revenue=23.5&visitorCode=abc123&userAgent=Mozilla%2F5.0%20%28X11%3B%20Linux%20x86_64%29%20AppleWebKit%2F537.36',
      'eventType=customData&index=2&nonce=7C3E1F0A9B8D2C4E&overwrite=true&valuesCountMap=%7B%22gold%22%3A1%2C%22vip%20user%22%3A1%7D&visitorCode=abc123',
      'eventType=staticData&nonce=1F2E3D4C5B6A7980&timeSincePreviousVisit=86400000&visitNumber=3&visitorCode=abc123',
      'eventType=staticData&browserIndex=0&browserVersion=120.500000&nonce=1F2E3D4C5B6A7981&visitorCode=abc123',
      'eventType=geolocation&city=Paris&country=France&latitude=48.850000&longitude=2.350000&nonce=1F2E3D4C5B6A7982&postalCode=75001&region=IDF&visitorCode=abc123',
      'eventType=page&href=https%3A%2F%2Fex.com%2F%3Fq%3Da%2Bb&nonce=1F2E3D4C5B6A7983&referrersIndices=%5B1%2C3%5D&title=Hello%20world&visitorCode=abc123',
      'eventType=experiment&id=101&nonce=9A8B7C6D5E4F3A2B&variationId=202&mappingValue=user-42',
    ].join('\n');
    const raws = parseLineBody(body);
    expect(raws[0]!.fields!.userAgent).toBe('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36');
    const a = vc('abc123');
    expect(decodeBody(body, GO)).toEqual([
      event(a, '0A1B2C3D4E5F6789', { type: 'conversion', data: { goalId: 36151, revenue: 23.5, negative: false, metadata: {} } }, GO),
      event(a, '7C3E1F0A9B8D2C4E', custom(2, { gold: 1, 'vip user': 1 }), GO),
      event(a, '1F2E3D4C5B6A7980', { type: 'staticData', data: { visitNumber: 3, timeSincePreviousVisit: 86400000 } }, GO),
      event(a, '1F2E3D4C5B6A7981', { type: 'staticData', data: { browserIndex: 0, browserVersion: 120.5 } }, GO),
      event(
        a,
        '1F2E3D4C5B6A7982',
        { type: 'geolocation', data: { country: 'France', region: 'IDF', city: 'Paris', postalCode: '75001', latitude: 48.85, longitude: 2.35 } },
        GO,
      ),
      event(a, '1F2E3D4C5B6A7983', page('https://ex.com/?q=a+b', 'Hello world', [1, 3]), GO),
      event(mv('user-42'), '9A8B7C6D5E4F3A2B', { type: 'experiment', data: { id: 101, variationId: 202 } }, GO),
    ]);
  });
});

describe('PHP SDK (rawurlencode, ! * \' ( ) left as is, trailing newline)', () => {
  it('decodes a body ending with a newline, keeping unescaped punctuation', () => {
    const body =
      [
        "eventType=page&href=https%3A%2F%2Fshop.example.com%2Fmen%27s&title=Shoes%20(men's)%21*&nonce=aa00bb11cc22dd33&visitorCode=php-visitor&userAgent=Mozilla%2F5.0%20%28Windows%20NT%2010.0%3B%20Win64%3B%20x64%29",
        'eventType=conversion&goalId=77&revenue=12.5&negative=true&nonce=AA00BB11CC22DD34&visitorCode=php-visitor',
        'eventType=customData&index=4&valuesCountMap=%7B%22caf%C3%A9%20cr%C3%A8me%22%3A1%7D&overwrite=false&nonce=AA00BB11CC22DD35&visitorCode=php-visitor',
      ].join('\n') + '\n';
    expect(parseLineBody(body)).toHaveLength(3);
    const p = vc('php-visitor');
    expect(decodeBody(body, PHP)).toEqual([
      event(p, 'aa00bb11cc22dd33', page("https://shop.example.com/men's", "Shoes (men's)!*"), PHP),
      event(p, 'AA00BB11CC22DD34', { type: 'conversion', data: { goalId: 77, revenue: 12.5, negative: true, metadata: {} } }, PHP),
      event(p, 'AA00BB11CC22DD35', { type: 'customData', data: { index: 4, valuesCountMap: { 'café crème': 1 }, overwrite: false, mappingIdentifier: false } }, PHP),
    ]);
  });
});

describe('legacy SDKs', () => {
  it('decodes valueToCount and browser=<index>', () => {
    const body = [
      'eventType=customData&index=1&valueToCount=%5B%5B%22gold%22%2C1%5D%5D&overwrite=true&nonce=0123456789ABCDEF&visitorCode=old-sdk',
      'eventType=staticData&browser=3&nonce=0123456789ABCDE0&visitorCode=old-sdk',
      'eventType=page&href=https%3A%2F%2Fold.example%2F&title=Old&keyPages=%5B%5D&nonce=0123456789ABCDE1&visitorCode=old-sdk',
    ].join('\r\n');
    const o = vc('old-sdk');
    expect(decodeBody(body, null)).toEqual([
      event(o, '0123456789ABCDEF', custom(1, { gold: 1 }), null),
      event(o, '0123456789ABCDE0', { type: 'staticData', data: { browserIndex: 3 } }, null),
      event(o, '0123456789ABCDE1', page('https://old.example/', 'Old'), null),
    ]);
  });
});
