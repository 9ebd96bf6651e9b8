import type { RejectedRow } from './run-import.ts';

/** RFC 4180 quoting: a cell holding a separator, a quote, a line break or edge spaces is quoted. */
function cell(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(cell).join(',')}\r\n`;
}

/**
 * The errors file: one line per rejected row, its row number as a spreadsheet shows it, the
 * column, the code and the message, then the row itself under its own header, so the file can be
 * fixed and imported again as it is (the error_ columns are ignored by an import).
 */
export function errorCsvHeader(header: readonly string[] | null): string {
  return csvLine(['error_row', 'error_column', 'error_code', 'error_message', ...(header ?? ['original'])]);
}

export function errorCsvLine(rejected: RejectedRow): string {
  return csvLine([String(rejected.row), rejected.column ?? '', rejected.code, rejected.message, ...rejected.original]);
}
