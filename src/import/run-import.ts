import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ImportRowCode } from '../core/error-codes.ts';
import { yieldEvery } from '../loop-slices.ts';
import { checkHeader, columnResolver, PlanError, type Target } from './column-plan.ts';
import { createTimeParser, timeZone, type TimeFormat } from './local-time.ts';
import type { NumberFormat } from './cell-values.ts';
import { openRecordSource, UnreadableFileError, type ImportFormat, type ImportRecord } from './record-source.ts';
import { rowContext, rowToEvent, type RowContext } from './row-to-event.ts';

/** Everything that decides how a file's rows become events (the same for the CLI and HTTP). */
export interface ImportSettings {
  siteCode: string;
  format: ImportFormat;
  gzip: boolean;
  delimiter?: string;
  /** COLUMN → FIELD overrides. */
  map: Record<string, string>;
  idColumn: string | null;
  metadata: string[];
  goalId: number | null;
  numbers: NumberFormat;
  timezone: string;
  timeFormat: TimeFormat;
  dryRun: boolean;
}

export type RowStatus = 'accepted' | 'duplicate' | 'rejected';

/** One batch of events, each from one row. */
export interface EventBatch {
  rows: readonly number[];
  events: readonly Record<string, unknown>[];
  dryRun: boolean;
}

export interface BatchOutcome {
  accepted: number;
  duplicate: number;
  /** The rejected events, by their index in the batch. */
  rejections: Map<number, { code: ImportRowCode; message: string }>;
  /** Dry runs: one status per event, in order (a row repeated within the file is found from them). */
  statuses?: RowStatus[];
}

/** Where events go: the write path in this process, or a server. */
export interface ImportSink {
  readonly batchRows: number;
  /** Batches in flight at once. */
  readonly concurrency: number;
  send(batch: EventBatch): Promise<BatchOutcome>;
}

export interface RejectedRow {
  row: number;
  column: string | null;
  code: ImportRowCode;
  message: string;
  /** The row as the file has it: CSV cells, or the line. */
  original: string[];
}

export interface ImportProgress {
  rows: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  bytes: number;
}

export interface ImportSummary {
  rows: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  seconds: number;
  /** The last row of the acknowledged prefix: every row up to it is stored, a duplicate, or rejected. */
  lastRow: number;
  /** Rows of an earlier, interrupted run that were skipped (resume). */
  skipped: number;
  /** Stopped by the signal (Ctrl-C) after the batches in flight were acknowledged. */
  interrupted: boolean;
  /** Stopped at the first rejected row (strict). */
  stoppedAtRejection: boolean;
  /** Why the file could not be read to its end, if it could not. */
  unreadable: string | null;
  /** Advice worth printing (an order id column left unused). */
  hint: string | null;
}

export interface ImportRun {
  settings: ImportSettings;
  sink: ImportSink;
  /** The file's bytes (gzip undone here when settings.gzip). */
  input: Readable;
  /** The header (CSV) for the original row in the error file. */
  onHeader?: (header: string[] | null) => void | Promise<void>;
  onRejected?: (row: RejectedRow) => void | Promise<void>;
  onProgress?: (progress: ImportProgress) => void;
  /** Called as the acknowledged prefix grows: every row up to `lastRow` is done. */
  onCheckpoint?: (lastRow: number) => void | Promise<void>;
  /** Stop reading; the batches in flight are still acknowledged. */
  signal?: AbortSignal;
  /** Resume: rows up to this one were done by an earlier run. */
  skipThroughRow?: number;
  /** Strict: stop at the first rejected row. */
  stopAtFirstRejection?: boolean;
  now?: () => number;
}

/** The import cannot start (options, header): a usage error, nothing was sent. */
export class ImportSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportSetupError';
  }
}

interface PendingBatch {
  seq: number;
  lastRow: number;
  rows: number[];
  events: Record<string, unknown>[];
  originals: string[][];
  /** Rows rejected before sending, in row order. */
  local: RejectedRow[];
}

/** The longest the reading runs without giving the event loop a turn (a turn costs microseconds). */
const READ_SLICE_MS = 2;

function originalOf(record: ImportRecord): string[] {
  if (Array.isArray(record.cells)) return record.cells;
  if (typeof record.cells === 'string') return [record.cells];
  return [JSON.stringify(record.cells)];
}

/** Hash of (identity, nonce), so a dry run can tell a row repeated within the file without holding the rows. */
function dryRunKey(fields: Record<string, unknown>): number {
  const identity = fields.visitorCode !== undefined ? `v\u0000${String(fields.visitorCode)}` : `m\u0000${String(fields.mappingValue)}`;
  const digest = crypto.createHash('sha256').update(`${identity}\u0000${String(fields.nonce).toLowerCase()}`).digest();
  return digest.readUIntBE(0, 6);
}

/**
 * The import pipeline: file → records → events → sink, streaming. At most `concurrency` batches
 * are in flight and one is being filled, so memory is bounded whatever the file's size. Rows are
 * answered in the summary, each rejected one through onRejected with its row number and reason.
 */
export async function runImport(run: ImportRun): Promise<ImportSummary> {
  const now = run.now ?? Date.now;
  const started = now();
  const { settings, sink } = run;
  const zone = timeZone(settings.timezone);
  if (typeof zone === 'string') throw new ImportSetupError(zone);

  let resolver;
  try {
    resolver = columnResolver({ map: settings.map, idColumn: settings.idColumn, metadata: settings.metadata });
  } catch (error) {
    if (error instanceof PlanError) throw new ImportSetupError(error.message);
    throw error;
  }
  let source;
  try {
    source = await openRecordSource(run.input, { format: settings.format, gzip: settings.gzip, ...(settings.delimiter === undefined ? {} : { delimiter: settings.delimiter }) });
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new ImportSetupError(error.message);
    throw error;
  }
  let targets: Target[] | null = null;
  let hint: string | null = null;
  if (source.header) {
    try {
      ({ targets, hint } = checkHeader(source.header, resolver, { map: settings.map, idColumn: settings.idColumn, metadata: settings.metadata, goalId: settings.goalId }));
    } catch (error) {
      if (error instanceof PlanError) throw new ImportSetupError(error.message);
      throw error;
    }
  } else if (settings.format === 'csv') {
    throw new ImportSetupError('the file is empty: a CSV import needs a header row');
  }
  await run.onHeader?.(source.header);

  const ctx: RowContext = rowContext({
    siteCode: settings.siteCode,
    goalId: settings.goalId,
    numbers: settings.numbers,
    parseTime: createTimeParser(settings.timeFormat, zone),
    resolver,
    header: source.header,
    targets,
    byOrderId: settings.idColumn !== null,
  });

  const summary: ImportSummary = {
    rows: 0,
    accepted: 0,
    duplicate: 0,
    rejected: 0,
    rejectedByCode: {},
    seconds: 0,
    lastRow: run.skipThroughRow ?? (source.header ? 1 : 0),
    skipped: 0,
    interrupted: false,
    stoppedAtRejection: false,
    unreadable: null,
    hint,
  };
  const seenInDryRun = settings.dryRun ? new Set<number>() : null;
  const inFlight = new Map<number, Promise<void>>();
  // Batches acknowledged out of order wait here until every earlier one is counted (row order).
  const finished = new Map<number, { batch: PendingBatch; outcome: BatchOutcome | null }>();
  let nextToCheckpoint = 0;
  let draining = false;
  let seq = 0;
  let failure: unknown = null;
  let stopRequested = false;

  const progress = () => run.onProgress?.({ rows: summary.rows, accepted: summary.accepted, duplicate: summary.duplicate, rejected: summary.rejected, bytes: source.bytesRead() });
  const countRejection = async (rejected: RejectedRow) => {
    summary.rejected += 1;
    summary.rejectedByCode[rejected.code] = (summary.rejectedByCode[rejected.code] ?? 0) + 1;
    await run.onRejected?.(rejected);
    if (run.stopAtFirstRejection) stopRequested = true;
  };

  /** Counts a batch's rows and reports its rejections, in row order, once every earlier batch is counted. */
  const settle = async (batch: PendingBatch, outcome: BatchOutcome | null) => {
    finished.set(batch.seq, { batch, outcome });
    // One drain at a time: a batch finishing while an earlier one is being counted waits its turn.
    if (draining) return;
    draining = true;
    while (finished.has(nextToCheckpoint)) {
      const done = finished.get(nextToCheckpoint)!;
      finished.delete(nextToCheckpoint);
      nextToCheckpoint += 1;
      await count(done.batch, done.outcome);
      summary.lastRow = Math.max(summary.lastRow, done.batch.lastRow);
      await run.onCheckpoint?.(summary.lastRow);
    }
    draining = false;
    progress();
  };

  const count = async (batch: PendingBatch, outcome: BatchOutcome | null) => {
    const rejections: RejectedRow[] = [...batch.local];
    if (outcome) {
      for (const [i, reason] of outcome.rejections) {
        const column = columnOfRejection(reason.code, reason.message, resolver, batch.events[i]!);
        rejections.push({ row: batch.rows[i]!, column, code: reason.code, message: hintFor(reason.code, reason.message, settings.siteCode), original: batch.originals[i]! });
      }
      if (seenInDryRun && outcome.statuses) {
        // The store was asked about each row alone: a row seen earlier in this file is a duplicate too.
        for (let i = 0; i < outcome.statuses.length; i++) {
          if (outcome.statuses[i] === 'rejected') continue;
          const key = dryRunKey(batch.events[i]!);
          if (outcome.statuses[i] === 'duplicate' || seenInDryRun.has(key)) summary.duplicate += 1;
          else summary.accepted += 1;
          seenInDryRun.add(key);
        }
      } else {
        summary.accepted += outcome.accepted;
        summary.duplicate += outcome.duplicate;
      }
    }
    rejections.sort((a, b) => a.row - b.row);
    for (const rejected of rejections) await countRejection(rejected);
  };

  const dispatch = async (batch: PendingBatch) => {
    const work = (async () => {
      if (failure !== null) return;
      try {
        const outcome = batch.events.length === 0 ? null : await sink.send({ rows: batch.rows, events: batch.events, dryRun: settings.dryRun });
        await settle(batch, outcome);
      } catch (error) {
        failure ??= error;
      }
    })();
    inFlight.set(batch.seq, work);
    void work.finally(() => inFlight.delete(batch.seq));
    while (inFlight.size >= Math.max(1, sink.concurrency)) await Promise.race(inFlight.values());
  };

  const newBatch = (): PendingBatch => ({ seq: seq++, lastRow: 0, rows: [], events: [], originals: [], local: [] });
  let batch = newBatch();
  const skipThrough = run.skipThroughRow ?? 0;
  const pause = yieldEvery(READ_SLICE_MS);
  try {
    reading: for await (const records of source.records) {
      for (const record of records) {
        // A file already read ahead hands out its records through promises alone, so without this
        // the event loop would not turn until the pipeline blocked: the batch just dispatched would
        // not reach the sink's next step (the store's thread, a socket) while the next one fills,
        // the two would go out together, and the sink would sit idle while both are filled again.
        const turn = pause();
        if (turn) await turn;
        if (record.row <= skipThrough) {
          summary.skipped += 1;
          continue;
        }
        if (stopRequested || failure !== null || run.signal?.aborted) break reading;
        summary.rows += 1;
        batch.lastRow = record.row;
        const result = rowToEvent(record, ctx);
        if (result.ok) {
          batch.rows.push(record.row);
          batch.events.push(result.fields);
          batch.originals.push(originalOf(record));
        } else {
          batch.local.push({ row: record.row, column: result.rejection.column, code: result.rejection.code, message: result.rejection.message, original: originalOf(record) });
          // Strict: nothing after the first rejected row is sent.
          if (run.stopAtFirstRejection) break reading;
        }
        if (batch.events.length >= sink.batchRows || batch.local.length >= sink.batchRows) {
          await dispatch(batch);
          batch = newBatch();
        }
      }
    }
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) {
      await Promise.allSettled(inFlight.values());
      throw error;
    }
    summary.unreadable = error.message;
    // The rows from there on are unknown: one rejected row stands for them in the counts and the error file.
    summary.rows += 1;
    batch.local.push({ row: error.row, column: null, code: 'invalid_row', message: error.message, original: [] });
    batch.lastRow = Math.max(batch.lastRow, error.row - 1);
  }
  if (failure === null && (batch.events.length > 0 || batch.local.length > 0 || batch.lastRow > 0)) await dispatch(batch);
  while (inFlight.size > 0) await Promise.allSettled(inFlight.values());
  if (failure !== null) throw failure;

  summary.interrupted = run.signal?.aborted === true && !stopRequested;
  summary.stoppedAtRejection = stopRequested || (run.stopAtFirstRejection === true && summary.rejected > 0);
  summary.seconds = (now() - started) / 1000;
  return summary;
}

/** The column a write-path rejection is about, read from its code (and the field its message names). */
function columnOfRejection(code: ImportRowCode, message: string, resolver: ReturnType<typeof columnResolver>, fields: Record<string, unknown>): string | null {
  switch (code) {
    case 'missing_identity':
    case 'invalid_identity':
      return (fields.mappingValue !== undefined ? resolver.columnOf('mappingValue') : (resolver.columnOf('visitorCode') ?? resolver.columnOf('mappingValue'))) ?? null;
    case 'invalid_nonce':
      return resolver.columnOf('nonce') ?? null;
    case 'time_out_of_range':
      return resolver.columnOf('time') ?? null;
    case 'unknown_event_type':
      return resolver.columnOf('eventType') ?? null;
    case 'missing_field':
    case 'invalid_field': {
      const field = /^[A-Za-z]+: ([A-Za-z]+) /.exec(message)?.[1];
      return field === undefined ? null : (resolver.columnOf(field) ?? null);
    }
    default:
      return null;
  }
}

/** The write path's message, with what an importer can do about it. */
function hintFor(code: ImportRowCode, message: string, siteCode: string): string {
  if (code === 'time_out_of_range' && message.includes('horizon')) {
    return `${message}; to import older conversions raise the site's horizon (up to 366 days): PATCH /api/sites/${siteCode} {"lateEventHorizonMs": <ms>}`;
  }
  return message;
}
