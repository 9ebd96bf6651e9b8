import { describe, expect, it } from 'vitest';
import { parseLine } from '../ingest/line-format.ts';
import { toLine } from './remote-sink.ts';

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
