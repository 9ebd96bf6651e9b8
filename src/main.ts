import fs from 'node:fs';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { buildApp } from './http/app.ts';
import { createGroupCommitter } from './ingest/group-commit.ts';
import { startMapPurger } from './maps/map-purger.ts';
import { createSiteDirectory } from './sites/site-directory.ts';
import { openPostgresStorage } from './storage/postgres/postgres-storage.ts';
import { openSqliteStorage } from './storage/sqlite/sqlite-storage.ts';

/** The only place that wires adapters: configuration → store → use-cases → HTTP. */
export async function startServer(config: Config): Promise<{ url: string; stop: () => Promise<void> }> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  // DATABASE_URL picks the shared PostgreSQL store (migrated on open, under an advisory lock); else SQLite.
  const storage = config.databaseUrl
    ? await openPostgresStorage({ url: config.databaseUrl, poolSize: config.pgPoolSize })
    : openSqliteStorage({ file: config.sqliteFile, cacheMb: config.sqliteCacheMb });
  const sites = createSiteDirectory(storage, { autoCreate: config.autoCreateSites, cacheMs: config.siteCacheMs });
  const committer = createGroupCommitter(storage, { maxEvents: config.maxCommitEvents });
  const { app, markStopping } = await buildApp(
    { storage, sites, committer },
    { bodyLimitBytes: config.bodyLimitBytes, logLevel: config.logLevel, corsOrigins: config.corsOrigins },
  );
  const url = await app.listen({ host: config.host, port: config.port });
  const mapPurger = startMapPurger(storage, { intervalMs: config.mapPurgeIntervalMs });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      markStopping();
      // Stop accepting, let in-flight requests finish (each waits for its commit), then close the store.
      await app.close();
      mapPurger.stop();
      await committer.drain();
      await storage.close();
    })());
  return { url, stop };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const server = await startServer(config);
  console.log(JSON.stringify({ level: 'info', msg: `anole listening on ${server.url}`, dataDir: config.dataDir }));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      const timer = setTimeout(() => {
        console.error(JSON.stringify({ level: 'error', msg: 'graceful stop timed out; exiting' }));
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      server
        .stop()
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          console.error(error);
          process.exit(1);
        });
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void main();
}
