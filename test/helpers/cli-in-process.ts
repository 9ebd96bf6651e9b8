import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.ts';
import type { AnoleRun } from './run-anole.ts';

let running = false;

/**
 * `anole ARGS` run by the CLI's own entry point in this process: the same commands, stores and
 * files as the real command, without the cost of starting Node and tsx. For what a process
 * boundary is not the subject of (signals, a terminal and the exit status itself are tested with
 * the real command, run-anole.ts). The environment is the process's for the run, so runs are serial.
 */
export async function runCliInProcess(args: readonly string[], env: Record<string, string> = {}): Promise<AnoleRun> {
  if (running) throw new Error('runCliInProcess: one run at a time (the environment is shared)');
  running = true;
  const saved = new Map(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  const out = capture();
  const err = capture();
  try {
    const code = await runCli(args, {
      stdout: out.stream,
      stderr: err.stream,
      setExitCode() {},
      onInterrupt() {},
      offInterrupt() {},
    });
    return { code, signal: null, stdout: out.text(), stderr: err.text() };
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    running = false;
  }
}

function capture(): { stream: NodeJS.WriteStream; text(): string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream: Object.assign(stream, { isTTY: false }) as unknown as NodeJS.WriteStream, text: () => text };
}
