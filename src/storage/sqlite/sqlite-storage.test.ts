import path from 'node:path';
import { makeTempDir } from '../../../test/helpers/temp-dir.ts';
import { runStorageContract } from '../contract/run-contract.ts';
import type { Storage } from '../port.ts';
import { openSqliteStorage } from './sqlite-storage.ts';

runStorageContract('sqlite', async () => {
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
});
