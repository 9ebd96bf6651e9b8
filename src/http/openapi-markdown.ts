import { FLAG } from './query-schema.ts';

/**
 * docs/api-reference.md: the OpenAPI document rendered as Markdown, route by route, so that the
 * reference can be read without a tool (`npm run docs:api`; a test keeps the file equal to it).
 */

export interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: { type?: string | string[]; enum?: unknown[]; pattern?: string; maxLength?: number; minLength?: number };
}
export interface Operation {
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: { description?: string }; example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
}
export interface OpenApiDocument {
  info: { title: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

/** A parameter's type in a few words, with code spans in backticks. */
export function typeOf(schema: Parameter['schema']): string {
  if (!schema) return '';
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (schema.pattern === FLAG.pattern) return 'flag: `true`, `false`, `1`, `0` (any case)';
  const parts = [String(schema.type ?? '')];
  if (schema.pattern) parts.push(`\`${schema.pattern}\``);
  if (schema.maxLength !== undefined) parts.push(`≤ ${schema.maxLength} chars`);
  return parts.join(' ');
}

/** Every operation of the document, in its order: what both renderings (this one and openapi-html.ts) walk. */
export function operationsOf(doc: OpenApiDocument): { method: string; route: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([route, methods]) => Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), route, op })));
}

export function openapiMarkdown(doc: OpenApiDocument): string {
  const out: string[] = [
    '# HTTP API reference',
    '',
    '<!-- Generated from GET /openapi.json by `npm run docs:api`; a test keeps it in sync. -->',
    '',
    `Every route of ${doc.info.title}, as \`GET /openapi.json\` describes it (that document also has the`,
    'schema of every answer; [api.md](api.md) shows how to generate a client from it). Errors are',
    '`{"message", "code"}` with the codes of [errors.md](errors.md); event fields are in',
    '[events.md](events.md), admin bodies in [admin-api.md](admin-api.md).',
  ];
  for (const { method, route, op } of operationsOf(doc)) {
    out.push('', `## \`${method} ${route}\``, '');
    if (op.summary) out.push(`${op.summary}.`, '');
    if (op.description) out.push(op.description, '');
    if (op.parameters?.length) {
      out.push('| parameter | in | required | type | meaning |', '| --- | --- | --- | --- | --- |');
      for (const p of op.parameters) out.push(`| \`${p.name}\` | ${p.in} | ${p.required ? 'yes' : 'no'} | ${cell(typeOf(p.schema))} | ${cell(p.description ?? '')} |`);
      out.push('');
    }
    if (op.requestBody) {
      for (const [type, media] of Object.entries(op.requestBody.content)) {
        out.push(`Body (\`${type}\`)${media.schema?.description ? `: ${media.schema.description}` : ''}`, '');
        if (media.example !== undefined) out.push('```json', JSON.stringify(media.example), '```', '');
      }
    }
    out.push('| answer | meaning |', '| --- | --- |');
    for (const [status, response] of Object.entries(op.responses)) out.push(`| ${status} | ${cell(response.description)} |`);
  }
  return `${out.join('\n')}\n`;
}
