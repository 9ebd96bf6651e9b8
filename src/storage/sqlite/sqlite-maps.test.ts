import path from 'node:path';
import { describe } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.ts';
import { forgetContract } from '../contract/forget-contract.ts';
import { mapsContract } from '../contract/maps-contract.ts';
import type { StorageFactory } from '../contract/storage-factory.ts';
import type { Storage } from '../port.ts';
import { openSqliteStorage } from './sqlite-storage.ts';

const makeSqlite: StorageFactory = async () => {
  const temp = makeTempDir();
  const file = path.join(temp.dir, 'anole.db');
  const handles: Storage[] = [openSqliteStorage({ file, cacheMb: 8 })];
  return {
    storage: handles[0]!,
    async openAnother() {
      const another = openSqliteStorage({ file, cacheMb: 8 });
      handles.push(another);
      return another;
    },
    async cleanup() {
      for (const handle of handles) await handle.close();
      temp.remove();
    },
  };
};

// Until run-contract.ts includes the maps and forget parts for every engine.
describe('storage contract: sqlite (maps, forget)', () => {
  mapsContract(makeSqlite);
  forgetContract(makeSqlite);
});
