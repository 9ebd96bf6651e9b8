import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

/** Every link from the README and docs/ to another page of the repository leads somewhere. */
describe('links between the docs', () => {
  const root = path.resolve(import.meta.dirname, '..');
  const pages = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

  it('point to files that exist and to headings those files have', () => {
    const problems: string[] = [];
    for (const page of pages) {
      const text = fs.readFileSync(path.join(root, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [file, anchor] = target!.split('#');
        const resolved = file ? path.resolve(path.dirname(path.join(root, page)), file) : path.join(root, page);
        if (!fs.existsSync(resolved)) {
          problems.push(`${page}: ${target} (no such file)`);
          continue;
        }
        if (anchor && resolved.endsWith('.md')) {
          const headings = [...fs.readFileSync(resolved, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1]!));
          if (!headings.includes(anchor)) problems.push(`${page}: ${target} (no such heading)`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
