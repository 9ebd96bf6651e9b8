import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse as parseCsv, type Options as CsvOptions } from 'csv-parse';
import { LIMITS } from '../core/limits.ts';

export type ImportFormat = 'csv' | 'ndjson' | 'lines';

/** One record of a file: a CSV row, an NDJSON object or a line-format line. */
export interface ImportRecord {
  /** The row number a spreadsheet shows (CSV: the header is row 1) or the 1-based line number. */
  row: number;
  /** CSV: the cells, in header order; NDJSON: the object's entries; lines: the line itself. */
  cells: string[] | Record<string, unknown> | string;
  /** Why the record cannot be read at all (a JSON line that is not an object, a row of the wrong width). */
  problem?: { code: 'invalid_row'; message: string };
}

/** The records of a file, and what is known about it before the first record. */
export interface RecordSource {
  /** CSV: the header's column names; otherwise null. */
  header: string[] | null;
  /** The records in chunks (whatever is parsed at the time): one await per chunk, not per row. */
  records: AsyncIterable<ImportRecord[]>;
  /** Bytes read from the input so far (compressed bytes for gzip), for progress. */
  bytesRead(): number;
}

export interface SourceOptions {
  format: ImportFormat;
  gzip: boolean;
  /** CSV separator; detected from the header line when absent. */
  delimiter?: string;
}

/** Raised when a file cannot be read past some point: the records before it stand. */
export class UnreadableFileError extends Error {
  constructor(
    message: string,
    readonly row: number,
  ) {
    super(message);
    this.name = 'UnreadableFileError';
  }
}

const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

/** The separator a header line uses most, outside quotes; `,` when it has none (a single column). */
export function detectDelimiter(headerLine: string): string {
  let best = ',';
  let bestCount = 0;
  for (const candidate of DELIMITER_CANDIDATES) {
    let count = 0;
    let quoted = false;
    for (const c of headerLine) {
      if (c === '"') quoted = !quoted;
      else if (c === candidate && !quoted) count += 1;
    }
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/** Counts the bytes flowing through, so progress can be shown against the file size. */
function byteCounter(): { stream: Transform; count: () => number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, count: () => bytes };
}

/** The first line of the text stream (without consuming it for the caller): enough to pick the separator. */
async function peekFirstLine(input: Readable): Promise<{ line: string; replay: Readable }> {
  // An iterator taken once and never broken out of: breaking a for-await would destroy the input.
  const iterator = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let line: string | null = null;
  while (line === null) {
    const item = await iterator.next();
    if (item.done) break;
    chunks.push(item.value);
    size += item.value.length;
    const text = Buffer.concat(chunks).toString('utf8');
    const end = text.indexOf('\n');
    if (end !== -1 || size > LIMITS.lineLength) line = end === -1 ? text : text.slice(0, end);
  }
  const head = Buffer.concat(chunks);
  line ??= head.toString('utf8');
  // Replays what was peeked, then the rest of the input.
  async function* replay(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const item = await iterator.next();
      if (item.done) return;
      yield item.value;
    }
  }
  return { line: line.replace(/^\uFEFF/, ''), replay: Readable.from(replay(), { objectMode: false }) };
}

/**
 * Opens a byte stream as records, streaming: memory stays bounded by one chunk and one record,
 * whatever the file size. gzip is undone on the way; a UTF-8 byte order mark is dropped.
 */
export async function openRecordSource(input: Readable, options: SourceOptions): Promise<RecordSource> {
  const counter = byteCounter();
  let text: Readable = input.pipe(counter.stream);
  input.on('error', (error) => counter.stream.destroy(error));
  if (options.gzip) {
    const gunzip = createGunzip();
    counter.stream.on('error', (error) => gunzip.destroy(error));
    text = text.pipe(gunzip);
  }
  if (options.format === 'csv') return openCsv(text, options, counter.count);
  return { header: null, records: readLines(text, options.format), bytesRead: counter.count };
}

async function openCsv(text: Readable, options: SourceOptions, bytesRead: () => number): Promise<RecordSource> {
  let delimiter = options.delimiter;
  let source = text;
  if (delimiter === undefined) {
    const peeked = await peekFirstLine(text).catch((error: unknown) => {
      throw unreadable(error, 1) ?? error;
    });
    delimiter = detectDelimiter(peeked.line);
    source = peeked.replay;
  }
  let row = 0;
  // The first syntax error (a misplaced or unclosed quote): rows after it cannot be told apart
  // reliably, so the file is read up to it and no further. The parser's own count says where it
  // stands when it finds the error (records are numbered as they are consumed, later).
  let broken: UnreadableFileError | null = null;
  const parser: ReturnType<typeof parseCsv> = parseCsv({
    skip_records_with_error: true,
    on_skip: (error: Error | undefined) => {
      const at = parser.info.records + 1;
      broken ??= new UnreadableFileError(`the file cannot be read as CSV from row ${at} on: ${error?.message ?? 'invalid CSV'}`, at);
    },
    bom: true,
    delimiter,
    // Width is checked per row below, so that one short row is one rejected row.
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: LIMITS.lineLength,
  } as CsvOptions);
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  const iterator = readChunks<string[]>(parser)[Symbol.asyncIterator]();
  let pending: string[][] = [];
  while (pending.length === 0) {
    const first = await next(iterator, () => row);
    if (first.done) return { header: null, records: emptyRecords(), bytesRead };
    pending = first.value;
  }
  row = 1;
  const header = pending.shift()!.map((name) => name.trim());

  async function* records(): AsyncGenerator<ImportRecord[]> {
    for (;;) {
      const out: ImportRecord[] = [];
      for (const cells of pending) {
        row += 1;
        if (broken && row >= broken.row) {
          if (out.length > 0) yield out;
          throw broken;
        }
        // A blank line is a row a spreadsheet shows, empty: numbered, never an event.
        if (cells.every((cell) => cell.trim() === '')) continue;
        const record: ImportRecord = { row, cells };
        if (cells.length !== header.length) {
          record.problem = { code: 'invalid_row', message: `the row has ${cells.length} cells; the header has ${header.length}` };
        }
        out.push(record);
      }
      if (out.length > 0) yield out;
      const item = await next(iterator, () => row);
      if (item.done) {
        if (broken) throw broken;
        return;
      }
      pending = item.value;
    }
  }
  return { header, records: records(), bytesRead };
}

/** A CSV syntax error or a broken gzip stream, as the point past which the file cannot be read; else null. */
function unreadable(error: unknown, row: number): UnreadableFileError | null {
  const code = (error as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('CSV_')) return new UnreadableFileError(`the file cannot be read as CSV from row ${row} on: ${(error as Error).message}`, row);
  if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') return new UnreadableFileError(`the file is not valid gzip from row ${row} on: ${(error as Error).message}`, row);
  return null;
}

/** The parser's next record; a syntax error or broken compression ends the file there. */
async function next<T>(iterator: AsyncIterator<T>, rowSoFar: () => number): Promise<IteratorResult<T>> {
  try {
    return await iterator.next();
  } catch (error) {
    throw unreadable(error, rowSoFar() + 1) ?? error;
  }
}

async function* emptyRecords(): AsyncGenerator<ImportRecord[]> {}

/**
 * An object stream's items in the chunks already parsed: reading them synchronously costs one
 * await per chunk instead of one per item (a 1M-row file is 1M awaits otherwise). An error of the
 * stream is thrown once the items before it are handed out.
 */
async function* readChunks<T>(stream: Readable, most = 2000): AsyncGenerator<T[]> {
  let failure: unknown = null;
  let ended = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  stream.on('readable', notify);
  stream.on('end', () => {
    ended = true;
    notify();
  });
  stream.on('error', (error) => {
    failure = error;
    notify();
  });
  for (;;) {
    const chunk: T[] = [];
    for (let item = stream.read() as T | null; item !== null; item = stream.read() as T | null) {
      chunk.push(item);
      if (chunk.length >= most) break;
    }
    if (chunk.length > 0) {
      yield chunk;
      continue;
    }
    if (failure !== null) throw failure;
    if (ended || stream.readableEnded) return;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

/** NDJSON and line format: one record per non-empty line, numbered by line. */
async function* readLines(text: Readable, format: 'ndjson' | 'lines'): AsyncGenerator<ImportRecord[]> {
  let carry = '';
  let line = 0;
  const decoder = new TextDecoder('utf-8');
  const emit = (raw: string): ImportRecord | null => {
    line += 1;
    let s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === 1) s = s.replace(/^\uFEFF/, '');
    if (s.trim() === '') return null;
    if (format === 'lines') return { row: line, cells: s };
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch (error) {
      return { row: line, cells: {}, problem: { code: 'invalid_row', message: `not valid JSON: ${(error as Error).message}` } };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { row: line, cells: {}, problem: { code: 'invalid_row', message: 'each line must be a JSON object' } };
    }
    return { row: line, cells: parsed as Record<string, unknown> };
  };
  // A line longer than the limit is dropped as it streams (never held) and answered as one rejected line.
  let skipping = false;
  const tooLong = (): ImportRecord => {
    line += 1;
    return { row: line, cells: format === 'lines' ? '' : {}, problem: { code: 'invalid_row', message: `the line exceeds ${LIMITS.lineLength} characters` } };
  };
  try {
    for await (const chunk of text as AsyncIterable<Buffer>) {
      carry += decoder.decode(chunk, { stream: true });
      let start = 0;
      const out: ImportRecord[] = [];
      for (let end = carry.indexOf('\n'); end !== -1; end = carry.indexOf('\n', start)) {
        const record = skipping ? tooLong() : emit(carry.slice(start, end));
        skipping = false;
        start = end + 1;
        if (record) out.push(record);
      }
      if (out.length > 0) yield out;
      carry = carry.slice(start);
      if (carry.length > LIMITS.lineLength) {
        skipping = true;
        carry = '';
      }
    }
  } catch (error) {
    throw unreadable(error, line + 1) ?? error;
  }
  if (skipping) {
    yield [tooLong()];
    return;
  }
  carry += decoder.decode();
  if (carry !== '') {
    const record = emit(carry);
    if (record) yield [record];
  }
}
