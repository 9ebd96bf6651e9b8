import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/temp-dir.ts';
import { startServerChild, type ServerChild } from './helpers/server-child.ts';

/**
 * The attribution threads run at the configured niceness and no other thread of the node does: the
 * HTTP thread, the SQLite writer, the query thread and libuv's shared pool keep the process's
 * priority, so acknowledgements and reads go first when the cores are busy.
 */
const linux = fs.existsSync('/proc/thread-self');

/** Each thread's nice value, as the kernel schedules it (field 19 of /proc/PID/task/TID/stat). */
function nicenessByThread(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** The threads at `niceness`, once there are `count` of them (or 20 s have passed). */
async function nicedThreads(pid: number, niceness: number, count: number): Promise<number[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const niced = [...nicenessByThread(pid)].filter(([, n]) => n === niceness).map(([tid]) => tid);
    if (niced.length >= count || Date.now() > deadline) return niced;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.runIf(linux)('the attribution threads at a lower priority', () => {
  let server: ServerChild | null = null;
  let removeDir = () => {};
  afterEach(async () => {
    await server?.kill();
    server = null;
    removeDir();
  });

  it('lowers those threads alone, as many as ANOLE_WORKER_THREADS, and keeps every other at the process priority', async () => {
    const { dir, remove } = makeTempDir('anole-nice-');
    removeDir = remove;
    server = await startServerChild({ ANOLE_DATA_DIR: dir, ANOLE_WORKER_NICE: '12', ANOLE_WORKER_THREADS: '3' });
    const pid = server.child.pid!;
    const base = nicenessByThread(pid).get(pid)!;
    expect(await nicedThreads(pid, 12, 3)).toHaveLength(3);
    const threads = nicenessByThread(pid);
    // The node also runs an HTTP thread, a writer, a query thread and V8's and libuv's helpers.
    expect(threads.size).toBeGreaterThan(6);
    expect([...threads.values()].filter((n) => n !== base)).toEqual([12, 12, 12]);
    // The niced threads are the ones that recompute: a request still works on every other.
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
  });

  it('leaves every thread alone with ANOLE_WORKER_NICE=0', async () => {
    const { dir, remove } = makeTempDir('anole-nice-');
    removeDir = remove;
    server = await startServerChild({ ANOLE_DATA_DIR: dir, ANOLE_WORKER_NICE: '0' });
    const pid = server.child.pid!;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const threads = nicenessByThread(pid);
    expect(new Set(threads.values())).toEqual(new Set([threads.get(pid)]));
  });
});
