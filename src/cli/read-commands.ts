import { Command, Option } from 'commander';
import type { CliConfig } from '../config.ts';
import { LIMITS } from '../core/limits.ts';
import { SITE_CODE } from '../core/site-settings.ts';
import { callApi, type ApiTarget } from './api-client.ts';
import type { CliIo, RunCommand } from './cli-io.ts';
import { formatResults, type ResultsAnswer } from './format-results.ts';
import { formatVisitor, type VisitorAnswer } from './format-visitor.ts';
import { UsageError } from './usage-error.ts';

interface TargetFlags {
  url?: string;
  key?: string;
}

export function targetOf(flags: TargetFlags, config: CliConfig): ApiTarget {
  const url = (flags.url ?? config.url).replace(/\/+$/, '');
  if (!/^https?:\/\/./.test(url)) throw new UsageError(`--url ${url}: expected http://HOST:PORT`);
  return { url, key: flags.key ?? config.key };
}

function siteOf(site: string): string {
  if (!SITE_CODE.test(site)) throw new UsageError('--site must be 1 to 64 letters, digits, "_" or "-"');
  return site;
}

function idOf(raw: string, name: string): number {
  const n = Number(raw);
  if (!/^\d{1,10}$/.test(raw) || n > LIMITS.maxId) throw new UsageError(`${name} must be an integer from 0 to ${LIMITS.maxId}`);
  return n;
}

/** The options every command that talks to a server shares. */
export function withTarget(command: Command): Command {
  return command.option('--url <url>', 'the server (default $ANOLE_URL or http://127.0.0.1:8080)').option('--key <key>', 'the key to send (default $ANOLE_KEY)');
}

export function visitorCommand(config: () => CliConfig, io: CliIo, run: RunCommand): Command {
  return withTarget(
    new Command('visitor')
      .summary("show what landed for one visitor: the seed's verification step")
      .description('Reads GET /visit/visitor and shows the visits newest first, each with its start, device (visitor code) and events.')
      .requiredOption('--site <code>', 'the site (project) code')
      .option('--visitor <code>', 'the visitor code')
      .option('--mapping <value>', 'the user id (mapping value): the visits of every device linked to it')
      .option('--timezone <zone>', 'show times in this IANA zone (default: this machine\'s)')
      .option('--json', 'print the raw GET /visit/visitor answer'),
  )
    .addHelpText('after', `
Examples:
  anole visitor --site f17c21u1ag --visitor 245fc
  anole visitor --site f17c21u1ag --mapping customer-8812 --timezone Europe/Paris
  anole visitor --site f17c21u1ag --visitor 245fc --json | jq .previousVisits`)
    .action((flags: TargetFlags & { site: string; visitor?: string; mapping?: string; timezone?: string; json?: boolean }) =>
      run(async () => {
        const site = siteOf(flags.site);
        if ((flags.visitor === undefined) === (flags.mapping === undefined)) throw new UsageError('give one of --visitor CODE or --mapping VALUE');
        const identity: Record<string, string> = flags.visitor !== undefined ? { visitorCode: flags.visitor } : { mappingValue: flags.mapping! };
        const query = new URLSearchParams({ siteCode: site, ...identity, maxNumberPreviousVisits: String(LIMITS.maxPreviousVisits), currentVisit: 'true', all: 'true' });
        const answer = await callApi<VisitorAnswer>(targetOf(flags, config()), 'GET', `/visit/visitor?${query.toString()}`);
        if (flags.json) {
          io.stdout.write(`${JSON.stringify(answer)}\n`);
          return 0;
        }
        const zone = flags.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
        const who = flags.visitor !== undefined ? `Visitor ${flags.visitor}` : `User ${flags.mapping!}`;
        io.stdout.write(formatVisitor(answer, { siteCode: site, who, zone }));
        return 0;
      }),
    );
}

export function resultsCommand(config: () => CliConfig, io: CliIo, run: RunCommand): Command {
  return withTarget(
    new Command('results')
      .summary("an experiment's results as terminal tables")
      .description('Reads GET /api/sites/{site}/experiments/{id}/results (needs a key) and shows a table per goal.')
      .requiredOption('--site <code>', 'the site (project) code')
      .requiredOption('--experiment <id>', 'the experiment id')
      .option('--goal <id>', 'only this goal')
      .addOption(new Option('--level <level>', 'unit of analysis').choices(['visitor', 'visit']).default('visitor'))
      .option('--confidence <level>', 'confidence level of the intervals, in [0.5, 1)', '0.95')
      .option('--json', 'print the raw results answer'),
  )
    .addHelpText('after', `
Examples:
  anole results --site f17c21u1ag --experiment 4001 --key "$(cat data/admin-key)"
  ANOLE_KEY=... anole results --site f17c21u1ag --experiment 4001 --goal 36151 --level visit --confidence 0.99`)
    .action((flags: TargetFlags & { site: string; experiment: string; goal?: string; level: string; confidence: string; json?: boolean }) =>
      run(async () => {
        const site = siteOf(flags.site);
        const experiment = idOf(flags.experiment, '--experiment');
        const confidence = Number(flags.confidence);
        if (!/^0?\.\d{1,6}$/.test(flags.confidence) || !(confidence >= 0.5 && confidence < 1)) throw new UsageError('--confidence must be a number in [0.5, 1), such as 0.95');
        const query = new URLSearchParams({ level: flags.level, confidence: flags.confidence });
        if (flags.goal !== undefined) query.set('goalId', String(idOf(flags.goal, '--goal')));
        const answer = await callApi<ResultsAnswer>(targetOf(flags, config()), 'GET', `/api/sites/${site}/experiments/${experiment}/results?${query.toString()}`);
        io.stdout.write(flags.json ? `${JSON.stringify(answer)}\n` : formatResults(answer));
        return 0;
      }),
    );
}
