/**
 * Cells of an import file as the values events carry: amounts written the way spreadsheets in
 * many countries write them, and yes/no flags.
 */
export interface NumberFormat {
  /** The decimal mark: `.` (default) or `,` (European exports). */
  decimal: '.' | ',';
  /** The thousands separator the file uses, if it uses one; any other grouping is refused. */
  thousands: string | null;
}

export type ParsedCell<T> = { ok: true; value: T } | { ok: false; message: string };

const PLAIN = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** An amount: `1234.5`, or with `--decimal ,` `1234,5`; `1,234.50` only when `,` is the declared thousands separator. */
export function parseAmount(cell: string, format: NumberFormat): ParsedCell<number> {
  let text = cell.trim();
  if (format.thousands !== null && format.thousands !== '') {
    const sep = format.thousands;
    const [whole = '', ...rest] = text.split(format.decimal);
    const groups = whole.replace(/^[+-]/, '').split(sep);
    // Grouping must be real grouping (1,234,567), not a stray separator (12,34).
    if (groups.length > 1 && !(groups[0]!.length >= 1 && groups[0]!.length <= 3 && groups.slice(1).every((g) => /^\d{3}$/.test(g)))) {
      return { ok: false, message: `${JSON.stringify(cell)} is not grouped in thousands by ${JSON.stringify(sep)}` };
    }
    text = [whole.split(sep).join(''), ...rest].join(format.decimal);
  }
  if (format.decimal === ',') {
    if (text.includes('.')) return refuseGrouping(cell, '.', format);
    text = text.replace(',', '.');
  } else if (text.includes(',')) {
    return refuseGrouping(cell, ',', format);
  }
  if (!PLAIN.test(text)) return { ok: false, message: `${JSON.stringify(cell.slice(0, 80))} is not a number` };
  const value = Number(text);
  if (!Number.isFinite(value)) return { ok: false, message: `${JSON.stringify(cell.slice(0, 80))} is not a finite number` };
  return { ok: true, value };
}

function refuseGrouping(cell: string, mark: string, format: NumberFormat): ParsedCell<never> {
  const hint =
    mark === ','
      ? 'for decimal commas pass --decimal , (decimal=, over HTTP); for thousands separators pass --thousands ,'
      : `with decimal commas, pass --thousands . if "." groups thousands`;
  return { ok: false, message: `${JSON.stringify(cell.slice(0, 80))} holds ${JSON.stringify(mark)}, which this import does not read as ${format.decimal === '.' ? 'the decimal mark' : 'a separator'}: ${hint}` };
}

const TRUE = new Set(['true', '1', 'yes', 'y']);
const FALSE = new Set(['false', '0', 'no', 'n', '']);

/** true/false, 1/0, yes/no (any case); an empty cell is false. */
export function parseFlag(cell: string): ParsedCell<boolean> {
  const text = cell.trim().toLowerCase();
  if (TRUE.has(text)) return { ok: true, value: true };
  if (FALSE.has(text)) return { ok: true, value: false };
  return { ok: false, message: `${JSON.stringify(cell.slice(0, 80))} is not true/false, 1/0 or yes/no` };
}
