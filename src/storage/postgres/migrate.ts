import type pg from 'pg';
import { POSTGRES_MIGRATIONS } from './schema.ts';

/** Transaction-level advisory lock key ("anole" in ASCII): one migrator at a time per database. */
const MIGRATION_LOCK = 418_464_263_269;

/**
 * Applies the migrations this database lacks. Several nodes may start at once: each takes the same
 * advisory lock inside its transaction, so the first applies the migrations while the others wait,
 * then find nothing left to do.
 */
export async function migratePostgres(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS anole_schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
    const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM anole_schema_migrations');
    const current = rows[0]?.version ?? 0;
    if (current > POSTGRES_MIGRATIONS.length) {
      throw new Error(`database schema version ${current} is newer than this build knows (${POSTGRES_MIGRATIONS.length})`);
    }
    for (let version = current; version < POSTGRES_MIGRATIONS.length; version++) {
      await client.query(POSTGRES_MIGRATIONS[version] ?? '');
      await client.query('INSERT INTO anole_schema_migrations (version, applied_at) VALUES ($1, $2)', [version + 1, Date.now()]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
