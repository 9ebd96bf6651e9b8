import path from 'node:path';
import { makeTempDir } from '../../../test/helpers/temp-dir.ts';
import { runStorageContract } from '../contract/run-contract.ts';
import type { StorageSettings } from '../contract/storage-factory.ts';
import type { Storage } from '../port.ts';
import { attachSqliteStorage, openSqliteStorage, type SqliteOptions, type SqliteStorage } from './sqlite-storage.ts';

function sqliteFactory(options: Omit<SqliteOptions, 'file'>, { attached = false } = {}) {
  return async (settings: StorageSettings = {}) => {
    const temp = makeTempDir();
    const file = path.join(temp.dir, 'anole.db');
    const owners: SqliteStorage[] = [openSqliteStorage({ file, ...options, ...settings })];
    // An attached handle is what the query and attribution threads use: reads on a connection of its
    // own that follows the log, writes through the owner's writer thread.
    const handles: Storage[] = attached ? [attachSqliteStorage((await owners[0]!.share()).link)] : [owners[0]!];
    return {
      storage: handles[0]!,
      async openAnother() {
        const another = openSqliteStorage({ file, ...options, ...settings });
        owners.push(another);
        return another;
      },
      async cleanup() {
        if (attached) for (const handle of handles) await handle.close();
        for (const owner of owners) await owner.close();
        temp.remove();
      },
    };
  };
}

runStorageContract('sqlite', sqliteFactory({ cacheMb: 8 }));
// The same behaviour when nearly every key has moved from memory to the on-disk index, merged
// between the suite's own calls.
runStorageContract('sqlite, keys merged every 3 events', sqliteFactory({ cacheMb: 8, keyMergeAt: 3, keyMergeStepMs: 1 }));
runStorageContract('sqlite, attached handle (another thread\'s view)', sqliteFactory({ cacheMb: 8, keyMergeAt: 5, keyMergeStepMs: 1 }, { attached: true }));
