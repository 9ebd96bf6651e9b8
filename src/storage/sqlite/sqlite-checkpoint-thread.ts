/**
 * The SQLite checkpointer thread: copies the WAL's committed pages into the database file with
 * `wal_checkpoint(PASSIVE)` every few milliseconds, on a connection of its own, so that this copy
 * and its fsync never run inside one of the writer's commits (with SQLite's auto-checkpoint on the
 * writer, the commit that crossed the threshold paid for the whole WAL: the slowest appends of the
 * bench). PASSIVE never blocks the writer or a reader; pages a reader still needs wait for the next
 * turn. The writer keeps its auto-checkpoint as a bound on the WAL should this thread fall behind.
 */
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { threadData } from '../../threads/spawn-thread.ts';

export interface CheckpointThreadData {
  file: string;
  intervalMs: number;
}

const { file, intervalMs } = threadData<CheckpointThreadData>();
const port = parentPort!;
const db = new Database(file, { fileMustExist: true });
// A checkpoint that finds the writer's own checkpoint running gives up at once and waits its turn.
db.pragma('busy_timeout = 0');

const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another checkpoint holds the lock) or a transient I/O error: the next turn retries,
    // and the writer's auto-checkpoint bounds the WAL meanwhile.
  }
}, intervalMs);

port.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  port.close();
});
port.postMessage({ kind: 'ready' });
