import { describe, expect, it } from 'vitest';
import type { VisitorEvent } from './events.ts';
import { currentMappingValue, linkFromEvent, personVisitorCodes, resolveMappingValue, type IdentityLink } from './identity.ts';

const T = 1_795_900_000_000;
const link = (mappingValue: string, visitorCode: string, time: number, nonce = '0000000000000001'): IdentityLink => ({ mappingValue, visitorCode, time, nonce });

function customData(identity: VisitorEvent['identity'], valuesCountMap: Record<string, number>, mappingIdentifier: boolean): VisitorEvent {
  return {
    type: 'customData',
    data: { index: 3, valuesCountMap, overwrite: true, mappingIdentifier },
    identity,
    nonce: '4a9f70447b652c01',
    time: T,
    receivedAt: T,
    itp: false,
    sdk: null,
  };
}

describe('linkFromEvent', () => {
  it('reads the link a mapping-identifier custom data event makes: its first value, its visitor code', () => {
    expect(linkFromEvent(customData({ kind: 'visitorCode', value: 'anon' }, { 'user-42': 1 }, true))).toEqual({
      mappingValue: 'user-42',
      visitorCode: 'anon',
      time: T,
      nonce: '4a9f70447b652c01',
    });
  });

  it('reads a self-link', () => {
    expect(linkFromEvent(customData({ kind: 'visitorCode', value: 'user-42' }, { 'user-42': 1 }, true))).toMatchObject({ mappingValue: 'user-42', visitorCode: 'user-42' });
  });

  it('makes no link from other events, plain custom data, or events addressed by mapping value', () => {
    expect(linkFromEvent(customData({ kind: 'visitorCode', value: 'anon' }, { gold: 1 }, false))).toBeNull();
    expect(linkFromEvent(customData({ kind: 'mappingValue', value: 'user-42' }, { 'user-42': 1 }, true))).toBeNull();
    expect(linkFromEvent(customData({ kind: 'visitorCode', value: 'anon' }, { '': 1 }, true))).toBeNull();
    expect(
      linkFromEvent({ type: 'activity', data: {}, identity: { kind: 'visitorCode', value: 'a' }, nonce: '0', time: T, receivedAt: T, itp: false, sdk: null }),
    ).toBeNull();
  });
});

describe('resolveMappingValue', () => {
  const links = [link('user-42', 'user-42', T), link('user-42', 'anon', T + 1000), link('user-42', 'tablet', T + 5000)];

  it('goes to the value itself while nothing is linked', () => {
    expect(resolveMappingValue('user-42', T, [])).toBe('user-42');
    expect(resolveMappingValue('user-42', T - 1, links)).toBe('user-42');
  });

  it('goes to the code linked most recently at or before the event time', () => {
    expect(resolveMappingValue('user-42', T, links)).toBe('user-42'); // the self-link, at exactly the event time
    expect(resolveMappingValue('user-42', T + 999, links)).toBe('user-42');
    expect(resolveMappingValue('user-42', T + 1000, links)).toBe('anon');
    expect(resolveMappingValue('user-42', T + 4999, links)).toBe('anon');
    expect(resolveMappingValue('user-42', T + 5000, links)).toBe('tablet');
    expect(resolveMappingValue('user-42', T + 10 ** 9, links)).toBe('tablet');
  });

  it('does not depend on the order of the link history', () => {
    for (const t of [T, T + 1000, T + 6000]) expect(resolveMappingValue('user-42', t, [...links].reverse())).toBe(resolveMappingValue('user-42', t, links));
  });

  it('breaks a tie between links at the same time by nonce, whatever their order', () => {
    const tie = [link('u', 'a', T, '00000000000000aa'), link('u', 'b', T, '00000000000000bb')];
    expect(resolveMappingValue('u', T, tie)).toBe(resolveMappingValue('u', T, [...tie].reverse()));
  });

  it('skips a code re-linked to another value since: it belongs to that other person now', () => {
    const history = [
      link('user-1', 'phone', T),
      link('user-1', 'tablet', T + 1000),
      link('user-2', 'tablet', T + 2000), // the shared tablet is now user-2's
    ];
    expect(resolveMappingValue('user-1', T + 1500, history)).toBe('tablet');
    expect(resolveMappingValue('user-1', T + 2000, history)).toBe('phone');
    expect(resolveMappingValue('user-1', T + 2000, [...history].reverse())).toBe('phone');
    expect(resolveMappingValue('user-2', T + 2000, history)).toBe('tablet');
    const alone = [link('user-1', 'tablet', T), link('user-2', 'tablet', T + 1000)];
    expect(resolveMappingValue('user-1', T + 5000, alone)).toBe('user-1');
    const back = [...alone, link('user-1', 'tablet', T + 3000)];
    expect(resolveMappingValue('user-1', T + 5000, back)).toBe('tablet');
  });

  it('ignores links to other values', () => {
    expect(resolveMappingValue('user-7', T + 10_000, links)).toBe('user-7');
  });
});

describe('currentMappingValue', () => {
  it('is the value the code was last linked to, by link time', () => {
    const history = [link('user-1', 'shared-tablet', T), link('user-2', 'shared-tablet', T + 1000), link('user-1', 'other', T + 2000)];
    expect(currentMappingValue('shared-tablet', history)).toBe('user-2');
    expect(currentMappingValue('shared-tablet', [...history].reverse())).toBe('user-2');
    expect(currentMappingValue('nobody', history)).toBeNull();
  });
});

describe('personVisitorCodes', () => {
  it('is the value alone when nothing is linked', () => {
    expect(personVisitorCodes('user-42', [])).toEqual(['user-42']);
  });

  it('holds the self-linked value and every code linked to it', () => {
    const links = [link('user-42', 'user-42', T), link('user-42', 'anon', T + 1000)];
    expect(personVisitorCodes('user-42', links).sort()).toEqual(['anon', 'user-42']);
  });

  it('follows a re-link: a code moved to another value leaves the first person', () => {
    const links = [link('user-1', 'tablet', T), link('user-1', 'phone', T), link('user-2', 'tablet', T + 1000)];
    expect(personVisitorCodes('user-1', links).sort()).toEqual(['phone', 'user-1']);
    expect(personVisitorCodes('user-2', links).sort()).toEqual(['tablet', 'user-2']);
  });

  it('undoes a wrong link when the code is linked back', () => {
    const links = [link('user-1', 'tablet', T), link('user-2', 'tablet', T + 1000), link('user-1', 'tablet', T + 2000)];
    expect(personVisitorCodes('user-1', links).sort()).toEqual(['tablet', 'user-1']);
    expect(personVisitorCodes('user-2', links)).toEqual(['user-2']);
  });

  it('leaves out the value used as a visitor code once that code is linked to another person', () => {
    const links = [link('user-9', 'user-42', T)];
    expect(personVisitorCodes('user-42', links)).toEqual([]);
    expect(personVisitorCodes('user-9', links).sort()).toEqual(['user-42', 'user-9']);
  });
});
