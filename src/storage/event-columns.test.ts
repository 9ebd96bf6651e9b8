import { describe, expect, it } from 'vitest';
import type { VisitorEvent } from '../core/events.ts';
import { rowOf, toEventColumns } from './event-columns.ts';
import { toEventRow } from './event-rows.ts';

const base = { nonce: '0123456789abcdef', time: 1_700_000_000_000, receivedAt: 1_700_000_000_500 };
const events: VisitorEvent[] = [
  { ...base, type: 'conversion', identity: { kind: 'visitorCode', value: 'v1' }, itp: false, sdk: null, data: { goalId: 3, revenue: 9.5, negative: false, metadata: null } },
  { ...base, type: 'customData', identity: { kind: 'visitorCode', value: 'v2' }, itp: true, sdk: { name: 'js', version: '3.1' }, data: { index: 0, valuesCountMap: { 'user-7': 1 }, overwrite: true, mappingIdentifier: true } },
] as unknown as VisitorEvent[];

describe('event columns', () => {
  it('hold each event exactly as its row form (the form PostgreSQL stores), and a mapping event its link', () => {
    const columns = toEventColumns(events.map((event) => ({ siteId: 4, event })));
    events.forEach((event, i) => expect(rowOf(columns, i)).toEqual(toEventRow(event)));
    expect(columns.site).toEqual([4, 4]);
    expect(columns.link).toEqual([null, 'user-7']);
  });
});
