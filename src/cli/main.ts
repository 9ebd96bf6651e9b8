import { Command, CommanderError } from 'commander';
import { ConfigError, loadCliConfig, type CliConfig } from '../config.ts';
import { EXIT, processIo, type CliIo, type RunCommand } from './cli-io.ts';
import { importCommand } from './import-command.ts';
import { keysCommand } from './keys-command.ts';
import { resultsCommand, visitorCommand } from './read-commands.ts';
import { TargetError } from './target-error.ts';
import { UsageError } from './usage-error.ts';

/**
 * The `anole` command line: thin commands over the same use-cases and HTTP API the server has.
 * Every command answers with an exit code (docs/import.md): 0 done, 1 rows rejected, 2 usage or
 * configuration error, 3 target unreachable, unauthorized or interrupted.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const cliIo: CliIo = { ...io, setExitCode: (code) => (exitCode = code) };
  let config: CliConfig | null = null;
  const configOnce = () => (config ??= loadCliConfig());
  /** Runs a command's work and turns its failure into the message and exit code it deserves. */
  const run: RunCommand = async (work) => {
    try {
      exitCode = await work();
    } catch (error) {
      if (error instanceof UsageError || error instanceof ConfigError) {
        io.stderr.write(`anole: ${error.message}\n`);
        exitCode = EXIT.usage;
      } else if (error instanceof TargetError) {
        io.stderr.write(`anole: ${error.message}\n`);
        exitCode = EXIT.target;
      } else throw error;
    }
  };

  const program = new Command('anole')
    .description('Anole: a self-hostable, Kameleoon-compatible experimentation Data API, and its command line.')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage and examples)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    .addHelpText('after', `
Examples:
  anole serve                                    # the server, as npm start (settings from the environment)
  anole import orders.csv --site f17c21u1ag --goal 36151 --id-column order_id
  anole visitor --site f17c21u1ag --visitor 245fc
  anole results --site f17c21u1ag --experiment 4001 --key "$(cat data/admin-key)"
  anole keys create --role site --site f17c21u1ag --label "till back-end"

Every command has --help with examples. Exit codes: 0 done, 1 rows rejected, 2 usage or
configuration error, 3 target unreachable, unauthorized or interrupted.`);

  program
    .command('serve')
    .summary('run the server (as npm start)')
    .description('Runs the Anole server with the settings of the environment (see docs/configuration.md) until SIGTERM or SIGINT.')
    .addHelpText('after', `
Examples:
  anole serve
  ANOLE_PORT=9090 ANOLE_DATA_DIR=/var/lib/anole anole serve
  DATABASE_URL=postgres://anole:secret@db:5432/anole ANOLE_HOST=0.0.0.0 anole serve`)
    .action(async () => {
      const { main } = await import('../main.ts');
      await main();
      // The server runs until a signal; its own handlers set the exit status.
      exitCode = -1;
    });
  // Commands added (not created) here inherit none of the program's settings: each gets them.
  const settle = (command: Command) => command.exitOverride().configureOutput(program.configureOutput()).showHelpAfterError('(add --help for usage and examples)');
  program.addCommand(settle(importCommand(() => configOnce(), cliIo)));
  program.addCommand(settle(visitorCommand(() => configOnce(), cliIo, run)));
  program.addCommand(settle(resultsCommand(() => configOnce(), cliIo, run)));
  const keys = settle(keysCommand(() => configOnce(), cliIo, run));
  for (const sub of keys.commands) settle(sub);
  program.addCommand(keys);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are not errors; anything else commander refuses is a usage error.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`anole: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  return exitCode;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void runCli(process.argv.slice(2)).then((code) => {
    if (code >= 0) process.exitCode = code;
  });
}
