import fs from 'node:fs';
import Database from 'better-sqlite3';

/**
 * One process at a time writes an embedded store: its de-duplication keys for the recent tail are
 * held in that process's memory, so a second writer would miss them and store events twice. The
 * lock is an exclusive SQLite lock on a small file beside the store; the operating system drops it
 * when the holder exits in any way (SIGKILL and power loss included), so it never goes stale.
 */
export interface StoreLock {
  /** Rewrites who holds it (a server knows its address only once it listens). */
  note(holder: string): void;
  release(): void;
}

export class StoreLockedError extends Error {
  constructor(
    readonly file: string,
    readonly holder: string | null,
  ) {
    super(`the store ${file} is in use by another process${holder ? ` (${holder})` : ''}`);
    this.name = 'StoreLockedError';
  }
}

/** Takes the store's lock or throws StoreLockedError; `holder` says who holds it, for the refusal message. */
export function lockSqliteStore(file: string, holder: string): StoreLock {
  const lockFile = `${file}.lock`;
  const holderFile = `${file}.holder`;
  const db = new Database(lockFile);
  try {
    db.pragma('busy_timeout = 0');
    // In exclusive locking mode the lock a write takes is kept until the connection closes.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (since INTEGER)');
    db.exec('BEGIN EXCLUSIVE; DELETE FROM holder; INSERT INTO holder VALUES (unixepoch()); COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      let said: string | null = null;
      try {
        said = fs.readFileSync(holderFile, 'utf8').trim() || null;
      } catch {
        // No note: the holder is older than the note or did not write it.
      }
      throw new StoreLockedError(file, said);
    }
    throw error;
  }
  const note = (text: string) => fs.writeFileSync(holderFile, `${text}, pid ${process.pid}\n`, { mode: 0o600 });
  note(holder);
  let released = false;
  return {
    note,
    release() {
      if (released) return;
      released = true;
      fs.rmSync(holderFile, { force: true });
      db.close();
    },
  };
}
