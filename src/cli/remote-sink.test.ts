import { describe, expect, it } from 'vitest';
import { parseLine } from '../ingest/line-format.ts';
import { linesOf, toLine } from './remote-sink.ts';

describe('events as lines for POST /visit/events', () => {
  it('round-trips through the line parser, whatever the values hold', () => {
    const fields = {
      eventType: 'conversion',
      visitorCode: 'a&b=c%d+e é\u00a0',
      goalId: 7,
      revenue: 12.5,
      negative: true,
      metadata: { store: 'Lyon\r\nPart-Dieu & co', '%': '100%' },
      nonce: '0123456789abcdef',
    };
    const parsed = parseLine(toLine(fields));
    expect({ ...parsed }).toEqual({
      eventType: 'conversion',
      visitorCode: 'a&b=c%d+e é\u00a0',
      goalId: '7',
      revenue: '12.5',
      negative: 'true',
      metadata: JSON.stringify(fields.metadata),
      nonce: '0123456789abcdef',
    });
    expect(toLine(fields)).not.toMatch(/[\r\n]/);
  });
});

describe('the rejected lines a counts answer locates', () => {
  it('reads numbers and ranges, and nothing past the body or malformed', () => {
    expect(linesOf('2-5,9', 10)).toEqual([2, 3, 4, 5, 9]);
    expect(linesOf('', 10)).toEqual([]);
    // A range past the body (or a hostile one) is cut to the body's lines, at once.
    expect(linesOf('8-1000000000,0-1', 10)).toEqual([8, 9, 10, 1]);
    expect(linesOf('x,3-y,4', 10)).toEqual([4]);
  });
});
