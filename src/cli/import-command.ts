import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Command, Option } from 'commander';
import type { CliConfig } from '../config.ts';
import { errorCsvHeader, errorCsvLine } from '../import/error-csv.ts';
import { inProcessSink } from '../import/in-process-sink.ts';
import { formatOfName, importSettings } from '../import/import-settings.ts';
import { ImportSetupError, runImport, type ImportSettings, type ImportSink, type ImportSummary } from '../import/run-import.ts';
import type { ImportFormat } from '../import/record-source.ts';
import { openCheckpoint, type Checkpoint } from './checkpoint.ts';
import { EXIT, type CliIo } from './cli-io.ts';
import { progressView } from './import-progress.ts';
import { openLocalStore, type LocalStore } from './local-store.ts';
import { remoteSink } from './remote-sink.ts';
import { TargetError } from './target-error.ts';
import { UsageError } from './usage-error.ts';

interface ImportFlags {
  site: string;
  url?: string;
  key?: string;
  dataDir?: string;
  databaseUrl?: string;
  format?: ImportFormat;
  delimiter?: string;
  map: string[];
  goal?: string;
  decimal: string;
  thousands?: string;
  timeFormat?: string;
  timezone: string;
  idColumn?: string;
  metadata?: string;
  dryRun?: boolean;
  errors?: string;
  strict?: boolean;
  json?: boolean;
  concurrency: string;
  batchSize: string;
  retries: string;
  stateDir?: string;
  resume: boolean;
  quiet?: boolean;
}

const EXAMPLES = `
Examples:
  # a point-of-sale export, one order per row, local times of the shop
  anole import orders.csv --site f17c21u1ag --goal 36151 --id-column order_id --timezone Europe/Paris

  # a European export: ";" separators and decimal commas, user ids instead of visitor codes
  anole import export.csv --site f17c21u1ag --decimal , --map "Customer ID=mappingValue"

  # check a file without storing anything, rejected rows into a CSV
  anole import orders.csv.gz --site f17c21u1ag --goal 36151 --dry-run --errors rejected.csv

  # straight into a store no server holds (in this process)
  anole import orders.ndjson --site f17c21u1ag --data-dir ./data --json

Exit codes: 0 every row accepted or duplicate; 1 some rows rejected; 2 usage or configuration error;
3 target unreachable, unauthorized, or interrupted (re-run the same command to resume).
See docs/import.md for every option, the nonce rule and time zones.`;

const collect = (value: string, previous: string[]) => [...previous, value];

export function importCommand(config: () => CliConfig, io: CliIo): Command {
  return new Command('import')
    .summary('import offline conversions from CSV, NDJSON or line-format files')
    .description('Imports each FILE (CSV, NDJSON or line format; gzip by .gz; "-" reads stdin) as events of one site, exactly once.')
    .argument('<file...>', 'files to import, in order')
    .requiredOption('--site <code>', 'the site (project) code')
    .option('--url <url>', 'the server to import through (default $ANOLE_URL or http://127.0.0.1:8080)')
    .option('--key <key>', 'the key to send (default $ANOLE_KEY)')
    .option('--data-dir <dir>', 'import in this process into the SQLite store in DIR (no server may hold it)')
    .option('--database-url <url>', 'import in this process into this PostgreSQL store (default $DATABASE_URL)')
    .addOption(new Option('--format <format>', 'the file format (default from the extension)').choices(['csv', 'ndjson', 'lines']))
    .option('--delimiter <char>', 'CSV separator: , ; tab | (detected from the header by default)')
    .option('--map <column=field>', 'read COLUMN as FIELD (visitorCode, mappingValue, goalId, revenue, negative, time, nonce, eventType, ignore…); repeatable', collect, [])
    .option('--goal <id>', 'the goal of every row without a goal column')
    .addOption(new Option('--decimal <mark>', 'the decimal mark of amounts').choices(['.', ',']).default('.'))
    .option('--thousands <sep>', 'the thousands separator amounts use (refused otherwise)')
    .option('--time-format <format>', 'auto, iso, epoch-s, epoch-ms, or a pattern such as "dd/MM/yyyy HH:mm" (Luxon tokens)')
    .option('--timezone <zone>', 'IANA zone of times without an offset', 'UTC')
    .option('--id-column <column>', 'the order id column: nonces come from it, so an order counts once however often it is imported')
    .option('--metadata <columns>', 'comma-separated columns copied into the conversion metadata')
    .option('--dry-run', 'validate every row and look for duplicates; store nothing')
    .option('--errors <file>', 'write the rejected rows to this CSV file')
    .option('--strict', 'stop at the first rejected row, before anything is stored')
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('--concurrency <n>', 'batches in flight against a server', '4')
    .option('--batch-size <n>', 'rows per batch', '1000')
    .option('--retries <n>', 'attempts per batch against a server on 5xx, 429 or network errors, with backoff', '8')
    .option('--state-dir <dir>', 'where checkpoints of interrupted imports are kept (default $ANOLE_STATE_DIR)')
    .option('--no-resume', 'start from the first row even if an earlier run of this command was interrupted')
    .option('--quiet', 'no progress output')
    .addHelpText('after', EXAMPLES)
    .action(async (files: string[], flags: ImportFlags) => {
      io.setExitCode(await runImportCommand(files, flags, config(), io));
    });
}

function integerFlag(raw: string, name: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

/** The options as import settings; every malformed one is a usage error before anything is read. */
export function settingsOf(flags: ImportFlags, file: string): ImportSettings {
  const named = file === '-' ? { format: null, gzip: false } : formatOfName(file);
  const format = flags.format ?? named.format ?? (file === '-' ? 'csv' : null);
  if (format === null) throw new UsageError(`cannot tell the format of ${file} from its extension: pass --format csv, ndjson or lines`);
  return importSettings(
    {
      siteCode: flags.site,
      format,
      gzip: named.gzip,
      delimiter: flags.delimiter,
      map: flags.map,
      goal: flags.goal,
      decimal: flags.decimal,
      thousands: flags.thousands,
      timeFormat: flags.timeFormat,
      timezone: flags.timezone,
      idColumn: flags.idColumn,
      metadata: flags.metadata,
      dryRun: flags.dryRun,
    },
    { option: (name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` },
  );
}

interface Target {
  describe: string;
  /** What identifies the target in a checkpoint's key. */
  identity: string;
  sink(settings: ImportSettings): ImportSink;
  close(): Promise<void>;
}

async function openTarget(flags: ImportFlags, config: CliConfig, batch: { rows: number; concurrency: number; attempts: number }): Promise<Target> {
  if (flags.dataDir !== undefined && flags.url !== undefined) throw new UsageError('--data-dir and --url name two targets: give one');
  const databaseUrl = flags.databaseUrl ?? (flags.url === undefined && flags.dataDir === undefined ? process.env.DATABASE_URL || undefined : undefined);
  if (flags.dataDir !== undefined || databaseUrl !== undefined) {
    const store: LocalStore = await openLocalStore(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : { databaseUrl: databaseUrl! });
    return {
      describe: store.describe,
      identity: flags.dataDir !== undefined ? `sqlite:${path.resolve(flags.dataDir)}` : 'postgres',
      // Two batches: one is validated while the other commits; large ones amortize each commit.
      sink: (settings) => inProcessSink(store.deps, { siteCode: settings.siteCode, batchRows: Math.max(batch.rows, 5000), concurrency: 2 }),
      close: () => store.close(),
    };
  }
  const url = (flags.url ?? config.url).replace(/\/+$/, '');
  if (!/^https?:\/\/./.test(url)) throw new UsageError(`--url ${url}: expected http://HOST:PORT`);
  const key = flags.key ?? config.key;
  return {
    describe: url,
    identity: url,
    sink: (settings) => remoteSink({ url, key, siteCode: settings.siteCode, batchRows: batch.rows, concurrency: batch.concurrency, attempts: batch.attempts }),
    close: async () => {},
  };
}

function addSummary(total: ImportSummary, one: ImportSummary): void {
  total.rows += one.rows;
  total.accepted += one.accepted;
  total.duplicate += one.duplicate;
  total.rejected += one.rejected;
  for (const [code, n] of Object.entries(one.rejectedByCode)) total.rejectedByCode[code] = (total.rejectedByCode[code] ?? 0) + n;
  total.interrupted ||= one.interrupted;
  total.stoppedAtRejection ||= one.stoppedAtRejection;
}

export async function runImportCommand(files: string[], flags: ImportFlags, config: CliConfig, io: CliIo): Promise<number> {
  const started = Date.now();
  let target: Target | null = null;
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) {
      io.stderr.write('\nstopping now\n');
      process.exit(130);
    }
    io.stderr.write('\nstopping after the batches in flight are acknowledged (Ctrl-C again to quit at once)\n');
    stop.abort();
  };
  io.onInterrupt(onSigint);
  const total: ImportSummary & { files: unknown[] } = {
    rows: 0, accepted: 0, duplicate: 0, rejected: 0, rejectedByCode: {}, seconds: 0, lastRow: 0, skipped: 0,
    interrupted: false, stoppedAtRejection: false, unreadable: null, hint: null, files: [],
  };
  try {
    const batchRows = integerFlag(flags.batchSize, '--batch-size', 1, 10_000);
    const concurrency = integerFlag(flags.concurrency, '--concurrency', 1, 64);
    const attempts = integerFlag(flags.retries, '--retries', 1, 100);
    const settingsByFile = files.map((file) => settingsOf(flags, file));
    for (const file of files) {
      if (file !== '-' && !fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
      if (file === '-' && flags.strict) throw new UsageError('--strict reads the file twice (check, then import): it needs a file, not stdin');
    }
    target = await openTarget(flags, config, { rows: batchRows, concurrency, attempts });
    const errors = flags.errors === undefined ? null : openErrorFile(flags.errors);

    for (let f = 0; f < files.length && !stop.signal.aborted; f++) {
      const file = files[f]!;
      const settings = settingsByFile[f]!;
      const checkpoint = file === '-' || settings.dryRun ? null : openCheckpoint(flags.stateDir ?? config.stateDir, file, [target.identity, settings]);
      const resumeAfter = flags.resume && checkpoint ? checkpoint.load() : null;
      if (resumeAfter !== null) io.stderr.write(`${file}: resuming after row ${resumeAfter} (an earlier run stopped there; --no-resume starts over)\n`);
      if (flags.strict) {
        // Strict: the whole file is checked first (as a dry run), and nothing is stored unless every row passes.
        const check = await importFile(file, { ...settings, dryRun: true }, target, { io, flags, errors, checkpoint: null, resumeAfter, signal: stop.signal, strict: true, label: `${file} (check)` });
        if (check.rejected > 0 || check.interrupted) {
          addSummary(total, check);
          total.files.push({ file, ...fileSummary(check) });
          if (check.rejected > 0) io.stderr.write(`${file}: --strict: stopped at the first rejected row; nothing was stored\n`);
          break;
        }
      }
      const summary = await importFile(file, settings, target, { io, flags, errors, checkpoint, resumeAfter, signal: stop.signal, strict: false, label: file });
      addSummary(total, summary);
      total.files.push({ file, ...fileSummary(summary) });
      if (summary.hint && !flags.json) io.stderr.write(`hint: ${summary.hint}\n`);
      if (summary.unreadable) io.stderr.write(`${file}: ${summary.unreadable}\n`);
      if (summary.interrupted) io.stderr.write(`${file}: interrupted after row ${summary.lastRow}; every row up to it is done. Re-run the same command to resume.\n`);
    }
    await errors?.close();
    total.interrupted ||= stop.signal.aborted;
  } catch (error) {
    io.offInterrupt(onSigint);
    await target?.close();
    if (error instanceof UsageError || error instanceof ImportSetupError) {
      io.stderr.write(`anole import: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof TargetError) {
      io.stderr.write(`anole import: ${error.message}\n`);
      if (total.files.length > 0 || total.rows > 0) printSummary(total, started, flags, io);
      io.stderr.write('Rows acknowledged before this are stored; re-run the same command to resume.\n');
      return EXIT.target;
    }
    throw error;
  }
  io.offInterrupt(onSigint);
  await target.close();
  printSummary(total, started, flags, io);
  if (total.interrupted) return EXIT.target;
  return total.rejected > 0 ? EXIT.rejected : EXIT.ok;
}

function fileSummary(s: ImportSummary) {
  return { rows: s.rows, accepted: s.accepted, duplicate: s.duplicate, rejected: s.rejected, rejectedByCode: s.rejectedByCode, lastRow: s.lastRow, skipped: s.skipped, interrupted: s.interrupted, ...(s.unreadable ? { unreadable: s.unreadable } : {}) };
}

interface FileRun {
  io: CliIo;
  flags: ImportFlags;
  errors: ErrorFile | null;
  checkpoint: Checkpoint | null;
  resumeAfter: number | null;
  signal: AbortSignal;
  strict: boolean;
  label: string;
}

async function importFile(file: string, settings: ImportSettings, target: Target, run: FileRun): Promise<ImportSummary> {
  const input: Readable = file === '-' ? process.stdin : fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  const totalBytes = file === '-' ? null : fs.statSync(file).size;
  const view = progressView({ label: run.label, totalBytes, stream: run.io.stderr, quiet: run.flags.quiet === true });
  try {
    const summary = await runImport({
      settings,
      sink: target.sink(settings),
      input,
      signal: run.signal,
      stopAtFirstRejection: run.strict,
      ...(run.resumeAfter === null ? {} : { skipThroughRow: run.resumeAfter }),
      onHeader: (header) => run.errors?.begin(header, run.resumeAfter !== null),
      onRejected: (rejected) => run.errors?.write(rejected),
      onProgress: (progress) => view.update(progress),
      onCheckpoint: (lastRow) => run.checkpoint?.save(lastRow),
    });
    view.stop();
    // A finished file needs no checkpoint; an interrupted one keeps it, exact, for the re-run.
    if (!summary.interrupted && summary.unreadable === null) run.checkpoint?.clear();
    else run.checkpoint?.save(summary.lastRow, true);
    return summary;
  } catch (error) {
    view.stop();
    if (file !== '-') (input as fs.ReadStream).destroy();
    throw error;
  }
}

interface ErrorFile {
  begin(header: string[] | null, resuming: boolean): void;
  write(rejected: Parameters<typeof errorCsvLine>[0]): void | Promise<void>;
  close(): Promise<void>;
}

/** The rejected rows of every file into one CSV; a resumed run adds to the file the first run began. */
function openErrorFile(file: string): ErrorFile {
  let stream: fs.WriteStream | null = null;
  return {
    begin(header, resuming) {
      if (stream) return;
      const append = resuming && fs.existsSync(file) && fs.statSync(file).size > 0;
      stream = fs.createWriteStream(file, { flags: append ? 'a' : 'w' });
      if (!append) stream.write(errorCsvHeader(header));
    },
    write(rejected) {
      if (!stream!.write(errorCsvLine(rejected))) return new Promise((resolve) => stream!.once('drain', () => resolve()));
    },
    close() {
      return new Promise((resolve, reject) => (stream ? stream.end((error?: Error | null) => (error ? reject(error) : resolve())) : resolve()));
    },
  };
}

function printSummary(total: ImportSummary & { files: unknown[] }, started: number, flags: ImportFlags, io: CliIo): void {
  const seconds = Math.round((Date.now() - started) / 10) / 100;
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify({ rows: total.rows, accepted: total.accepted, duplicate: total.duplicate, rejected: total.rejected, rejectedByCode: total.rejectedByCode, seconds, dryRun: flags.dryRun === true, interrupted: total.interrupted, files: total.files })}\n`,
    );
    return;
  }
  const verb = flags.dryRun ? 'would be accepted' : 'accepted';
  const lines = [
    `${flags.dryRun ? 'Dry run: nothing was stored. ' : ''}${total.rows} rows read in ${seconds} s: ${total.accepted} ${verb}, ${total.duplicate} duplicate, ${total.rejected} rejected`,
  ];
  for (const [code, n] of Object.entries(total.rejectedByCode).sort((a, b) => b[1] - a[1])) lines.push(`  ${code}: ${n}`);
  if (total.rejected > 0 && flags.errors) lines.push(`The rejected rows are in ${flags.errors}.`);
  else if (total.rejected > 0) lines.push('Pass --errors FILE to get every rejected row with its reason.');
  io.stdout.write(`${lines.join('\n')}\n`);
}
