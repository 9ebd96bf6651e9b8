import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { AnoleError } from '../../core/error-codes.ts';
import { LIMITS } from '../../core/limits.ts';
import type { IngestDeps } from '../../ingest/ingest-events.ts';
import { errorCsvHeader, errorCsvLine } from '../../import/error-csv.ts';
import { importSettings } from '../../import/import-settings.ts';
import { inProcessSink } from '../../import/in-process-sink.ts';
import { ImportSetupError, runImport, type RejectedRow } from '../../import/run-import.ts';
import type { ImportFormat } from '../../import/record-source.ts';
import { errorResponses, INTEGER, object, STRING, BOOLEAN } from '../openapi.ts';
import { FLAG, flagValue, SITE_CODE_PARAM } from '../query-schema.ts';

interface Query {
  format?: ImportFormat;
  delimiter?: string;
  map?: string | string[];
  goalId?: string;
  decimal?: string;
  thousands?: string;
  timeFormat?: string;
  timezone?: string;
  idColumn?: string;
  metadata?: string;
  dryRun?: string;
  errors?: 'json' | 'csv';
}

const text = (description: string) => ({ type: 'string', minLength: 1, maxLength: 1024, description }) as const;

const querystring = {
  type: 'object',
  properties: {
    format: { type: 'string', enum: ['csv', 'ndjson', 'lines'], description: 'Default: from the Content-Type (text/csv, application/x-ndjson, text/plain), else csv.' },
    delimiter: { type: 'string', minLength: 1, maxLength: 3, description: 'CSV separator (`tab` for a tab); detected from the header by default.' },
    map: {
      anyOf: [text('COLUMN=FIELD'), { type: 'array', maxItems: 100, items: text('COLUMN=FIELD') }],
      description: 'Read COLUMN as FIELD (visitorCode, mappingValue, goalId, revenue, negative, time, nonce, eventType, orderId, ignore); repeatable.',
    },
    goalId: { type: 'string', pattern: '^[0-9]{1,10}$', description: 'The goal of rows without a goal column.' },
    decimal: { type: 'string', enum: ['.', ','] },
    thousands: { type: 'string', minLength: 1, maxLength: 5, description: 'The thousands separator amounts use (`space` for a space).' },
    timeFormat: text('auto, iso, epoch-s, epoch-ms, or a Luxon pattern such as dd/MM/yyyy HH:mm.'),
    timezone: text('IANA zone of times without an offset (default UTC).'),
    idColumn: text('The order id column: nonces derive from it.'),
    metadata: text('Comma-separated columns copied into the conversion metadata.'),
    dryRun: { ...FLAG, description: 'Validate and look for duplicates, store nothing.' },
    errors: { type: 'string', enum: ['json', 'csv'], description: 'csv: answer every rejected row as a CSV attachment (counts in Anole-Import-* headers).' },
  },
} as const;

const IMPORT_BODY = {
  content: Object.fromEntries(
    ['text/csv', 'application/x-ndjson', 'text/plain'].map((type) => [type, { schema: { type: 'string', description: 'The file: CSV with a header row, NDJSON, or line format (docs/import.md).' } }]),
  ),
};

const IMPORT_SUMMARY = object(
  {
    siteCode: STRING,
    dryRun: BOOLEAN,
    rows: { ...INTEGER, description: 'Rows read (blank lines and the header excluded).' },
    accepted: INTEGER,
    duplicate: { ...INTEGER, description: 'Rows already stored (or, in a dry run, also repeated earlier in the file).' },
    rejected: INTEGER,
    rejectedByCode: { type: 'object', additionalProperties: INTEGER },
    seconds: { type: 'number' },
    unreadable: { ...STRING, description: 'Why the file could not be read past some row (the rows before it are imported).' },
    hint: STRING,
    errors: {
      type: 'array',
      description: 'The first 100 rejected rows.',
      items: object({ row: INTEGER, column: { type: ['string', 'null'] }, code: STRING, message: STRING }),
    },
    errorsTruncated: BOOLEAN,
  },
  { optional: ['unreadable', 'hint'] },
);

const FORMAT_OF_TYPE: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'text/plain': 'lines',
};

/** Counts the body's bytes and refuses one over the import limit, without holding any of it. */
function limitBytes(limit: number): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > limit) done(new AnoleError('body_too_large', `the import body exceeds ${limit} bytes (1 GiB); split the file`));
      else done(null, chunk);
    },
  });
}

/**
 * POST /api/sites/{site}/imports: a CSV, NDJSON or line-format file as the body, streamed through
 * the same import pipeline as `anole import` into this node's write path. Answers the summary and
 * the first rejected rows, or every rejected row as CSV. Nonces derive from the rows, so a retried
 * request stores nothing twice.
 */
export function registerImports(app: FastifyInstance, deps: IngestDeps & { now: () => number }): void {
  app.register(async (api) => {
    // The body is a stream here, read as the import goes: never whole in memory. A gzip or deflate
    // body arrives decoded (src/http/body-encoding.ts), its decoded size held to the route's limit.
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    api.post('/api/sites/:siteCode/imports', {
      config: { access: 'site-write' },
      bodyLimit: LIMITS.importBodyBytes,
      schema: {
        summary: 'Import offline conversions from a CSV, NDJSON or line-format body (streamed, up to 1 GiB)',
        description:
          'Same options and rules as `anole import` (docs/import.md). Answers {rows, accepted, duplicate, rejected, rejectedByCode, seconds, errors} ' +
          'with the first 100 rejected rows, or with errors=csv every rejected row as text/csv. Content-Encoding gzip or deflate is read.',
        params: { type: 'object', required: ['siteCode'], properties: { siteCode: SITE_CODE_PARAM } },
        querystring,
        body: IMPORT_BODY,
        response: {
          200: {
            description: 'The import summary (or, with errors=csv, the rejected rows as CSV).',
            content: { 'application/json': { schema: IMPORT_SUMMARY }, 'text/csv': { schema: { type: 'string', description: 'error_row, error_column, error_code, error_message, then the row under its own header.' } } },
          },
          ...errorResponses('invalid_query', 'invalid_import', 'invalid_body', 'unknown_site', 'body_too_large', 'unsupported_media_type'),
        },
      },
    }, async (request, reply) => {
      const { siteCode } = request.params as { siteCode: string };
      const q = request.query as Query;
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > LIMITS.importBodyBytes) {
        throw new AnoleError('body_too_large', `the import body is ${declared} bytes; the limit is ${LIMITS.importBodyBytes} (1 GiB); split the file`);
      }
      const contentType = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      let settings;
      try {
        settings = importSettings(
          {
            siteCode,
            format: q.format ?? FORMAT_OF_TYPE[contentType] ?? 'csv',
            gzip: false,
            delimiter: q.delimiter,
            map: q.map === undefined ? [] : [q.map].flat(),
            goal: q.goalId,
            decimal: q.decimal,
            thousands: q.thousands,
            timeFormat: q.timeFormat,
            timezone: q.timezone,
            idColumn: q.idColumn,
            metadata: q.metadata,
            dryRun: flagValue(q.dryRun),
          },
          { option: (name) => (name === 'goal' ? 'goalId' : name) },
        );
      } catch (error) {
        if (error instanceof ImportSetupError) throw new AnoleError('invalid_import', error.message);
        throw error;
      }
      // The site must exist (or be creatable) before a byte is imported.
      await deps.sites.resolve(siteCode);

      // The body is first received whole into a temporary file (at network speed, within
      // the server's request timeout), then imported from it at the store's speed: a slow store never
      // makes an upload slow, and no row is held in memory.
      const upload = spoolFile('body');
      try {
        const body = (request.body as Readable | undefined) ?? Readable.from([]);
        await pipeline(body, limitBytes(LIMITS.importBodyBytes), upload.stream);
      } catch (error) {
        upload.remove();
        throw error;
      }
      // Nothing moves on the connection while the rows are imported; the answer follows.
      // (A request made in process, through inject, has no real socket to set.)
      const socket = request.raw.socket as (typeof request.raw.socket & { setTimeout?: unknown }) | undefined;
      if (typeof socket?.setTimeout === 'function') {
        socket.setTimeout(0);
        reply.raw.once('finish', () => socket.setTimeout(request.server.initialConfig.connectionTimeout ?? 0));
      }
      const input = fs.createReadStream(upload.file, { highWaterMark: 256 * 1024 });
      // Read errors reach the import through its reading; an import refused before reading would
      // otherwise leave this stream's open failing unheard once the file is removed.
      input.on('error', () => undefined);

      const listed: Omit<RejectedRow, 'original'>[] = [];
      const csv = q.errors === 'csv' ? spoolFile('errors') : null;
      try {
        const summary = await runImport({
          settings,
          sink: inProcessSink(deps, { siteCode, batchRows: 1000, concurrency: 2, now: deps.now }),
          input,
          now: deps.now,
          onHeader: (header) => csv?.write(errorCsvHeader(header)),
          onRejected: (rejected) => {
            if (csv) return csv.write(errorCsvLine(rejected));
            if (listed.length < LIMITS.importErrorsListed) listed.push({ row: rejected.row, column: rejected.column, code: rejected.code, message: rejected.message });
          },
        });
        const answer = {
          siteCode,
          dryRun: settings.dryRun,
          rows: summary.rows,
          accepted: summary.accepted,
          duplicate: summary.duplicate,
          rejected: summary.rejected,
          rejectedByCode: summary.rejectedByCode,
          seconds: summary.seconds,
          ...(summary.unreadable ? { unreadable: summary.unreadable } : {}),
          ...(summary.hint ? { hint: summary.hint } : {}),
        };
        if (csv) {
          await csv.finish();
          void reply
            .header('content-type', 'text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${siteCode}-import-errors.csv"`)
            .header('anole-import-rows', String(answer.rows))
            .header('anole-import-accepted', String(answer.accepted))
            .header('anole-import-duplicate', String(answer.duplicate))
            .header('anole-import-rejected', String(answer.rejected));
          const stream = fs.createReadStream(csv.file);
          stream.on('close', () => csv.remove());
          return reply.send(stream);
        }
        return { ...answer, errors: listed, errorsTruncated: summary.rejected > listed.length };
      } catch (error) {
        csv?.remove();
        if (error instanceof ImportSetupError) throw new AnoleError('invalid_import', error.message);
        throw error;
      } finally {
        input.destroy();
        upload.remove();
      }
    });
  });
}

/** A file in a fresh temporary directory: the received body, or every rejected row of an errors=csv import. */
function spoolFile(name: 'body' | 'errors') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anole-import-'));
  const file = path.join(dir, name === 'body' ? 'body' : 'errors.csv');
  const stream = fs.createWriteStream(file, { mode: 0o600 });
  // A file removed before its (asynchronous) open completes fails that open: without a listener the
  // error would end the process. It is kept for finish() to report instead.
  let failure: Error | null = null;
  stream.on('error', (error) => {
    failure = error;
  });
  return {
    file,
    stream,
    write(line: string): void | Promise<void> {
      if (!stream.write(line)) return new Promise((resolve) => stream.once('drain', () => resolve()));
    },
    finish: () =>
      failure ? Promise.reject(failure) : new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ?? failure ? reject(error ?? failure) : resolve()))),
    remove: () => {
      stream.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
