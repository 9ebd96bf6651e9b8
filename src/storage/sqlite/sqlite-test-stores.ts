import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.ts';
import type { Storage } from '../port.ts';
import { openSqliteStorage, type SqliteOptions } from './sqlite-storage.ts';

/**
 * For a test file: a fresh directory per test with `anole.db` in it, and stores opened on it (or on
 * another file) that are all closed, and the directory removed, after each test.
 */
export function useSqliteStores(): {
  dir(): string;
  file(): string;
  openStore(options?: Partial<SqliteOptions>, at?: string): Storage;
} {
  let temp: ReturnType<typeof makeTempDir>;
  const open: Storage[] = [];
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    temp.remove();
  });
  const file = () => path.join(temp.dir, 'anole.db');
  return {
    dir: () => temp.dir,
    file,
    openStore(options = {}, at = file()) {
      const store = openSqliteStorage({ file: at, cacheMb: 8, ...options });
      open.push(store);
      return store;
    },
  };
}
