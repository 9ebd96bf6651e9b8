import { EVENT_SPECS } from '../ingest/event-specs.ts';

/**
 * Which event field each column of a file fills. Column names match case-insensitively and
 * ignoring spaces, `_` and `-` ("Visitor Code", "visitor_code", "visitorCode"), with common
 * aliases; `--map COLUMN=FIELD` decides where the guess would be wrong.
 */
export type Target =
  | { kind: 'field'; field: string }
  | { kind: 'metadata'; key: string }
  | { kind: 'orderId' }
  | { kind: 'ignore' };

/** The fields an import understands beyond each event type's own (see docs/import.md). */
const ALIASES: Record<string, readonly string[]> = {
  visitorCode: ['visitorcode', 'visitor', 'kameleoonvisitorcode'],
  mappingValue: ['mappingvalue', 'userid', 'customerid', 'crmid', 'memberid'],
  goalId: ['goalid', 'goal'],
  revenue: ['revenue', 'amount', 'value', 'total', 'ordertotal', 'ordervalue', 'price'],
  negative: ['negative', 'refund', 'isrefund', 'refunded'],
  time: ['time', 'timestamp', 'datetime', 'date', 'eventtime', 'conversiontime', 'orderdate', 'orderedat', 'createdat', 'purchasedate', 'purchasedat', 'soldat'],
  nonce: ['nonce'],
  eventType: ['eventtype'],
};

/** Columns that look like an order id: never used without --id-column, but named in a hint. */
const ORDER_ID_LIKE = new Set(['orderid', 'order', 'transactionid', 'transaction', 'orderno', 'ordernumber', 'saleid', 'receiptid', 'dealid']);

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[\s_\-.]+/g, '');
}

const FIELD_BY_ALIAS = new Map<string, string>();
for (const [field, aliases] of Object.entries(ALIASES)) for (const alias of aliases) FIELD_BY_ALIAS.set(alias, field);
// Every event type's own field names pass through (experiment `id`/`variationId`, customData `index`…).
for (const spec of Object.values(EVENT_SPECS)) {
  for (const [name, field] of Object.entries(spec.fields)) {
    for (const spelling of [name, ...((field as { aliases?: readonly string[] }).aliases ?? [])]) {
      if (!FIELD_BY_ALIAS.has(normalizeName(spelling))) FIELD_BY_ALIAS.set(normalizeName(spelling), name);
    }
  }
}

/** Every column name the importer recognises (normalized, see normalizeName) and the field it fills: the dashboard shows the same guesses. */
export function recognisedColumns(): ReadonlyMap<string, string> {
  return FIELD_BY_ALIAS;
}

/** The import's own fields, the ones a conversions file maps its columns to. */
export const IMPORT_FIELDS = Object.keys(ALIASES);

/** The fields `--map` may name: the import's own, every event field, or `ignore`. */
export function mapTargetOf(field: string): Target | null {
  const key = normalizeName(field);
  if (key === 'ignore') return { kind: 'ignore' };
  if (key === 'orderid' || key === 'id-column') return { kind: 'orderId' };
  const known = FIELD_BY_ALIAS.get(key);
  // Only the canonical spellings (and the import's aliases) are accepted as --map targets.
  return known ? { kind: 'field', field: known } : null;
}

export interface PlanOptions {
  /** COLUMN → FIELD from --map (columns matched like headers). */
  map: Readonly<Record<string, string>>;
  idColumn: string | null;
  metadata: readonly string[];
}

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

/** Resolves column names to targets, caching each name (NDJSON keys repeat on every line). */
export interface ColumnResolver {
  target(column: string): Target;
  /** The first column seen for a field (its name, for messages and the error file). */
  columnOf(field: string): string | undefined;
}

export function columnResolver(options: PlanOptions): ColumnResolver {
  const mapped = new Map<string, Target>();
  for (const [column, field] of Object.entries(options.map)) {
    const target = mapTargetOf(field);
    if (!target) throw new PlanError(`map ${column}=${field}: ${JSON.stringify(field)} is not a field; use visitorCode, mappingValue, goalId, revenue, negative, time, nonce, eventType, orderId, ignore or an event field`);
    mapped.set(normalizeName(column), target);
  }
  const id = options.idColumn === null ? null : normalizeName(options.idColumn);
  const metadata = new Set(options.metadata.map(normalizeName));
  const cache = new Map<string, Target>();
  const firstColumn = new Map<string, string>();
  return {
    target(column) {
      let target = cache.get(column);
      if (target === undefined) {
        const key = normalizeName(column);
        target =
          mapped.get(key) ??
          (key === id ? { kind: 'orderId' } : metadata.has(key) ? { kind: 'metadata', key: column } : undefined) ??
          (FIELD_BY_ALIAS.has(key) ? { kind: 'field', field: FIELD_BY_ALIAS.get(key)! } : { kind: 'ignore' });
        cache.set(column, target);
        const name = target.kind === 'field' ? target.field : target.kind;
        if (!firstColumn.has(name)) firstColumn.set(name, column);
      }
      return target;
    },
    columnOf(field) {
      return firstColumn.get(field);
    },
  };
}

/**
 * Checks a CSV header once, before any row: every named column exists, no field is filled by two
 * columns, and rows can carry an identity and a goal. Answers a hint worth printing, if any.
 */
export function checkHeader(header: readonly string[], resolver: ColumnResolver, options: PlanOptions & { goalId: number | null }): { targets: Target[]; hint: string | null } {
  const names = new Map<string, string>();
  for (const column of header) {
    const key = normalizeName(column);
    if (names.has(key)) throw new PlanError(`the header names ${JSON.stringify(column)} twice (as ${JSON.stringify(names.get(key))} and ${JSON.stringify(column)})`);
    names.set(key, column);
  }
  const listed = header.map((c) => JSON.stringify(c)).join(', ');
  for (const column of [...Object.keys(options.map), ...(options.idColumn === null ? [] : [options.idColumn]), ...options.metadata]) {
    if (!names.has(normalizeName(column))) throw new PlanError(`no column ${JSON.stringify(column)} in the header (columns: ${listed})`);
  }
  const targets = header.map((column) => resolver.target(column));
  const byField = new Map<string, string>();
  for (let i = 0; i < header.length; i++) {
    const target = targets[i]!;
    if (target.kind !== 'field') continue;
    const prior = byField.get(target.field);
    if (prior !== undefined) {
      throw new PlanError(`columns ${JSON.stringify(prior)} and ${JSON.stringify(header[i])} both fill ${target.field}; keep one with --map ${JSON.stringify(header[i])}=ignore`);
    }
    byField.set(target.field, header[i]!);
  }
  if (!byField.has('visitorCode') && !byField.has('mappingValue')) {
    throw new PlanError(`no identity column: name the visitor code or user id column with --map COLUMN=visitorCode or --map COLUMN=mappingValue (columns: ${listed})`);
  }
  if (!byField.has('goalId') && options.goalId === null && !byField.has('eventType')) {
    throw new PlanError(`no goal: pass --goal ID for the whole file or name the goal column with --map COLUMN=goalId (columns: ${listed})`);
  }
  let hint: string | null = null;
  if (options.idColumn === null) {
    const orderLike = header.find((column) => ORDER_ID_LIKE.has(normalizeName(column)));
    if (orderLike) hint = `column ${JSON.stringify(orderLike)} looks like an order id: pass --id-column ${JSON.stringify(orderLike)} so that each order counts once however often it is imported`;
  }
  return { targets, hint };
}
