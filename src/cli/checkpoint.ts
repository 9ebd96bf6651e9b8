import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Where an interrupted import stopped: the last row of its acknowledged prefix, for one file, one
 * target and one set of options. A re-run of the same command starts after that row. The file is
 * recognised by its path, size and modification time; a changed file is imported from the start
 * (nonces make that safe, just slower).
 */
export interface Checkpoint {
  /** Rows up to this one are stored, duplicates or rejected. */
  lastRow: number;
  load(): number | null;
  /** Written at most twice a second unless `force`: a lagging checkpoint only re-sends duplicates. */
  save(lastRow: number, force?: boolean): void;
  clear(): void;
  readonly file: string;
}

interface Saved {
  version: 1;
  input: string;
  size: number;
  mtimeMs: number;
  lastRow: number;
  savedAt: string;
}

export function openCheckpoint(stateDir: string, input: string, identity: unknown): Checkpoint {
  const absolute = path.resolve(input);
  const key = crypto.createHash('sha256').update(JSON.stringify([absolute, identity])).digest('hex').slice(0, 24);
  const file = path.join(stateDir, 'imports', `${key}.json`);
  const stat = fs.statSync(absolute);
  let lastSaved = -1;
  let lastSavedAt = 0;
  return {
    file,
    lastRow: 0,
    load() {
      let saved: Saved;
      try {
        saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Saved;
      } catch {
        return null;
      }
      if (saved.version !== 1 || saved.input !== absolute || saved.size !== stat.size || saved.mtimeMs !== stat.mtimeMs) return null;
      return Number.isSafeInteger(saved.lastRow) && saved.lastRow > 0 ? saved.lastRow : null;
    },
    save(lastRow, force = false) {
      if (lastRow === lastSaved || (!force && lastSaved !== -1 && Date.now() - lastSavedAt < 500)) return;
      lastSaved = lastRow;
      lastSavedAt = Date.now();
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const saved: Saved = { version: 1, input: absolute, size: stat.size, mtimeMs: stat.mtimeMs, lastRow, savedAt: new Date().toISOString() };
      // Written beside and renamed over: a crash leaves the old checkpoint or the new one, never half of one.
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, JSON.stringify(saved));
      fs.renameSync(temp, file);
    },
    clear() {
      fs.rmSync(file, { force: true });
    },
  };
}
