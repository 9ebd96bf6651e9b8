import crypto from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

const TEST_NAME = /^anole_test_[0-9a-f]{16}$/;

/**
 * Where the PostgreSQL tests run: the URL of an administrative database on a throwaway server
 * (started by test/helpers/postgres-global-setup.ts, or given as ANOLE_TEST_DATABASE_URL), or
 * the reason there is none, which PostgreSQL suites print as their skip reason.
 */
export function testPostgres(): { adminUrl: string; skip: null } | { adminUrl: null; skip: string } {
  const provided = inject('postgres');
  if (provided?.adminUrl) return { adminUrl: provided.adminUrl, skip: null };
  return { adminUrl: null, skip: provided?.skip ?? 'no PostgreSQL test server (run through vitest with its globalSetup)' };
}

const testName = () => `anole_test_${crypto.randomBytes(8).toString('hex')}`;

function refuseUnlessTest(name: string): void {
  if (!TEST_NAME.test(name)) throw new Error(`refusing to drop ${name}: not a test database or schema`);
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  /** A fresh schema in this database: far cheaper than a database per test. */
  createSchema(): Promise<{ schema: string; drop(): Promise<void> }>;
  /** Drops the database; refuses any database whose name is not a test database's. */
  drop(): Promise<void>;
}

/** A fresh, empty database on the test server, so suites never see each other's rows. */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = testName();
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const parsed = new URL(adminUrl);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  return {
    url,
    name,
    async createSchema() {
      const schema = testName();
      await withClient(url, (c) => c.query(`CREATE SCHEMA ${schema}`));
      return {
        schema,
        async drop() {
          refuseUnlessTest(schema);
          await withClient(url, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
        },
      };
    },
    async drop() {
      refuseUnlessTest(name);
      await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
