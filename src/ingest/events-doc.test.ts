import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../core/events.ts';
import { decodeEvent, type DecodeContext } from './decode-event.ts';
import { EVENT_SPECS, type FieldSpec } from './event-specs.ts';
import { eventsMarkdown, exampleJson, exampleLine } from './events-doc.ts';
import { parseLine } from './line-format.ts';

const NOW = 1_795_908_800_000;
const ctx: DecodeContext = { queryIdentity: null, receivedAt: NOW, lateHorizonMs: 30 * 86_400_000, itp: false, sdk: null };

describe('docs/events.md', () => {
  it('is the output of the field specs (run `npm run docs:events` after changing them)', () => {
    const doc = fs.readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
    expect(doc).toBe(eventsMarkdown());
  });

  it('shows examples that decode, in both formats, to the same event and without a warning', () => {
    for (const type of EVENT_TYPES) {
      const { example } = EVENT_SPECS[type];
      const line = decodeEvent(parseLine(exampleLine(type, example)), { ...ctx, strict: true });
      const json = decodeEvent(exampleJson(type, example), { ...ctx, format: 'json', strict: true });
      expect(line.ok && line.event, `${type} line`).toBeTruthy();
      expect(json.ok && json.event, `${type} JSON`).toEqual(line.ok && line.event);
    }
  });

  it('states only limits the decoders enforce: the bound passes, one past it is refused', () => {
    for (const type of EVENT_TYPES) {
      for (const [name, field] of Object.entries(EVENT_SPECS[type].fields as Record<string, FieldSpec>)) {
        const { doc, decode } = field;
        const where = `${type}.${name}`;
        const step = doc.type === 'integer' ? 1 : Math.max(1e-6, Math.abs(doc.max ?? 1) * 1e-9);
        if (doc.max !== undefined && doc.max < Number.MAX_SAFE_INTEGER) {
          expect(decode(doc.max).ok, `${where} = max`).toBe(true);
          expect(decode(doc.max + step).ok, `${where} > max`).toBe(false);
        }
        if (doc.min !== undefined) {
          expect(decode(doc.min).ok, `${where} = min`).toBe(true);
          expect(decode(doc.min - step).ok, `${where} < min`).toBe(false);
        }
        if (doc.maxLength !== undefined) {
          expect(decode('a'.repeat(doc.maxLength)).ok, `${where} at its length`).toBe(true);
          expect(decode('a'.repeat(doc.maxLength + 1)).ok, `${where} past its length`).toBe(false);
        }
        if (doc.maxEntries !== undefined) {
          const many = (n: number): unknown =>
            doc.type === 'array'
              ? Array.from({ length: n }, (_, i) => i)
              : Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), name === 'metadata' ? ['a'] : 1]));
          expect(decode(many(doc.maxEntries)).ok, `${where} at its entries`).toBe(true);
          expect(decode(many(doc.maxEntries + 1)).ok, `${where} past its entries`).toBe(false);
        }
      }
    }
  });
});
