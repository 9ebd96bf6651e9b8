import { distance } from 'fastest-levenshtein';
import { EVENT_TYPES, type EventType } from '../core/events.ts';
import { LIMITS } from '../core/limits.ts';
import { COMMON_FIELDS, EVENT_SPECS, LINE_FORMAT_EXTRAS } from './event-specs.ts';

/** A field an event carried that Anole does not read: it was ignored (or, with strict=true, rejected). */
export interface FieldWarning {
  code: 'unknown_field';
  field: string;
  /** The known field the sender most likely meant, when one is close enough. */
  suggestion?: string;
  message: string;
}

/** Every name each event type reads: its fields, their tolerated spellings and the common ones. */
const KNOWN: Record<EventType, Set<string>> = Object.fromEntries(
  EVENT_TYPES.map((type) => [
    type,
    new Set([...Object.keys(COMMON_FIELDS), ...Object.entries(EVENT_SPECS[type].fields).flatMap(([name, f]) => [name, ...(f.aliases ?? [])])]),
  ]),
) as Record<EventType, Set<string>>;

const EXTRAS = new Set(Object.keys(LINE_FORMAT_EXTRAS));

/**
 * Names people guess for a field that has another name. Each entry applies only to the event types
 * that have the target field.
 */
const SYNONYMS: Record<string, string> = {
  refund: 'negative',
  isrefund: 'negative',
  refunded: 'negative',
  returned: 'negative',
  amount: 'revenue',
  price: 'revenue',
  value: 'revenue',
  total: 'revenue',
  goal: 'goalId',
  url: 'href',
  page: 'href',
  pageurl: 'href',
  experimentid: 'id',
  experiment: 'id',
  segmentid: 'id',
  variation: 'variationId',
  customdataindex: 'index',
  values: 'valuesCountMap',
  timestamp: 'time',
  date: 'time',
  visitorid: 'visitorCode',
  userid: 'mappingValue',
};

/** Which other event types read a field of this name (to say "that is a field of page"). */
const TYPES_WITH_FIELD = new Map<string, EventType[]>();
for (const type of EVENT_TYPES) {
  for (const name of Object.keys(EVENT_SPECS[type].fields)) TYPES_WITH_FIELD.set(name, [...(TYPES_WITH_FIELD.get(name) ?? []), type]);
}

/** The known field of this type that `field` most likely means, if any is close enough. */
export function closestField(type: EventType, field: string): string | undefined {
  const known = [...Object.keys(EVENT_SPECS[type].fields), ...Object.keys(COMMON_FIELDS).filter((f) => f !== 'eventType')];
  const lower = field.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const synonym = SYNONYMS[lower.replace(/[^a-z]/g, '')];
  if (synonym && known.includes(synonym)) return synonym;
  // A typo: few edits for the name's length (one in a short name, up to three in a long one; a
  // swapped pair of letters counts two).
  let best: string | undefined;
  let bestDistance = (field.length <= 4 ? 1 : field.length <= 8 ? 2 : 3) + 1;
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function warningFor(type: EventType, field: string): FieldWarning {
  // Never echo a huge or odd name back whole.
  const shown = field.length > 64 ? `${field.slice(0, 64)}…` : field;
  const suggestion = closestField(type, field);
  const elsewhere = TYPES_WITH_FIELD.get(field)?.filter((t) => t !== type) ?? [];
  let message = `\`${shown}\` is not a field of ${type} and was ignored`;
  if (suggestion) {
    message += suggestion.toLowerCase() === field.toLowerCase() ? `; field names are case-sensitive: did you mean \`${suggestion}\`?` : `; did you mean \`${suggestion}\`?`;
  } else if (elsewhere.length > 0) {
    message += ` (it is a field of ${elsewhere.join(', ')})`;
  }
  message += ' Fields per event type: docs/events.md.';
  return suggestion ? { code: 'unknown_field', field: shown, suggestion, message } : { code: 'unknown_field', field: shown, message };
}

/**
 * The fields of one raw event that its type does not read: at most LIMITS.warningsPerEvent named
 * (a suggestion costs an edit distance per known name), the rest counted in a last warning, so a
 * line of thousands of junk fields cannot make a verdict thousands of times its size. Line-format
 * SDK extras (LINE_FORMAT_EXTRAS) are expected there and pass silently. Runs for every event: a key
 * lookup per field, and work only for the rare unknown one.
 */
export function unknownFields(type: EventType, raw: Record<string, unknown>, lineFormat: boolean): { warnings: FieldWarning[]; count: number } | undefined {
  const known = KNOWN[type];
  let warnings: FieldWarning[] | undefined;
  let count = 0;
  // for…in rather than Object.keys: no array per event (parsed lines and JSON objects inherit no enumerable keys).
  for (const key in raw) {
    if (known.has(key) || (lineFormat && EXTRAS.has(key))) continue;
    count += 1;
    if (count <= LIMITS.warningsPerEvent) (warnings ??= []).push(warningFor(type, key));
  }
  if (!warnings) return undefined;
  if (count > LIMITS.warningsPerEvent) {
    const more = count - LIMITS.warningsPerEvent;
    warnings.push({ code: 'unknown_field', field: `(${more} more)`, message: `${more} more field${more > 1 ? 's' : ''} that ${type} does not read ${more > 1 ? 'were' : 'was'} ignored` });
  }
  return { warnings, count };
}
