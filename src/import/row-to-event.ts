import crypto from 'node:crypto';
import type { ImportRowCode } from '../core/error-codes.ts';
import { eventTypeOf } from '../ingest/event-specs.ts';
import { parseLine } from '../ingest/line-format.ts';
import { parseAmount, parseFlag, type NumberFormat } from './cell-values.ts';
import type { ColumnResolver, Target } from './column-plan.ts';
import type { TimeParser } from './local-time.ts';
import type { ImportRecord } from './record-source.ts';

/** Why a row is not an event, and which of its columns says so. */
export interface RowRejection {
  code: ImportRowCode;
  message: string;
  column: string | null;
}

export type RowResult = { ok: true; fields: Record<string, unknown> } | { ok: false; rejection: RowRejection };

export interface RowContext {
  siteCode: string;
  /** --goal: the goal of rows without a goal column. */
  goalId: number | null;
  numbers: NumberFormat;
  parseTime: TimeParser;
  resolver: ColumnResolver;
  /** CSV: the header and each column's target; null for NDJSON and lines. */
  header: readonly string[] | null;
  targets: readonly Target[] | null;
  /** Whether an order id column was named (--id-column): nonces then come from it. */
  byOrderId: boolean;
}

const reject = (code: ImportRowCode, message: string, column: string | null): RowResult => ({ ok: false, rejection: { code, message, column } });

/**
 * The nonce of an event whose row has none: the first 64 bits of a SHA-256 of what makes the
 * event itself, so that importing the same row again (from the same or an overlapping file) gives
 * the same nonce and the store answers `duplicate`.
 */
export function derivedNonce(parts: readonly unknown[]): string {
  return crypto.hash('sha256', JSON.stringify(parts), 'hex').slice(0, 16);
}

/** The fields of an event, sorted by name, as a stable list (content nonces). */
function canonical(fields: Record<string, unknown>): unknown[] {
  return Object.keys(fields)
    .sort()
    .map((key) => [key, fields[key]]);
}

/** A goal id as digits (`036151` and `36151` are one goal), else as written. */
function goalKey(goal: unknown): unknown {
  if (typeof goal === 'string' && /^\s*\d{1,15}\s*$/.test(goal)) return Number(goal);
  return goal ?? null;
}

/** What one row has gathered so far, cell by cell. */
interface RowState {
  fields: Record<string, unknown>;
  metadata: Record<string, unknown> | null;
  orderId: string | null;
  orderColumn: string | null;
  negativeGiven: boolean | null;
  /** The column each field came from, for messages. */
  columns: Record<string, string>;
}

/** One cell into the row's fields; a rejection when the cell cannot be what its column means. */
function takeCell(row: RowState, ctx: RowContext, column: string, target: Target, value: unknown): RowResult | null {
  if (value === undefined || value === null) return null;
  if (target.kind === 'ignore') return null;
  const textValue = typeof value === 'string' ? value.trim() : value;
  if (target.kind === 'orderId') {
    row.orderColumn = column;
    if (textValue !== '') row.orderId = String(textValue);
    return null;
  }
  if (textValue === '') return null;
  if (target.kind === 'metadata') {
    (row.metadata ??= {})[target.key] = textValue;
    return null;
  }
  const field = target.field;
  const fields = row.fields;
  row.columns[field] = column;
  switch (field) {
    case 'revenue': {
      if (typeof value === 'number') fields.revenue = value;
      else if (typeof value === 'string') {
        const amount = parseAmount(value, ctx.numbers);
        if (!amount.ok) return reject('invalid_field', `revenue ${amount.message}`, column);
        fields.revenue = amount.value;
      } else return reject('invalid_field', 'revenue must be a number', column);
      return null;
    }
    case 'negative': {
      if (typeof value === 'boolean') row.negativeGiven = value;
      else if (value === 1 || value === 0) row.negativeGiven = value === 1;
      else if (typeof value === 'string') {
        const flag = parseFlag(value);
        if (!flag.ok) return reject('invalid_field', `${column}: ${flag.message}`, column);
        row.negativeGiven = flag.value;
      } else return reject('invalid_field', `${column} must be true or false`, column);
      return null;
    }
    case 'time': {
      if (typeof value === 'number') {
        if (!Number.isSafeInteger(value) || value < 0) return reject('invalid_time', `${value} is not epoch seconds or milliseconds`, column);
        fields.time = value < 1e11 ? value * 1000 : value;
        return null;
      }
      if (typeof value !== 'string') return reject('invalid_time', `${column} must be a time`, column);
      const time = ctx.parseTime(value);
      if (!time.ok) return reject(time.code, time.message, column);
      fields.time = time.ms;
      return null;
    }
    default:
      fields[field] = textValue;
      return null;
  }
}

/**
 * One record → the raw fields of one event (the same shape a line of POST /visit/events parses
 * into), or why the row cannot be one. Validation of the event itself is the write path's.
 */
export function rowToEvent(record: ImportRecord, ctx: RowContext): RowResult {
  if (record.problem) return reject(record.problem.code, record.problem.message, null);
  if (typeof record.cells === 'string') return lineToEvent(record.cells, ctx);

  const row: RowState = { fields: {}, metadata: null, orderId: null, orderColumn: null, negativeGiven: null, columns: {} };
  if (Array.isArray(record.cells)) {
    const targets = ctx.targets!;
    const header = ctx.header!;
    for (let i = 0; i < targets.length && i < record.cells.length; i++) {
      const problem = takeCell(row, ctx, header[i]!, targets[i]!, record.cells[i]);
      if (problem) return problem;
    }
  } else {
    for (const [key, value] of Object.entries(record.cells)) {
      const problem = takeCell(row, ctx, key, ctx.resolver.target(key), value);
      if (problem) return problem;
    }
  }
  const { fields, metadata, orderId, orderColumn, columns } = row;
  let negativeGiven = row.negativeGiven;

  if (fields.visitorCode !== undefined && fields.mappingValue !== undefined) {
    return reject('ambiguous_identity', `the row gives both a visitor code (${columns.visitorCode}) and a user id (${columns.mappingValue}); keep one per row`, columns.mappingValue ?? null);
  }
  fields.eventType ??= 'conversion';
  const type = typeof fields.eventType === 'string' ? (eventTypeOf(fields.eventType) ?? fields.eventType.toLowerCase()) : fields.eventType;
  if (type === 'conversion') {
    if (fields.goalId === undefined && ctx.goalId !== null) fields.goalId = ctx.goalId;
    const revenue = fields.revenue;
    if (typeof revenue === 'number' && revenue < 0) {
      // A negative amount is a refund of that amount, unless the row says it is not one.
      if (negativeGiven === false) return reject('invalid_field', `revenue ${revenue} is negative but ${columns.negative} says the row is not a refund`, columns.revenue ?? null);
      fields.revenue = -revenue;
      negativeGiven = true;
    }
    if (negativeGiven !== null) fields.negative = negativeGiven;
    if (metadata !== null) fields.metadata = metadata;
  }

  if (fields.nonce === undefined) {
    if (ctx.byOrderId) {
      if (orderId === null) return reject('missing_field', `the order id (${orderColumn ?? 'the --id-column column'}) is empty`, orderColumn);
      const identity = fields.visitorCode !== undefined ? ['visitorCode', fields.visitorCode] : ['mappingValue', fields.mappingValue ?? null];
      fields.nonce = derivedNonce([ctx.siteCode, ...identity, orderId, type, goalKey(fields.goalId), fields.negative === true]);
    } else {
      fields.nonce = derivedNonce([ctx.siteCode, canonical(fields)]);
    }
  }
  return { ok: true, fields };
}

/** A line-format line as is; a line without a nonce gets one from its content. */
function lineToEvent(text: string, ctx: RowContext): RowResult {
  const fields: Record<string, unknown> = { ...parseLine(text) };
  if (fields.nonce === undefined || fields.nonce === '') fields.nonce = derivedNonce([ctx.siteCode, canonical(fields)]);
  return { ok: true, fields };
}
