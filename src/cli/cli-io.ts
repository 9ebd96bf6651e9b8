/** The exit codes of every `anole` command (docs/import.md). */
export const EXIT = {
  ok: 0,
  /** Some rows were rejected (import), or the answer holds a problem worth a non-zero status. */
  rejected: 1,
  /** Usage or configuration error: nothing was done. */
  usage: 2,
  /** The target is unreachable or refused the key, or the command was interrupted. */
  target: 3,
} as const;

/** What a command may touch of its process: its output streams, its exit status, Ctrl-C. */
export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  setExitCode(code: number): void;
  onInterrupt(handler: () => void): void;
  offInterrupt(handler: () => void): void;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    setExitCode(code) {
      process.exitCode = code;
    },
    onInterrupt(handler) {
      process.on('SIGINT', handler);
    },
    offInterrupt(handler) {
      process.off('SIGINT', handler);
    },
  };
}

/** Runs a command's work and turns its failure into the message and exit code it deserves (src/cli/main.ts). */
export type RunCommand = (work: () => Promise<number>) => Promise<void>;
