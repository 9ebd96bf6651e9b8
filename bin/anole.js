#!/usr/bin/env node
// The `anole` command: the TypeScript sources run as they are (no build step), through tsx.
/* global process */
import { register } from 'tsx/esm/api';

register();
// `anole … | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2));
// -1: a long-running command (serve) whose own signal handlers decide the exit status.
if (code >= 0) process.exitCode = code;
