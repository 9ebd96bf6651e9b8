/**
 * Many keys in one statement. better-sqlite3 pays several µs per statement call, more than an
 * indexed lookup costs, so the reads and writes of a worker round's hundreds of persons pass their
 * keys as a JSON array that SQLite walks (`FROM json_each(?) j CROSS JOIN t ON t.key = j.value`),
 * at most KEYS_PER_STATEMENT of them per statement, so that the text parsed stays small however
 * large the round or an identity's history. Rows written many at a time (the append's log rows,
 * a round's person upserts) go through multi-row statements instead (sqlite-row-batch.ts): their
 * values are bound as they are, with no JSON to build and parse. Not for deletes: a round's marks
 * go one primary-key DELETE each, three times faster a mark than a json_each set with RETURNING
 * (sqlite-derived.ts, completeDirty).
 */
const KEYS_PER_STATEMENT = 2_000;

/** The items as JSON arrays of at most KEYS_PER_STATEMENT each, for `json_each(?)`. */
export function* jsonChunks(items: readonly unknown[]): Generator<string> {
  for (let i = 0; i < items.length; i += KEYS_PER_STATEMENT) yield JSON.stringify(items.slice(i, i + KEYS_PER_STATEMENT));
}
