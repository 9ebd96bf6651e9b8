import { describe, expect, it } from 'vitest';
import { contentKeyText, jsonText, orderKeyText } from './row-to-event.ts';

// Nonces derived by an earlier version must stay the same: a re-import of an old file would
// otherwise store everything again. The key texts are built by hand; they must equal JSON.stringify.
describe('nonce key texts', () => {
  const values: unknown[] = ['plain', 'quo"te', 'back\\slash', 'tab\there', '\u0001', 'é ü 漢字', '\ud83d\ude00', '\ud800', '', 0, -0, 1.5, -2e-7, 1e21, Number.NaN, Infinity, true, false, null, { a: [1, 'x'] }];

  it('writes each value as JSON.stringify does', () => {
    for (const value of values) expect(jsonText(value), String(value)).toBe(JSON.stringify(value) ?? 'null');
  });

  it('builds the order key as the JSON array of its parts', () => {
    for (const value of values) {
      expect(orderKeyText('site"1', 'visitorCode', value, `o${String(value)}`, 'conversion', value, true)).toBe(JSON.stringify(['site"1', 'visitorCode', value, `o${String(value)}`, 'conversion', value, true]));
    }
  });

  it('builds the content key as [site, [[field, value]…]] sorted by field', () => {
    const fields = { visitorCode: 'v"1', revenue: 12.5, goalId: '7', time: 1_700_000_000_000, metadata: { k: 'v' }, negative: false };
    const sorted = Object.keys(fields).sort().map((k) => [k, fields[k as keyof typeof fields]]);
    expect(contentKeyText('s', fields)).toBe(JSON.stringify(['s', sorted]));
  });
});
