import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.ts';
import { lockSqliteStore, StoreLockedError } from './sqlite-store-lock.ts';

describe('the SQLite store lock', () => {
  const temps: { remove: () => void }[] = [];
  afterEach(() => temps.splice(0).forEach((t) => t.remove()));
  const storeFile = () => {
    const temp = makeTempDir();
    temps.push(temp);
    return path.join(temp.dir, 'anole.db');
  };

  it('admits one holder at a time, says who holds it, and is free again once released', () => {
    const file = storeFile();
    const first = lockSqliteStore(file, 'a server on http://127.0.0.1:8080');
    let refusal: unknown;
    try {
      lockSqliteStore(file, 'an import');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(StoreLockedError);
    expect((refusal as Error).message).toContain(`a server on http://127.0.0.1:8080, pid ${process.pid}`);
    first.release();
    first.release();
    lockSqliteStore(file, 'an import').release();
  });

  it('is dropped by the operating system when its holder is killed with SIGKILL', async () => {
    const file = storeFile();
    // A separate process takes the lock the same way, then dies without releasing it.
    const script = `import('${new URL('./sqlite-store-lock.ts', import.meta.url).pathname}').then((m) => { m.lockSqliteStore(${JSON.stringify(file)}, 'child'); console.log('held'); setInterval(() => {}, 1000); })`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    expect(() => lockSqliteStore(file, 'parent')).toThrow(/in use by another process \(child, pid \d+\)/);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    lockSqliteStore(file, 'parent').release();
  });
});
