import crypto from 'node:crypto';
import { operationsOf, typeOf, type OpenApiDocument } from './openapi-markdown.ts';

/**
 * GET /docs/api: the OpenAPI document as one self-contained HTML page, route by route, the same
 * content as docs/api-reference.md. Nothing is loaded from anywhere: no script at all, and the one
 * style sheet is inline and allowed by its hash, so the page's policy can forbid everything else.
 */

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Text as the document writes it: escaped, with `code spans` and line breaks kept. */
const inline = (text: string) =>
  escape(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .split(/\n{2,}/)
    .join('</p><p>');
const anchor = (method: string, route: string) => `${method}-${route}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

const STYLE = `
:root { color-scheme: light dark; --line: #8884; --soft: #8881; }
body { font: 15px/1.5 system-ui, sans-serif; max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: var(--soft); padding: .6rem .8rem; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--soft); }
section { border-top: 1px solid var(--line); margin-top: 2rem; }
nav ul { columns: 2 24rem; padding-left: 1.2rem; }
h2 code { font-size: 1.05rem; }
`;

export interface ReferencePage {
  html: string;
  /** Content-Security-Policy of the page: its inline style by hash, nothing else. */
  policy: string;
}

export function openapiHtml(doc: OpenApiDocument): ReferencePage {
  const operations = operationsOf(doc);
  const out: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escape(doc.info.title)}: HTTP API reference</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<h1>HTTP API reference</h1>',
    `<p>Every route of ${escape(doc.info.title)}, as <a href="/openapi.json"><code>GET /openapi.json</code></a> describes it (that document also has the ` +
      'schema of every answer). Errors are <code>{"message", "code"}</code> with the codes of docs/errors.md; event fields are in docs/events.md, ' +
      'admin bodies in docs/admin-api.md (in the repository and the release).</p>',
    '<nav><ul>',
    ...operations.map(({ method, route, op }) => `<li><a href="#${anchor(method, route)}"><code>${method} ${escape(route)}</code></a>${op.summary ? ` ${escape(op.summary)}` : ''}</li>`),
    '</ul></nav>',
  ];
  for (const { method, route, op } of operations) {
    out.push(`<section id="${anchor(method, route)}">`, `<h2><code>${method} ${escape(route)}</code></h2>`);
    if (op.summary) out.push(`<p>${inline(op.summary)}.</p>`);
    if (op.description) out.push(`<p>${inline(op.description)}</p>`);
    if (op.parameters?.length) {
      out.push('<table><thead><tr><th>parameter</th><th>in</th><th>required</th><th>type</th><th>meaning</th></tr></thead><tbody>');
      for (const p of op.parameters) {
        out.push(`<tr><td><code>${escape(p.name)}</code></td><td>${escape(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td><td>${inline(typeOf(p.schema))}</td><td>${inline(p.description ?? '')}</td></tr>`);
      }
      out.push('</tbody></table>');
    }
    for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
      out.push(`<p>Body (<code>${escape(type)}</code>)${media.schema?.description ? `: ${inline(media.schema.description)}` : ''}</p>`);
      if (media.example !== undefined) out.push(`<pre>${escape(JSON.stringify(media.example, null, 2))}</pre>`);
    }
    out.push('<table><thead><tr><th>answer</th><th>meaning</th></tr></thead><tbody>');
    for (const [status, response] of Object.entries(op.responses)) out.push(`<tr><td>${escape(status)}</td><td>${inline(response.description)}</td></tr>`);
    out.push('</tbody></table>', '</section>');
  }
  out.push('</body>', '</html>', '');
  const styleHash = crypto.createHash('sha256').update(STYLE).digest('base64');
  return {
    html: out.join('\n'),
    policy: `default-src 'none'; style-src 'sha256-${styleHash}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
}
