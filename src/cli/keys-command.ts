import { Command } from 'commander';
import type { CliConfig } from '../config.ts';
import { callApi } from './api-client.ts';
import type { CliIo, RunCommand } from './cli-io.ts';
import { targetOf, withTarget } from './read-commands.ts';
import { textTable } from './text-table.ts';
import { UsageError } from './usage-error.ts';

/** A key as GET /api/keys and POST /api/keys answer it (never its secret, except once on creation). */
interface KeyView {
  id: number;
  role: 'admin' | 'read' | 'site';
  siteCode: string | null;
  label: string;
  origin: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** `anole keys create|list|revoke`: the keys API (POST, GET, DELETE /api/keys) with an admin key. */
export function keysCommand(config: () => CliConfig, io: CliIo, run: RunCommand): Command {
  const keys = new Command('keys')
    .summary('create, list and revoke API keys (needs an admin key)')
    .description('Manages the keys of the server through /api/keys. The admin key comes from --key or $ANOLE_KEY.')
    .addHelpText('after', `
Examples:
  export ANOLE_KEY="$(cat data/admin-key)"
  anole keys create --role site --site f17c21u1ag --label "till back-end"
  anole keys create --role read --label "BI dashboard"
  anole keys list
  anole keys revoke 7`);

  keys.addCommand(
    withTarget(
      new Command('create')
        .summary('issue a key: shown once, store it now')
        .requiredOption('--role <role>', 'admin (everything), read (every read), or site (one site: ingest, reads, imports, forget)')
        .option('--site <code>', 'the site of a site key')
        .requiredOption('--label <text>', 'what the key is for (shown in the list)')
        .option('--json', 'print the answer as JSON'),
    ).action((flags: { url?: string; key?: string; role: string; site?: string; label: string; json?: boolean }) =>
      run(async () => {
        if (!['admin', 'read', 'site'].includes(flags.role)) throw new UsageError('--role must be admin, read or site');
        if ((flags.role === 'site') !== (flags.site !== undefined)) throw new UsageError('--site is needed for a site key, and only for one');
        const body = { role: flags.role, label: flags.label, ...(flags.site === undefined ? {} : { siteCode: flags.site }) };
        const created = await callApi<KeyView & { key: string }>(targetOf(flags, config()), 'POST', '/api/keys', body);
        if (flags.json) io.stdout.write(`${JSON.stringify(created)}\n`);
        else {
          io.stdout.write(`${created.key}\n`);
          io.stderr.write(`Key ${created.id} (${created.role}${created.siteCode ? ` of ${created.siteCode}` : ''}, "${created.label}"): shown once, only its hash is kept. Send it as "Authorization: Bearer <key>".\n`);
        }
        return 0;
      }),
    ),
  );

  keys.addCommand(
    withTarget(new Command('list').summary('every key: id, role, site, label, when created, last used, revoked').option('--json', 'print the answer as JSON')).action(
      (flags: { url?: string; key?: string; json?: boolean }) =>
        run(async () => {
          const answer = await callApi<{ keys: KeyView[] } | KeyView[]>(targetOf(flags, config()), 'GET', '/api/keys');
          const list = Array.isArray(answer) ? answer : answer.keys;
          if (flags.json) {
            io.stdout.write(`${JSON.stringify(answer)}\n`);
            return 0;
          }
          const day = (iso: string | null) => (iso === null ? '' : iso.slice(0, 16).replace('T', ' '));
          io.stdout.write(
            `${textTable(
              ['id', 'role', 'site', 'label', 'created', 'last used', 'revoked'],
              list.map((k) => [String(k.id), k.role, k.siteCode ?? '', k.label, day(k.createdAt), day(k.lastUsedAt), day(k.revokedAt)]),
              ['right', 'left', 'left', 'left', 'left', 'left', 'left'],
            )}\n`,
          );
          return 0;
        }),
    ),
  );

  keys.addCommand(
    withTarget(new Command('revoke').summary('revoke a key by its id (every node refuses it within seconds)').argument('<id>', 'the key id (anole keys list)')).action(
      (id: string, flags: { url?: string; key?: string }) =>
        run(async () => {
          if (!/^\d{1,10}$/.test(id)) throw new UsageError('the key id is a number (anole keys list shows them)');
          await callApi<null>(targetOf(flags, config()), 'DELETE', `/api/keys/${id}`);
          io.stderr.write(`Key ${id} is revoked.\n`);
          return 0;
        }),
    ),
  );
  return keys;
}
