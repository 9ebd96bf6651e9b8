import { describe, expect, it } from 'vitest';
import { mapTtlHours, mergeMap, parseMapPatches } from './maps.ts';

describe('map rules', () => {
  it('merges shallowly: sent fields replace, null deletes, {} deletes the key, an emptied map is deleted', () => {
    expect(mergeMap({ a: 1, b: { x: 1 } }, { b: { y: 2 }, c: [1] })).toEqual({ a: 1, b: { y: 2 }, c: [1] });
    expect(mergeMap({ a: 1, b: 2 }, { a: null })).toEqual({ b: 2 });
    expect(mergeMap({ a: 1 }, {})).toBeNull();
    expect(mergeMap({ a: 1 }, { a: null })).toBeNull();
    expect(mergeMap(null, { a: null })).toBeNull();
    expect(mergeMap(null, { a: false, b: 0, c: '' })).toEqual({ a: false, b: 0, c: '' });
  });

  it('keeps a field named __proto__ (or constructor) as a field, never as the prototype', () => {
    const patch = JSON.parse('{"__proto__":{"polluted":true},"constructor":1}') as Record<string, unknown>;
    const merged = mergeMap(null, patch)!;
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.keys(merged)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(merged)).toBe('{"__proto__":{"polluted":true},"constructor":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const again = mergeMap(JSON.parse(JSON.stringify(merged)) as Record<string, unknown>, JSON.parse('{"__proto__":null}') as Record<string, unknown>);
    expect(again).toEqual({ constructor: 1 });
  });

  it('reads a body of keys to field objects, all or nothing', () => {
    expect(parseMapPatches({ k: { a: 1 }, gone: {} })).toEqual({ ok: true, patches: [{ key: 'k', fields: { a: 1 } }, { key: 'gone', fields: {} }] });
    for (const bad of [null, [], 'x', { k: null }, { k: [1] }, { k: 'v' }, { '': { a: 1 } }, { ['k'.repeat(101)]: {} }, { k: { ['f'.repeat(1025)]: 1 } }]) {
      expect(parseMapPatches(bad).ok).toBe(false);
    }
    expect(parseMapPatches({ ['k'.repeat(100)]: { ['f'.repeat(1024)]: 1 } }).ok).toBe(true);
    let deep: unknown = 1;
    for (let i = 0; i < 64; i++) deep = [deep];
    expect(parseMapPatches({ k: { v: deep } }).ok).toBe(true);
    expect(parseMapPatches({ k: { v: [deep] } }).ok).toBe(false);
  });

  it('reads ttlHours: default 2208, 1 to 8784, whole hours only', () => {
    expect(mapTtlHours(undefined)).toBe(2208);
    expect(mapTtlHours('')).toBe(2208);
    expect(mapTtlHours('1')).toBe(1);
    expect(mapTtlHours('8784')).toBe(8784);
    for (const bad of ['0', '8785', '-1', '1.5', '1e3', 'abc', '99999999999']) expect(mapTtlHours(bad)).toBeNull();
  });
});
