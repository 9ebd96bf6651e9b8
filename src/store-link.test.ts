import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { IMPORT_SQLITE_BOUNDS, importSqliteStorageOptions, sqliteStorageOptions } from './store-link.ts';

describe('store settings: an in-process import stays within its memory bounds', () => {
  it('caps the page cache and the merge threshold of the defaults, and keeps the server on its own settings', () => {
    const config = loadConfig({ ANOLE_DATA_DIR: '/tmp/anole-settings' });
    expect(sqliteStorageOptions(config)).toMatchObject({ cacheMb: 512, keyMergeAt: 200_000 });
    expect(importSqliteStorageOptions(config)).toMatchObject({
      file: config.sqliteFile,
      cacheMb: IMPORT_SQLITE_BOUNDS.cacheMb,
      keyMergeAt: IMPORT_SQLITE_BOUNDS.keyMergeAt,
      readerCacheMb: IMPORT_SQLITE_BOUNDS.readerCacheMb,
      eventsPerIdentity: config.maxEventsPerIdentity,
    });
  });

  it('keeps lower settings, and caps higher ones', () => {
    const low = loadConfig({ ANOLE_DATA_DIR: '/tmp/anole-settings', ANOLE_SQLITE_CACHE_MB: '8', ANOLE_SQLITE_KEY_MERGE_AT: '1000' });
    expect(importSqliteStorageOptions(low)).toMatchObject({ cacheMb: 8, keyMergeAt: 1000 });
    const high = loadConfig({ ANOLE_DATA_DIR: '/tmp/anole-settings', ANOLE_SQLITE_CACHE_MB: '4096', ANOLE_SQLITE_KEY_MERGE_AT: '5000000' });
    expect(importSqliteStorageOptions(high)).toMatchObject({ cacheMb: 32, keyMergeAt: 50_000 });
  });
});
