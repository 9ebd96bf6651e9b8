import fs from 'node:fs';
import os from 'node:os';

/**
 * Lowers the OS scheduling priority of the calling thread alone (Linux: setpriority on the
 * thread's own id, found through /proc/thread-self), so that when the cores are busy the kernel
 * runs the threads that acknowledge and answer first, and this one with what is left. Answers the
 * niceness now in effect, or null where the platform gives no thread id (the thread then keeps
 * the process's priority).
 */
export async function lowerThreadPriority(niceness: number): Promise<number | null> {
  if (niceness <= 0) return 0;
  let threadId: number;
  try {
    const link = fs.readlinkSync('/proc/thread-self');
    threadId = Number(link.slice(link.lastIndexOf('/') + 1));
  } catch {
    return null;
  }
  if (!Number.isInteger(threadId) || threadId <= 0) return null;
  // Threads inherit their creator's niceness, and libuv's pool (files, crypto, zlib: shared by the
  // whole process) starts on its first use: make sure that happens before, at normal priority.
  await fs.promises.stat('/proc/thread-self');
  // Raising niceness needs no privilege; never lower it below what it already is.
  os.setPriority(threadId, Math.max(os.getPriority(threadId), Math.min(19, niceness)));
  return os.getPriority(threadId);
}
