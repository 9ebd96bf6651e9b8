import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIMITS } from './limits.ts';

describe('docs/limits.md', () => {
  it('names every limit of limits.ts', () => {
    const doc = fs.readFileSync(new URL('../../docs/limits.md', import.meta.url), 'utf8');
    for (const name of Object.keys(LIMITS)) expect(doc, `docs/limits.md names ${name}`).toContain(`\`${name}\``);
  });
});
