import fs from 'node:fs';
import v8 from 'node:v8';
import { loadConfig, type Config } from '../config.ts';
import { createGroupCommitter } from '../ingest/group-commit.ts';
import type { IngestDeps } from '../ingest/ingest-events.ts';
import { createSiteDirectory } from '../sites/site-directory.ts';
import { openPostgresStorage } from '../storage/postgres/postgres-storage.ts';
import { openSqliteStorage } from '../storage/sqlite/sqlite-storage.ts';
import { lockSqliteStore, StoreLockedError } from '../storage/sqlite/sqlite-store-lock.ts';
import { sqliteStorageOptions } from '../store-link.ts';
import { UsageError } from './usage-error.ts';

export interface LocalStore {
  deps: IngestDeps;
  /** Where the events go, for messages. */
  describe: string;
  close(): Promise<void>;
}

/**
 * What an in-process import holds at most, whatever the configuration says (a lower setting is
 * kept), in one place (docs/import.md#memory, figures in docs/performance-import.md):
 * - `cacheMb`, the writer's page cache: an import reads nothing back, so the cache a server keeps
 *   for reads (512 MiB) would only fill with the index pages its merges touch, which the operating
 *   system caches anyway;
 * - `keyMergeAt`: the unmerged key tail is held in the writer's memory, about two runs of it;
 * - `keyFilterMb`: the filter of de-duplication keys (sqlite-key-filter.ts): about 1% false
 *   positives at 3M keys, more beyond (each costs an index probe, as without a filter);
 * - `readerCacheMb`, the reading connection's page cache: it only looks up the site;
 * - `heapGrowingPercent`: V8 lets a busy heap grow to several times what it holds between full
 *   collections (145 MB for 27 MB live was measured), and two busy heaps (the pipeline's and the
 *   writer's) share the process, so a full collection runs once a heap is this much above what the
 *   last one kept (process-wide, read at every collection);
 * - `semiSpaceMb`: the young generation of the threads started from then on (the writer; 16 MiB by
 *   default), fewer young objects held between scavenges.
 */
export const IMPORT_BOUNDS = { cacheMb: 8, keyMergeAt: 50_000, keyFilterMb: 4, readerCacheMb: 4, heapGrowingPercent: 20, semiSpaceMb: 4 } as const;

/** The SQLite store's settings for an in-process import: the configuration's, within IMPORT_BOUNDS. */
export function importSqliteStorageOptions(config: Config): ReturnType<typeof sqliteStorageOptions> {
  const options = sqliteStorageOptions(config);
  return {
    ...options,
    cacheMb: Math.min(options.cacheMb ?? IMPORT_BOUNDS.cacheMb, IMPORT_BOUNDS.cacheMb),
    keyMergeAt: Math.min(options.keyMergeAt ?? IMPORT_BOUNDS.keyMergeAt, IMPORT_BOUNDS.keyMergeAt),
    keyFilterMb: IMPORT_BOUNDS.keyFilterMb,
    readerCacheMb: IMPORT_BOUNDS.readerCacheMb,
  };
}

/** V8's settings for the import's process (see IMPORT_BOUNDS): before the writer thread starts. */
export function importV8Flags(): string[] {
  return [`--heap-growing-percent=${IMPORT_BOUNDS.heapGrowingPercent}`, `--max-semi-space-size=${IMPORT_BOUNDS.semiSpaceMb}`];
}

/**
 * The store opened in this process for `--data-dir` or `DATABASE_URL` imports, wired the way the
 * server wires it (the same settings from the environment, within IMPORT_BOUNDS for SQLite). An
 * embedded store that a running server holds is refused: one writer per SQLite store. PostgreSQL
 * takes any number of writers.
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
  for (const flag of importV8Flags()) v8.setFlagsFromString(flag);
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
