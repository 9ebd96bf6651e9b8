import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ResultsLoadJob, ResultsLoadMessage, ResultsLoadStats } from './results-load-client.ts';

export interface RunningLoad {
  /** Resolves with the totals once the job ends (persons exhausted, duration over, or stopped). */
  done: Promise<ResultsLoadStats & { personsStarted: number }>;
  /** Asks the job to stop after its requests in flight. */
  stop(): void;
}

/** Starts one results-load job in a child process; `onProgress` sees each progress window. */
export function startResultsLoad(
  job: ResultsLoadJob,
  onProgress: (window: Extract<ResultsLoadMessage, { kind: 'progress' }>) => void = () => {},
): RunningLoad {
  const child = fork(fileURLToPath(new URL('./results-load-client.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const done = new Promise<ResultsLoadStats & { personsStarted: number }>((resolve, reject) => {
    let result: (ResultsLoadStats & { personsStarted: number }) | null = null;
    // The job ends by itself after durationMs; this only guards against a stuck client.
    const guard = setTimeout(() => child.kill('SIGKILL'), job.durationMs + 120_000);
    child.on('message', (message: ResultsLoadMessage) => {
      if (message.kind === 'progress') onProgress(message);
      else result = message;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(guard);
      if (result) resolve(result);
      else reject(new Error(`results load client exited with ${code} before reporting`));
    });
  });
  child.send(job);
  return {
    done,
    stop() {
      if (child.connected) child.send('stop');
    },
  };
}
