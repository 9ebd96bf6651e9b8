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

/** What one row has gathered so far, cell by cell. */
interface RowState {
  fields: Record<string, unknown>;
  metadata: Record<string, unknown> | null;
  orderId: string | null;
  negativeGiven: boolean | null;
}

/** What one column does with its cell; a rejection when the cell cannot be what the column means. */
type CellStep = (row: RowState, value: unknown) => RowResult | null;

export interface RowContextOptions {
  siteCode: string;
  /** --goal: the goal of rows without a goal column. */
  goalId: number | null;
  numbers: NumberFormat;
  parseTime: TimeParser;
  resolver: ColumnResolver;
  /** Whether an order id column was named (--id-column): nonces then come from it. */
  byOrderId: boolean;
  /** CSV: the header and each column's target; null for NDJSON and lines. */
  header: readonly string[] | null;
  targets: readonly Target[] | null;
}

export interface RowContext extends RowContextOptions {
  /** CSV: one step per header column (null for a column that fills nothing); null for NDJSON and lines. */
  steps: readonly (CellStep | null)[] | null;
  /** NDJSON: the step of each key seen so far. */
  stepsByKey: Map<string, CellStep | null>;
}

/** The context rows are read in: each CSV column's step is decided once, from the header. */
export function rowContext(options: RowContextOptions): RowContext {
  const ctx: RowContext = { ...options, steps: null, stepsByKey: new Map() };
  if (options.header && options.targets) {
    const targets = options.targets;
    ctx.steps = options.header.map((column, i) => cellStep(ctx, column, targets[i]!));
  }
  return ctx;
}

const reject = (code: ImportRowCode, message: string, column: string | null): RowResult => ({ ok: false, rejection: { code, message, column } });

/**
 * The nonce of an event whose row has none: the first 64 bits (16 hex digits) of the SHA-256 of
 * a JSON array of what makes the event itself (docs/import.md gives the arrays), so that importing
 * the same row again, from the same or an overlapping file, gives the same nonce and the store
 * answers `duplicate`.
 */
export function derivedNonce(keyText: string): string {
  return crypto.hash('sha256', keyText, 'hex').slice(0, 16);
}

// JSON.stringify escapes quotes, backslashes, control characters and lone surrogates; a string
// with none of them is itself between quotes, which is cheaper to write than to stringify.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(value) for the values of an event's fields, built without an intermediate array. */
export function jsonText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    default:
      return value === null ? 'null' : (JSON.stringify(value) ?? 'null');
  }
}

/** The text an order's nonce is the hash of: [site, identity kind, identity, order id, event type, goal, refund]. */
export function orderKeyText(siteCode: string, kind: 'visitorCode' | 'mappingValue', identity: unknown, orderId: string, type: unknown, goal: unknown, refund: boolean): string {
  return `[${jsonText(siteCode)},"${kind}",${jsonText(identity)},${jsonText(orderId)},${jsonText(type)},${jsonText(goal)},${refund}]`;
}

/** The text a row's content nonce is the hash of: [site, [[field, value]…]] with the fields sorted by name. */
export function contentKeyText(siteCode: string, fields: Record<string, unknown>): string {
  const keys = Object.keys(fields).sort();
  let text = `[${jsonText(siteCode)},[`;
  for (let i = 0; i < keys.length; i++) text += `${i === 0 ? '' : ','}[${jsonText(keys[i])},${jsonText(fields[keys[i]!])}]`;
  return `${text}]]`;
}

const GOAL_DIGITS = /^\s*\d{1,15}\s*$/;

/** A goal id as digits (`036151` and `36151` are one goal), else as written. */
function goalKey(goal: unknown): unknown {
  if (typeof goal === 'string' && GOAL_DIGITS.test(goal)) return Number(goal);
  return goal ?? null;
}

const trimmed = (value: unknown) => (typeof value === 'string' ? value.trim() : value);

/** Whether a cell is empty or only white space (what String.prototype.trim removes), trimming only when it may be. */
function blank(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  return (first <= 32 || first >= 0xa0) && text.trim() === '';
}

/** The step of a column for its target (null: the column fills nothing). */
function cellStep(ctx: RowContext, column: string, target: Target): CellStep | null {
  switch (target.kind) {
    case 'ignore':
      return null;
    case 'orderId':
      return (row, value) => {
        if (value === null || value === undefined) return null;
        if (typeof value === 'object') return reject('invalid_field', `the order id (${column}) must be text or a number`, column);
        const text = trimmed(value);
        if (text !== '') row.orderId = String(text);
        return null;
      };
    case 'metadata':
      return (row, value) => {
        const text = trimmed(value);
        if (text !== '' && text !== undefined && text !== null) (row.metadata ??= {})[target.key] = text;
        return null;
      };
    case 'field':
      break;
  }
  const field = target.field;
  switch (field) {
    case 'revenue':
      return (row, value) => {
        if (typeof value === 'number') row.fields.revenue = value;
        else if (typeof value === 'string') {
          if (blank(value)) return null;
          const amount = parseAmount(value, ctx.numbers);
          if (!amount.ok) return reject('invalid_field', `revenue ${amount.message}`, column);
          row.fields.revenue = amount.value;
        } else if (value !== null && value !== undefined) return reject('invalid_field', 'revenue must be a number', column);
        return null;
      };
    case 'negative':
      return (row, value) => {
        if (typeof value === 'boolean') row.negativeGiven = value;
        else if (value === 1 || value === 0) row.negativeGiven = value === 1;
        else if (typeof value === 'string') {
          if (blank(value)) return null;
          const flag = parseFlag(value);
          if (!flag.ok) return reject('invalid_field', `${column}: ${flag.message}`, column);
          row.negativeGiven = flag.value;
        } else if (value !== null && value !== undefined) return reject('invalid_field', `${column} must be true or false`, column);
        return null;
      };
    case 'time':
      return (row, value) => {
        if (typeof value === 'number') {
          if (!Number.isSafeInteger(value) || value < 0) return reject('invalid_time', `${value} is not epoch seconds or milliseconds`, column);
          row.fields.time = value < 1e11 ? value * 1000 : value;
          return null;
        }
        if (value === null || value === undefined) return null;
        if (typeof value !== 'string') return reject('invalid_time', `${column} must be a time`, column);
        if (blank(value)) return null;
        const time = ctx.parseTime(value);
        if (!time.ok) return reject(time.code, time.message, column);
        row.fields.time = time.ms;
        return null;
      };
    default:
      return (row, value) => {
        const text = trimmed(value);
        if (text !== '' && text !== undefined && text !== null) row.fields[field] = text;
        return null;
      };
  }
}

function stepOfKey(ctx: RowContext, key: string): CellStep | null {
  let step = ctx.stepsByKey.get(key);
  if (step === undefined) {
    step = cellStep(ctx, key, ctx.resolver.target(key));
    ctx.stepsByKey.set(key, step);
  }
  return step;
}

/** The key of an NDJSON object that fills a field (or is the order id), if one does: the last, whose value stands. */
function keyFilling(ctx: RowContext, cells: Record<string, unknown>, field: string): string | undefined {
  let found: string | undefined;
  for (const key in cells) {
    const target = ctx.resolver.target(key);
    const value = cells[key];
    const empty = value === null || value === undefined || (typeof value === 'string' && blank(value));
    if (!empty && ((target.kind === 'field' && target.field === field) || target.kind === field)) found = key;
  }
  return found;
}

/** For messages: the column a row filled a field from (NDJSON keys may be spelled differently from row to row). */
function columnFilling(ctx: RowContext, cells: string[] | Record<string, unknown>, field: string): string | null {
  return (Array.isArray(cells) ? undefined : keyFilling(ctx, cells, field)) ?? ctx.resolver.columnOf(field) ?? null;
}

/**
 * One record → the raw fields of one event (the same shape a line of POST /visit/events parses
 * into), or why the row cannot be one. Validation of the event itself is the write path's.
 */
export function rowToEvent(record: ImportRecord, ctx: RowContext): RowResult {
  if (record.problem) return reject(record.problem.code, record.problem.message, null);
  const cells = record.cells;
  if (typeof cells === 'string') return lineToEvent(cells, ctx);

  const row: RowState = { fields: {}, metadata: null, orderId: null, negativeGiven: null };
  if (Array.isArray(cells)) {
    const steps = ctx.steps!;
    const n = Math.min(steps.length, cells.length);
    for (let i = 0; i < n; i++) {
      const step = steps[i];
      if (step === null || step === undefined) continue;
      const problem = step(row, cells[i]);
      if (problem) return problem;
    }
  } else {
    for (const key in cells) {
      const step = stepOfKey(ctx, key);
      if (step === null) continue;
      const problem = step(row, cells[key]);
      if (problem) return problem;
    }
  }
  const { fields, metadata, orderId } = row;
  let negativeGiven = row.negativeGiven;

  if (fields.visitorCode !== undefined && fields.mappingValue !== undefined) {
    return reject('ambiguous_identity', `the row gives both a visitor code (${columnFilling(ctx, cells, 'visitorCode')}) and a user id (${columnFilling(ctx, cells, 'mappingValue')}); keep one per row`, columnFilling(ctx, cells, 'mappingValue'));
  }
  fields.eventType ??= 'conversion';
  const given = fields.eventType;
  const type = given === 'conversion' ? given : typeof given === 'string' ? (eventTypeOf(given) ?? given.toLowerCase()) : given;
  if (type === 'conversion') {
    if (fields.goalId === undefined && ctx.goalId !== null) fields.goalId = ctx.goalId;
    const revenue = fields.revenue;
    if (typeof revenue === 'number' && revenue < 0) {
      // A negative amount is a refund of that amount, unless the row says it is not one.
      if (negativeGiven === false) return reject('invalid_field', `revenue ${revenue} is negative but ${columnFilling(ctx, cells, 'negative')} says the row is not a refund`, columnFilling(ctx, cells, 'revenue'));
      fields.revenue = -revenue;
      negativeGiven = true;
    }
    if (negativeGiven !== null) fields.negative = negativeGiven;
    if (metadata !== null) fields.metadata = metadata;
  }

  if (fields.nonce === undefined) {
    if (ctx.byOrderId) {
      if (orderId === null) return reject('missing_field', `the order id (${columnFilling(ctx, cells, 'orderId') ?? 'the --id-column column'}) is empty`, columnFilling(ctx, cells, 'orderId'));
      const byVisitor = fields.visitorCode !== undefined;
      const identity = byVisitor ? fields.visitorCode : (fields.mappingValue ?? null);
      fields.nonce = derivedNonce(orderKeyText(ctx.siteCode, byVisitor ? 'visitorCode' : 'mappingValue', identity, orderId, type, goalKey(fields.goalId), fields.negative === true));
    } else {
      fields.nonce = derivedNonce(contentKeyText(ctx.siteCode, fields));
    }
  }
  return { ok: true, fields };
}

/** A line-format line as is; a line without a nonce gets one from its content. */
function lineToEvent(text: string, ctx: RowContext): RowResult {
  const fields: Record<string, unknown> = { ...parseLine(text) };
  if (fields.nonce === undefined || fields.nonce === '') fields.nonce = derivedNonce(contentKeyText(ctx.siteCode, fields));
  return { ok: true, fields };
}
