import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadMessage, LoadStats } from './load-client.ts';

/** Runs one load job in a child process; `onSegment` sees each segment as it completes. */
export function runLoad(
  job: LoadJob,
  onSegment: (segment: Extract<LoadMessage, { kind: 'segment' }>) => void = () => {},
): Promise<LoadStats & { nextEvent: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./load-client.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: (LoadStats & { nextEvent: number }) | null = null;
    // The job ends by itself after durationMs; this only guards against a stuck client.
    const guard = setTimeout(() => child.kill('SIGKILL'), job.durationMs + 120_000);
    child.on('message', (message: LoadMessage) => {
      if (message.kind === 'segment') onSegment(message);
      else result = message;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(guard);
      if (result) resolve(result);
      else reject(new Error(`load client exited with ${code} before reporting`));
    });
    child.send(job);
  });
}
