import { spawn, type ChildProcess } from 'node:child_process';

export const ANOLE_BIN = new URL('../../bin/anole.js', import.meta.url).pathname;

export interface AnoleRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The real `anole` command in a child process, as a user runs it (no TTY unless wrapped in `script`). */
export function startAnole(args: readonly string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<AnoleRun> } {
  const child = spawn(process.execPath, [ANOLE_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<AnoleRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runAnole(args: readonly string[], env: Record<string, string> = {}): Promise<AnoleRun> {
  return startAnole(args, env).done;
}
