import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './error-codes.ts';

/** docs/errors.md must list every code of the registry with its status, and no code that is gone. */
describe('error registry and docs/errors.md', () => {
  const doc = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map([...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));

  it('documents every code with its status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(documented.get(code), `docs/errors.md row for ${code}`).toBe(status);
    }
  });

  it('documents no code the registry does not have', () => {
    for (const code of documented.keys()) expect(Object.keys(ERROR_CODES)).toContain(code);
  });
});
