import type { TransferListItem } from 'node:worker_threads';
import type { Config } from './config.ts';
import { openPostgresStorage } from './storage/postgres/postgres-storage.ts';
import type { Storage } from './storage/port.ts';
import { attachSqliteStorage, openSqliteStorage, type SqliteLink } from './storage/sqlite/sqlite-storage.ts';

/** What a thread needs to open its own handle on the node's store. */
export type StoreLink = { engine: 'sqlite'; sqlite: SqliteLink } | { engine: 'postgres'; url: string; poolSize: number; eventsPerIdentity: number };

export interface NodeStore {
  storage: Storage;
  /** A link for a thread that needs `connections` connections of its own (PostgreSQL; SQLite opens one). */
  share(connections: number): Promise<{ link: StoreLink; transfer: TransferListItem[] }>;
}

/**
 * The SQLite store's settings from the configuration: one place, so that the server and a local
 * import (`anole import --data-dir`, which then applies its memory bounds: src/cli/local-store.ts)
 * open the same file with the same identity cap and commit size.
 */
export function sqliteStorageOptions(config: Config): Parameters<typeof openSqliteStorage>[0] {
  return {
    file: config.sqliteFile,
    cacheMb: config.sqliteCacheMb,
    walAutocheckpointPages: config.sqliteWalAutocheckpointPages,
    keyMergeAt: config.sqliteKeyMergeAt,
    maxCommitEvents: config.maxCommitEvents,
    eventsPerIdentity: config.maxEventsPerIdentity,
  };
}

/**
 * The node's store, picked by the configuration (DATABASE_URL: the shared PostgreSQL, migrated on
 * open under an advisory lock; else the embedded SQLite file with its writer thread). Together
 * with main.ts and the thread entries it starts, the only place that wires adapters.
 */
export async function openNodeStore(config: Config, onFatal: (error: Error) => void): Promise<NodeStore> {
  if (config.databaseUrl) {
    const url = config.databaseUrl;
    const eventsPerIdentity = config.maxEventsPerIdentity;
    const storage = await openPostgresStorage({ url, poolSize: config.pgPoolSize, eventsPerIdentity });
    return { storage, share: async (connections) => ({ link: { engine: 'postgres', url, poolSize: connections, eventsPerIdentity }, transfer: [] }) };
  }
  const storage = openSqliteStorage({ ...sqliteStorageOptions(config), onFatal });
  return {
    storage,
    async share() {
      const { link, transfer } = await storage.share();
      return { link: { engine: 'sqlite', sqlite: link }, transfer };
    },
  };
}

/** This thread's own handle on the node's store. */
export async function attachNodeStore(link: StoreLink): Promise<Storage> {
  if (link.engine === 'postgres') return openPostgresStorage({ url: link.url, poolSize: link.poolSize, eventsPerIdentity: link.eventsPerIdentity });
  return attachSqliteStorage(link.sqlite);
}
