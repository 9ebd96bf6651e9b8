import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgresServer } from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { adminUrl: string | null; skip: string | null };
  }
}

/**
 * Starts one throwaway PostgreSQL for the whole test run (each suite then creates its own
 * database), so `npm test` alone covers both engines on a machine with the server binaries.
 * ANOLE_TEST_DATABASE_URL points the tests at an existing server instead (a database on it is
 * created per suite and dropped after). Without a server the PostgreSQL suites skip with the
 * reason, except in CI (CI=true), where a missing PostgreSQL fails the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.ANOLE_TEST_DATABASE_URL;
  if (given) {
    project.provide('postgres', { adminUrl: given, skip: null });
    return async () => undefined;
  }
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  if (!findPostgresBin()) {
    const reason = 'PostgreSQL server binaries not found (apt-get install postgresql, or set ANOLE_TEST_DATABASE_URL)';
    if (ci) throw new Error(`CI requires PostgreSQL: ${reason}`);
    project.provide('postgres', { adminUrl: null, skip: reason });
    return async () => undefined;
  }
  try {
    const server = await startPostgresServer();
    process.env.ANOLE_TEST_DATABASE_URL = server.adminUrl;
    project.provide('postgres', { adminUrl: server.adminUrl, skip: null });
    return async () => {
      delete process.env.ANOLE_TEST_DATABASE_URL;
      await server.stop();
    };
  } catch (error) {
    if (ci) throw error;
    project.provide('postgres', { adminUrl: null, skip: `PostgreSQL could not be started: ${(error as Error).message.split('\n')[0]}` });
    return async () => undefined;
  }
}
