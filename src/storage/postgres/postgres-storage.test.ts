import { afterAll } from 'vitest';
import { createTestDatabase, testPostgres, type TestDatabase } from '../../../test/helpers/postgres-database.ts';
import { runStorageContract } from '../contract/run-contract.ts';
import type { Storage } from '../port.ts';
import { openPostgresStorage } from './postgres-storage.ts';

const server = testPostgres();
let database: Promise<TestDatabase> | null = null;
afterAll(async () => {
  if (database) await (await database).drop();
});

// One database for this file, one fresh schema per test.
runStorageContract(
  'postgres',
  async (settings = {}) => {
    const db = await (database ??= createTestDatabase(server.adminUrl!));
    const { schema, drop } = await db.createSchema();
    const open = () => openPostgresStorage({ url: db.url, schema, poolSize: 4, ...settings });
    const handles: Storage[] = [await open()];
    return {
      storage: handles[0]!,
      async openAnother() {
        const another = await open();
        handles.push(another);
        return another;
      },
      async cleanup() {
        for (const handle of handles) await handle.close();
        await drop();
      },
    };
  },
  { unavailable: server.skip },
);
