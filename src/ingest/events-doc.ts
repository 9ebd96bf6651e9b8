import { EVENT_TYPES } from '../core/events.ts';
import { LIMITS } from '../core/limits.ts';
import { COMMON_FIELDS, EVENT_SPECS, LINE_FORMAT_EXTRAS, type FieldDoc, type FieldSpec } from './event-specs.ts';

/**
 * docs/events.md, generated from the field specs the decoders run with (`npm run docs:events`); a
 * test keeps the file equal to this output and checks that every limit it states is enforced.
 */

const EXAMPLE_NONCE = '0123456789abcdef';
const EXAMPLE_VISITOR = '245fc';

const cell = (text: string) => text.replace(/\|/g, '\\|');

function limitsOf(doc: FieldDoc): string {
  const parts: string[] = [];
  if (doc.min !== undefined || doc.max !== undefined) {
    const fmt = (n: number) => (n === Number.MAX_SAFE_INTEGER ? '2^53 − 1' : n === LIMITS.maxRevenue ? '10^12' : n.toLocaleString('en-US'));
    parts.push(doc.max === undefined ? `≥ ${fmt(doc.min!)}` : `${fmt(doc.min ?? 0)} … ${fmt(doc.max)}`);
  }
  if (doc.maxLength !== undefined) parts.push(`≤ ${doc.maxLength.toLocaleString('en-US')} characters`);
  if (doc.maxEntries !== undefined) parts.push(`≤ ${doc.maxEntries} ${doc.type === 'array' ? 'items' : 'entries'}`);
  return parts.join(', ') || '—';
}

function defaultOf(field: FieldSpec): string {
  if (field.required) return '(required)';
  if (field.fallback === undefined) return 'left out';
  const value = typeof field.fallback === 'function' ? field.fallback() : field.fallback;
  return `\`${JSON.stringify(value)}\``;
}

/** A value as the line format carries it: structured values as JSON, then percent-encoded. */
function lineValue(value: unknown): string {
  return encodeURIComponent(typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
}

export function exampleLine(type: string, fields: Record<string, unknown>): string {
  const params = [['eventType', type], ...Object.entries(fields), ['nonce', EXAMPLE_NONCE], ['visitorCode', EXAMPLE_VISITOR]] as [string, unknown][];
  return params.map(([k, v]) => `${k}=${lineValue(v)}`).join('&');
}

export function exampleJson(type: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { eventType: type, nonce: EXAMPLE_NONCE, visitorCode: EXAMPLE_VISITOR, ...fields };
}

export function eventsMarkdown(): string {
  const out: string[] = [];
  out.push(
    '# Event types and their fields',
    '',
    '<!-- Generated from src/ingest/event-specs.ts by `npm run docs:events`; a test keeps it in sync. -->',
    '',
    '`POST /visit/events` takes one event per line (the default line format, each line a query string',
    'whose values are percent-encoded) or, with `json=true` or a body whose first non-blank character is',
    '`[`, a JSON array of event objects with the same field names. In JSON, send numbers and booleans',
    'as JSON values (`"revenue":10.5`, `"negative":true`); structured values (`metadata`, `valuesCountMap`,',
    'index arrays) as JSON or as the same JSON in a string, as the line format carries them.',
    '',
    '- Event types match case-insensitively (`conversion`, `CONVERSION`); field names do not (`goalId`,',
    '  not `GoalId`).',
    '- A field an event type does not read is ignored, and the verdicts (`verdicts=true`) and dry runs',
    `  (\`dryRun=true\`) carry a warning for it with the closest known name (at most ${LIMITS.warningsPerEvent} per event, the`,
    '  others counted in one more). With `strict=true` such an',
    '  event is rejected (`unknown_field`) instead. `/metrics` counts ignored fields',
    '  (`anole_ignored_fields_total`).',
    '- In JSON, a number or boolean sent as a string (`"revenue":"10.50"`, `"negative":"true"`, also',
    '  `time` and `itp`) is read as what it spells, as the line format would, for compatibility with',
    '  clients that port their lines to JSON; the verdicts and dry runs carry a `string_value` warning',
    '  for it, and with `strict=true` the event is rejected (`string_value`) instead. `/metrics` counts',
    '  them (`anole_string_values_total`). In the line format every value is text and nothing is said.',
    '- Verdicts and dry runs also warn (`registry_full`) about an event whose experiment, variation or',
    '  goal id the site\'s registry has no room for: it is stored, its id gets no results until the',
    '  quota is raised ([limits.md](limits.md#quotas)).',
    '- Limits are checked before anything else; an event outside them is rejected with a code from',
    '  [errors.md](errors.md) (`missing_field`, `invalid_field`, …). Every limit is in [limits.md](limits.md).',
    '',
    '## Fields every event reads',
    '',
    '| field | type | required | limits | meaning |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const [name, doc] of Object.entries(COMMON_FIELDS)) {
    out.push(`| \`${name}\` | ${doc.type} | ${doc.required ? 'yes' : 'no'} | ${limitsOf(doc)} | ${cell(doc.description)} |`);
  }
  out.push(
    '',
    '## SDK extras accepted silently (line format)',
    '',
    'The Kameleoon SDKs put these on lines; Anole does not store them and does not warn about them in',
    'the line format (in JSON they get the usual warning):',
    '',
    '| field | why it is there |',
    '| --- | --- |',
  );
  for (const [name, why] of Object.entries(LINE_FORMAT_EXTRAS)) out.push(`| \`${name}\` | ${cell(why)} |`);
  for (const type of EVENT_TYPES) {
    const spec = EVENT_SPECS[type];
    out.push('', `## \`${type}\``, '', spec.description, '');
    const fields = Object.entries(spec.fields as Record<string, FieldSpec>);
    if (fields.length > 0) {
      out.push('| field | type | default | limits | also accepted as | meaning |', '| --- | --- | --- | --- | --- | --- |');
      for (const [name, field] of fields) {
        const aliases = (field.aliases ?? []).map((a) => `\`${a}\``).join(', ') || '—';
        out.push(`| \`${name}\` | ${field.doc.type} | ${defaultOf(field)} | ${limitsOf(field.doc)} | ${aliases} | ${cell(field.doc.description)} |`);
      }
      out.push('');
    }
    out.push(
      'Line format:',
      '',
      '```',
      exampleLine(type, spec.example),
      '```',
      '',
      'JSON (`json=true`):',
      '',
      '```json',
      JSON.stringify([exampleJson(type, spec.example)]),
      '```',
    );
  }
  return `${out.join('\n')}\n`;
}
