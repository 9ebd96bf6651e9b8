import { createTestDatabase } from '../helpers/postgres-database.ts';
import { startPostgresServer } from '../helpers/postgres-server.ts';

/** A fresh database for a fuzz run: on the server given, or on a throwaway one started for it. */
export async function createTestDatabaseOn(adminUrl: string | undefined): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = adminUrl ? null : await startPostgresServer();
  const database = await createTestDatabase(adminUrl ?? server!.adminUrl);
  return {
    url: database.url,
    async drop() {
      await database.drop();
      await server?.stop();
    },
  };
}
