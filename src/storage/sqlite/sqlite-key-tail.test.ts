import { describe, expect, it } from 'vitest';
import { IdentityTail, type Position } from './sqlite-identity-tail.ts';
import { identityHash, keyHash, KeyTail } from './sqlite-event-keys.ts';
import { KeyRows } from './sqlite-key-table.ts';

const TOP: Position = { time: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER };

function drain(tail: IdentityTail, siteId: number, vkey: number, from: Position = TOP): Position[] {
  const out: Position[] = [];
  const cursor = tail.below(siteId, vkey, from);
  for (let head = cursor.peek(); head; head = cursor.peek()) {
    out.push(head);
    cursor.advance();
  }
  return out;
}

const newestFirst = (rows: Position[]) => [...rows].sort((a, b) => b.time - a.time || b.seq - a.seq);

describe('identity tail: an identity rows newest first, without sorting them per read', () => {
  it('reads rows arriving in any time order newest first, below any cursor, across folds of late rows', () => {
    const tail = new IdentityTail();
    const rows: Position[] = [];
    // In order, then a long run of late rows (more than are kept unsorted), then ties on time.
    for (let seq = 1; seq <= 3000; seq++) {
      const time = seq <= 1000 ? seq * 10 : seq <= 2600 ? (3000 - seq) * 7 : 5000;
      tail.add(1, 42, seq, time);
      rows.push({ seq, time });
    }
    tail.add(1, 43, 3001, 1);
    tail.add(2, 42, 3002, 1);
    expect(tail.size).toBe(3002);
    expect(tail.countOf(1, 42)).toBe(3000);
    expect(drain(tail, 1, 42)).toEqual(newestFirst(rows));
    const from = { time: 5000, seq: 2800 };
    const expected = newestFirst(rows).filter((r) => r.time < from.time || (r.time === from.time && r.seq < from.seq));
    expect(drain(tail, 1, 42, from)).toEqual(expected);
    expect(drain(tail, 2, 42)).toEqual([{ seq: 3002, time: 1 }]);
    expect(drain(tail, 3, 42)).toEqual([]);
    expect(tail.seqsOf(1, 42).sort((a, b) => a - b)).toEqual(rows.map((r) => r.seq));
    // From a time on, ordered and late rows alike, the boundary included.
    for (const since of [Number.MIN_SAFE_INTEGER, 0, 5000, 3500, 70, 10_001]) {
      const seqs: number[] = [];
      tail.seqsSince(1, 42, since, seqs);
      expect(seqs.sort((a, b) => a - b), `since ${since}`).toEqual(rows.filter((r) => r.time >= since).map((r) => r.seq));
    }
    const none: number[] = [];
    tail.seqsSince(3, 42, 0, none);
    expect(none).toEqual([]);
  });

  it('drops removed rows from the ordered and the late ones', () => {
    const tail = new IdentityTail();
    tail.add(1, 7, 1, 100);
    tail.add(1, 7, 2, 50);
    tail.add(1, 7, 3, 200);
    tail.remove(1, 7, 2);
    tail.remove(1, 7, 3);
    expect(drain(tail, 1, 7)).toEqual([{ seq: 1, time: 100 }]);
    tail.remove(1, 7, 1);
    expect(tail.size).toBe(0);
    expect(tail.countOf(1, 7)).toBe(0);
  });
});

describe('key rows: seqs by (site, identity hash, nonce hash)', () => {
  it('keeps every seq of colliding keys, skips dead rows, and survives growth of rows and slots', () => {
    const rows = new KeyRows(4);
    const seqsOf = (site: number, vkey: number, nkey: number) => {
      const found: number[] = [];
      rows.some(site, vkey, nkey, (seq: number) => (found.push(seq), false));
      return found.sort((a, b) => a - b);
    };
    for (let i = 1; i <= 5000; i++) rows.add(1, 2 ** 52 + i, 2 ** 40 + (i % 97), i, 1000 + i);
    rows.add(1, 2 ** 52 + 5, 2 ** 40 + 5, 9001, 7);
    rows.add(2, 2 ** 52 + 5, 2 ** 40 + 5, 9002, 7);
    expect(rows.length).toBe(5002);
    expect(seqsOf(1, 2 ** 52 + 5, 2 ** 40 + 5)).toEqual([5, 9001]);
    expect(seqsOf(2, 2 ** 52 + 5, 2 ** 40 + 5)).toEqual([9002]);
    const r = rows.rowOf(1, 2 ** 52 + 5, 2 ** 40 + 5, 5);
    expect([rows.seqAt(r), rows.timeAt(r), rows.siteAt(r)]).toEqual([5, 1005, 1]);
    rows.kill(r);
    expect(rows.isLive(r)).toBe(false);
    expect(seqsOf(1, 2 ** 52 + 5, 2 ** 40 + 5)).toEqual([9001]);
    expect(rows.rowOf(1, 2 ** 52 + 5, 2 ** 40 + 5, 5)).toBe(-1);
    expect(rows.rowOf(1, 2 ** 52 + 4999, 2 ** 40 + (4999 % 97), 4999)).toBeGreaterThanOrEqual(0);
    expect(rows.some(1, 2 ** 52 + 5, 2 ** 40 + 5, (seq: number) => seq === 9001)).toBe(true);
    expect(seqsOf(1, 123, 456)).toEqual([]);
  });
});

describe('key tail: the merge order', () => {
  it('hands out every row once, by site and then by identity hash range, each bucket sortable alone', () => {
    const tail = new KeyTail();
    const keys = Array.from({ length: 3000 }, (_, i) => ({ seq: i + 1, siteId: 1 + (i % 3), vkey: ((i * 2654435761) % 2 ** 32) * 2 ** 21 + i, nkey: i * 7, time: i }));
    for (const key of keys) tail.add(key);
    const { rows, starts } = tail.mergeOrder();
    for (let b = 0; b + 1 < starts.length; b++) rows.subarray(starts[b], starts[b + 1]).sort((x, y) => tail.rows.compare(x, y));
    const merged = [...rows].map((r) => [tail.rows.siteAt(r), tail.rows.vkeyAt(r), tail.rows.nkeyAt(r), tail.rows.seqAt(r)]);
    const expected = keys.map((k) => [k.siteId, k.vkey, k.nkey, k.seq]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]! || a[3]! - b[3]!);
    expect(merged).toEqual(expected);
  });
});

describe('key hashes', () => {
  it('hashes an identity piece by piece exactly as the joined text the migration hashes', () => {
    // Stored hashes must not change: the index on disk and migration 4 use keyHash of `kind NUL identity`.
    for (const kind of [0, 1, 12]) {
      for (const identity of ['', 'v1', 'abcdefghijklmnop', 'user@example.com', 'été', '😀 surrogate pair', 'x'.repeat(300)]) {
        expect(identityHash(kind, identity)).toBe(keyHash(`${kind}\u0000${identity}`));
      }
    }
    expect(keyHash('v1')).toBe(1925060590527469);
    expect(identityHash(0, 'v1')).toBe(2360528400714901);
  });
});

