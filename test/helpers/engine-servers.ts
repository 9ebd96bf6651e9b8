import { createTestDatabase, testPostgres } from './postgres-database.ts';
import { startTestServer, type TestServer } from './test-server.ts';

export interface EngineCase {
  engine: 'sqlite' | 'postgres';
  /** Why this engine's suite is skipped, or null when it runs. */
  skip: string | null;
  /** A real server on this engine; stop() also drops its database. */
  start(env?: Record<string, string>): Promise<TestServer>;
}

/**
 * Both storage engines, for suites whose subject touches storage: the same server over HTTP on an
 * embedded SQLite file and on a fresh database of the throwaway PostgreSQL test server.
 */
export function engineCases(): EngineCase[] {
  const postgres = testPostgres();
  return [
    { engine: 'sqlite', skip: null, start: (env) => startTestServer(env) },
    {
      engine: 'postgres',
      skip: postgres.skip,
      async start(env = {}) {
        const database = await createTestDatabase(postgres.adminUrl!);
        const server = await startTestServer({ DATABASE_URL: database.url, ...env });
        return {
          ...server,
          async stop() {
            await server.stop();
            await database.drop();
          },
        };
      },
    },
  ];
}
