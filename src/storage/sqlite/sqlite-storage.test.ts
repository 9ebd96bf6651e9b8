import path from 'node:path';
import { makeTempDir } from '../../../test/helpers/temp-dir.ts';
import { runStorageContract } from '../contract/run-contract.ts';
import type { Storage } from '../port.ts';
import { openSqliteStorage, type SqliteOptions } from './sqlite-storage.ts';

function sqliteFactory(options: Omit<SqliteOptions, 'file'>) {
  return async () => {
    const temp = makeTempDir();
    const file = path.join(temp.dir, 'anole.db');
    const handles: Storage[] = [openSqliteStorage({ file, ...options })];
    return {
      storage: handles[0]!,
      async openAnother() {
        const another = openSqliteStorage({ file, ...options });
        handles.push(another);
        return another;
      },
      async cleanup() {
        for (const handle of handles) await handle.close();
        temp.remove();
      },
    };
  };
}

runStorageContract('sqlite', sqliteFactory({ cacheMb: 8 }));
// The same behaviour when nearly every key has moved from memory to the on-disk index, merged
// between the suite's own calls.
runStorageContract('sqlite, keys merged every 3 events', sqliteFactory({ cacheMb: 8, keyMergeAt: 3, keyMergeStepMs: 1 }));
