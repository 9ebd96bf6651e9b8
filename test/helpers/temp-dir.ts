import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh directory under the system temp dir, removed by `remove()`, which refuses any other path. */
export function makeTempDir(prefix = 'anole-test-'): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    remove() {
      const resolved = path.resolve(dir);
      if (!resolved.startsWith(path.resolve(os.tmpdir()) + path.sep) || !path.basename(resolved).startsWith(prefix)) {
        throw new Error(`refusing to remove ${resolved}: not a test directory`);
      }
      fs.rmSync(resolved, { recursive: true, force: true });
    },
  };
}
