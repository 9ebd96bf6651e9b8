import type Database from 'better-sqlite3';

/** Rows per multi-row statement: 50 rows of 11 values stay far below SQLite's 32,766 parameters. */
export const ROWS_PER_STATEMENT = 50;

export interface RowBatch {
  /** Adds one row's values (as many as the tuple has placeholders); writes a full statement's worth. */
  push(...values: unknown[]): void;
  /** Writes the rows held. */
  flush(): void;
  /** Drops the rows held (the transaction they belonged to rolled back). */
  clear(): void;
  /** Rows held, not yet written. */
  readonly size: number;
}

/**
 * One INSERT written as `VALUES (…), (…), …` of up to ROWS_PER_STATEMENT rows instead of one
 * statement call per row: better-sqlite3 pays a fixed cost per `.run()` (binding, stepping, reset),
 * and the rows of one call are inserted by one statement whose cursor stays on the page it last
 * wrote. The rows held are written by `flush` (or when a full statement's worth is held), so a
 * caller that reads the table in between flushes first. `insert` is the statement up to VALUES,
 * `tuple` one row's placeholders, `suffix` what follows the rows (an ON CONFLICT clause).
 */
export function rowBatch(db: Database.Database, insert: string, tuple: string, suffix = ''): RowBatch {
  const width = tuple.split('?').length - 1;
  const one = db.prepare(`${insert} VALUES ${tuple} ${suffix}`);
  const full = db.prepare(`${insert} VALUES ${Array<string>(ROWS_PER_STATEMENT).fill(tuple).join(', ')} ${suffix}`);
  // One array of a full statement's values, reused: emptying an array (length = 0) gives its
  // storage back, and refilling it would grow it again step by step for every statement.
  const held = Array<unknown>(width * ROWS_PER_STATEMENT).fill(null);
  let n = 0;
  const flush = () => {
    // Fewer rows than a full statement are written one by one: a statement per row count would
    // cost a prepared statement each, for the few rows at the end of a transaction.
    for (let at = 0; at < n; at += width) one.run(held.slice(at, at + width));
    n = 0;
  };
  return {
    push(...values) {
      for (let i = 0; i < values.length; i++) held[n++] = values[i];
      if (n === held.length) {
        full.run(held);
        n = 0;
      }
    },
    flush,
    clear() {
      n = 0;
    },
    get size() {
      return n / width;
    },
  };
}
