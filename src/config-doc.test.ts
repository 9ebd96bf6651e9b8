import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('documents every variable config.ts reads', () => {
    const source = fs.readFileSync(new URL('./config.ts', import.meta.url), 'utf8');
    const doc = fs.readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    const names = [...source.matchAll(/^\s+((?:ANOLE_|DATABASE_)[A-Z_]+):/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(doc, `docs/configuration.md lists ${name}`).toContain(`| \`${name}\` |`);
  });

  it('refuses bad values with one message per variable', () => {
    let error: unknown;
    try {
      loadConfig({ ANOLE_PORT: '80a', ANOLE_AUTO_CREATE_SITES: 'yes', DATABASE_URL: 'mysql://x', ANOLE_ADMIN_KEY: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['ANOLE_PORT', 'ANOLE_AUTO_CREATE_SITES', 'DATABASE_URL', 'ANOLE_ADMIN_KEY']) expect(problems).toContain(name);
  });

  it('treats empty variables as unset and applies defaults', () => {
    const config = loadConfig({ ANOLE_PORT: '', ANOLE_HOST: '' });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080, autoCreateSites: true, bodyLimitBytes: 3 * 1024 * 1024, databaseUrl: null });
  });

  it('warns about ANOLE_* variables that name no setting, with the closest one', () => {
    const config = loadConfig({ ANOLE_PROT: '9090', ANOLE_LOGLEVEL: 'warn', ANOLE_SOMETHING_ELSE_ENTIRELY: '1', OTHER_VAR: 'x' });
    expect(config.warnings).toEqual([
      'unknown environment variable ANOLE_PROT is ignored; did you mean ANOLE_PORT? (every setting: docs/configuration.md)',
      'unknown environment variable ANOLE_LOGLEVEL is ignored; did you mean ANOLE_LOG_LEVEL? (every setting: docs/configuration.md)',
      'unknown environment variable ANOLE_SOMETHING_ELSE_ENTIRELY is ignored (every setting: docs/configuration.md)',
    ]);
    expect(loadConfig({ ANOLE_PORT: '1' }).warnings).toEqual([]);
  });
});
