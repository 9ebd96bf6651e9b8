import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { sqliteStorageOptions } from '../store-link.ts';
import { IMPORT_BOUNDS, importSqliteStorageOptions, importV8Flags } from './local-store.ts';

describe("an in-process import's memory bounds", () => {
  it("cap the page caches and the merge threshold of the defaults, and leave the server's settings alone", () => {
    const config = loadConfig({ ANOLE_DATA_DIR: '/tmp/anole-settings' });
    expect(sqliteStorageOptions(config)).toMatchObject({ cacheMb: 512, keyMergeAt: 200_000 });
    expect(importSqliteStorageOptions(config)).toMatchObject({
      file: config.sqliteFile,
      cacheMb: IMPORT_BOUNDS.cacheMb,
      keyMergeAt: IMPORT_BOUNDS.keyMergeAt,
      readerCacheMb: IMPORT_BOUNDS.readerCacheMb,
      eventsPerIdentity: config.maxEventsPerIdentity,
    });
  });

  it('keep lower settings and cap higher ones', () => {
    const low = loadConfig({ ANOLE_DATA_DIR: '/tmp/anole-settings', ANOLE_SQLITE_CACHE_MB: '2', ANOLE_SQLITE_KEY_MERGE_AT: '1000' });
    expect(importSqliteStorageOptions(low)).toMatchObject({ cacheMb: 2, keyMergeAt: 1000 });
    const high = loadConfig({ ANOLE_DATA_DIR: '/tmp/anole-settings', ANOLE_SQLITE_CACHE_MB: '4096', ANOLE_SQLITE_KEY_MERGE_AT: '5000000' });
    expect(importSqliteStorageOptions(high)).toMatchObject({ cacheMb: IMPORT_BOUNDS.cacheMb, keyMergeAt: IMPORT_BOUNDS.keyMergeAt });
  });

  it('name flags this V8 knows (setFlagsFromString ignores an unknown one silently)', () => {
    const known = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    for (const flag of importV8Flags()) expect(known).toContain(`  ${flag.split('=')[0]!} (`);
  });
});
