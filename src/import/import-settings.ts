import { LIMITS } from '../core/limits.ts';
import { SITE_CODE } from '../core/site-settings.ts';
import { timeFormatOf } from './local-time.ts';
import type { ImportFormat } from './record-source.ts';
import { ImportSetupError, type ImportSettings } from './run-import.ts';

/** The options of an import as a person types them (CLI flags or query parameters), before checking. */
export interface ImportOptionsInput {
  siteCode: string;
  format: ImportFormat;
  gzip: boolean;
  delimiter?: string | undefined;
  /** COLUMN=FIELD entries. */
  map?: readonly string[] | undefined;
  goal?: string | undefined;
  decimal?: string | undefined;
  thousands?: string | undefined;
  timeFormat?: string | undefined;
  timezone?: string | undefined;
  idColumn?: string | undefined;
  /** Comma-separated column names. */
  metadata?: string | undefined;
  dryRun?: boolean | undefined;
}

/** The format a file name implies, gzip by `.gz`; null when the name does not say. */
export function formatOfName(name: string): { format: ImportFormat | null; gzip: boolean } {
  const gzip = /\.gz$/i.test(name);
  const base = name.replace(/\.gz$/i, '').toLowerCase();
  if (base.endsWith('.csv') || base.endsWith('.tsv')) return { format: 'csv', gzip };
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl')) return { format: 'ndjson', gzip };
  if (base.endsWith('.lines') || base.endsWith('.events')) return { format: 'lines', gzip };
  return { format: null, gzip };
}

/**
 * Checks every option once, before a byte is read, with a message that names the option: the
 * same rules for `anole import` and POST /api/sites/{site}/imports.
 */
export function importSettings(input: ImportOptionsInput, names: { option: (name: string) => string }): ImportSettings {
  const fail = (message: string): never => {
    throw new ImportSetupError(message);
  };
  if (!SITE_CODE.test(input.siteCode)) fail('the site code must be 1 to 64 letters, digits, "_" or "-"');
  const map: Record<string, string> = {};
  for (const entry of input.map ?? []) {
    const eq = entry.lastIndexOf('=');
    if (eq <= 0 || eq === entry.length - 1) fail(`${names.option('map')} ${entry}: expected COLUMN=FIELD`);
    map[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  }
  let delimiter = input.delimiter;
  if (delimiter !== undefined) {
    if (delimiter === 'tab' || delimiter === '\\t') delimiter = '\t';
    if (delimiter.length !== 1 || /["\r\n]/.test(delimiter)) fail(`${names.option('delimiter')} must be one character (or "tab"), not a quote or a line break`);
  }
  const decimal = input.decimal ?? '.';
  if (decimal !== '.' && decimal !== ',') fail(`${names.option('decimal')} must be "." or ","`);
  const thousands = input.thousands === undefined ? null : input.thousands === 'space' ? ' ' : input.thousands;
  if (thousands !== null && (thousands.length !== 1 || thousands === decimal || /\d/.test(thousands))) {
    fail(`${names.option('thousands')} must be one character other than a digit and the decimal mark (for example , . or "space")`);
  }
  let goalId: number | null = null;
  if (input.goal !== undefined) {
    goalId = Number(input.goal);
    if (!/^\d{1,10}$/.test(input.goal) || goalId > LIMITS.maxId) fail(`${names.option('goal')} must be an integer from 0 to ${LIMITS.maxId}`);
  }
  const columnName = (name: string, option: string) => {
    if (name.trim() === '' || name.length > LIMITS.textLength) fail(`${names.option(option)} must name a column`);
    return name.trim();
  };
  return {
    siteCode: input.siteCode,
    format: input.format,
    gzip: input.gzip,
    ...(delimiter === undefined ? {} : { delimiter }),
    map,
    idColumn: input.idColumn === undefined ? null : columnName(input.idColumn, 'idColumn'),
    metadata: input.metadata ? input.metadata.split(',').map((c) => c.trim()).filter((c) => c !== '') : [],
    goalId,
    numbers: { decimal: decimal as '.' | ',', thousands },
    timezone: input.timezone ?? 'UTC',
    timeFormat: timeFormatOf(input.timeFormat),
    dryRun: input.dryRun === true,
  };
}
