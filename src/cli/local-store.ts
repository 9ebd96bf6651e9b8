import fs from 'node:fs';
import { loadConfig } from '../config.ts';
import { createGroupCommitter } from '../ingest/group-commit.ts';
import type { IngestDeps } from '../ingest/ingest-events.ts';
import { createSiteDirectory } from '../sites/site-directory.ts';
import { openPostgresStorage } from '../storage/postgres/postgres-storage.ts';
import { openSqliteStorage } from '../storage/sqlite/sqlite-storage.ts';
import { lockSqliteStore, StoreLockedError } from '../storage/sqlite/sqlite-store-lock.ts';
import { importSqliteStorageOptions } from '../store-link.ts';
import { UsageError } from './usage-error.ts';

export interface LocalStore {
  deps: IngestDeps;
  /** Where the events go, for messages. */
  describe: string;
  close(): Promise<void>;
}

/**
 * The store opened in this process for `--data-dir` or `DATABASE_URL` imports, wired the way the
 * server wires it (same settings from the environment). An embedded store that a running server
 * holds is refused: one writer per SQLite store. PostgreSQL takes any number of writers.
 */
export async function openLocalStore(target: { dataDir: string } | { databaseUrl: string }): Promise<LocalStore> {
  const env = 'dataDir' in target ? { ...process.env, ANOLE_DATA_DIR: target.dataDir, DATABASE_URL: '' } : { ...process.env, DATABASE_URL: target.databaseUrl };
  const config = loadConfig(env);
  if (config.databaseUrl) {
    const storage = await openPostgresStorage({ url: config.databaseUrl, poolSize: Math.min(config.pgPoolSize, 4), eventsPerIdentity: config.maxEventsPerIdentity });
    return wire(storage, 'PostgreSQL (DATABASE_URL)', async () => storage.close());
  }
  if (!fs.existsSync(config.dataDir)) throw new UsageError(`--data-dir ${config.dataDir} does not exist (an import does not create a store; start the server once, or create the directory)`);
  let lock;
  try {
    lock = lockSqliteStore(config.sqliteFile, 'an anole import');
  } catch (error) {
    if (error instanceof StoreLockedError) {
      throw new UsageError(
        `${error.message}: a running server holds this store, and two writers must never share it. ` +
          'Import through the server instead (--url http://HOST:PORT), or stop it first.',
      );
    }
    throw error;
  }
  const storage = openSqliteStorage(importSqliteStorageOptions(config));
  return wire(storage, config.sqliteFile, async () => {
    await storage.close();
    lock.release();
  });

  function wire(storage: IngestDeps['storage'], describe: string, closeStore: () => Promise<void>): LocalStore {
    const sites = createSiteDirectory(storage, { autoCreate: config.autoCreateSites, cacheMs: config.siteCacheMs });
    const committer = createGroupCommitter(storage, { maxEvents: config.maxCommitEvents, lanes: storage.commitLanes });
    return {
      deps: { storage, sites, committer },
      describe,
      async close() {
        await committer.drain();
        await closeStore();
      },
    };
  }
}
