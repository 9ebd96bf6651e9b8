import fastifyAjvCompiler from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../core/error-codes.ts';

/**
 * How routes describe themselves (docs/api.md). Every route declares `querystring`/`params`, `body`
 * (when it takes one) and `response` schemas for every status it answers; @fastify/swagger turns
 * them into GET /openapi.json. Queries and path parameters are validated by fastify (Ajv); bodies
 * arrive as text (Kameleoon clients send any Content-Type) and are validated by their use-case
 * (the event decoders, or zod for the admin API), so a body schema documents what that use-case
 * accepts. Responses are serialized with JSON.stringify: a response schema documents the answer,
 * and test/openapi.test.ts checks real answers against it, instead of letting a serializer drop
 * any field a schema forgot.
 */

export const OPENAPI_VERSION = '3.1.0';

/** The error body every 4xx/5xx carries (docs/errors.md); `#/components/schemas/Error` in the document. */
export const ERROR_SCHEMA = {
  $id: 'Error',
  type: 'object',
  required: ['message', 'code'],
  properties: {
    message: { type: 'string', description: 'What is wrong and, where it can, how to fix it.' },
    code: { type: 'string', enum: Object.keys(ERROR_CODES), description: 'Stable code from docs/errors.md; branch on this, not on the message.' },
  },
  additionalProperties: true,
} as const;

/**
 * Answers every route may give whatever it does: any query may exceed the parameter limit, any
 * HTTP/1.1 request may lack its Host header.
 */
const ALWAYS: readonly ErrorCode[] = ['invalid_query', 'malformed_request', 'internal', 'shutting_down'];

/**
 * Response schemas for the error codes a route may answer, grouped by status; each status's
 * description names its codes, so a reader of the document knows what to branch on.
 */
export function errorResponses(...codes: ErrorCode[]): Record<number, object> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, ...ALWAYS]) {
    const status = ERROR_CODES[code].status;
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [status, { $ref: 'Error#', description: list.map((c) => `\`${c}\`: ${ERROR_CODES[c].summary}`).join(' ') }]),
  );
}

/**
 * A JSON request body documented from the zod schema its use-case parses it with, so the document
 * cannot drift from what is accepted; `example` is shown to readers (and checked by a test).
 */
export function jsonBody(schema: z.ZodType, example: unknown, description?: string): object {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  // A one-item `examples` becomes the media type's `example` in the document.
  return { ...(description ? { description } : {}), content: { 'application/json': { schema: { ...json, examples: [example] } } } };
}

/** A 204 answer: no body. */
export function noContent(description: string): object {
  return { type: 'null', description };
}

/** A JSON object schema with every listed property required unless named in `optional`. */
/** A JSON Schema (draft 2020-12, as OpenAPI 3.1 reads it). */
export type JsonSchema = Record<string, unknown>;

export function object(properties: Record<string, object>, options: { optional?: readonly string[]; description?: string; open?: boolean } = {}): JsonSchema {
  const optional = new Set(options.optional ?? []);
  return {
    type: 'object',
    ...(options.description ? { description: options.description } : {}),
    required: Object.keys(properties).filter((k) => !optional.has(k)),
    properties,
    additionalProperties: options.open ?? false,
  };
}

export const nullable = (schema: JsonSchema): JsonSchema =>
  typeof schema.type === 'string' ? { ...schema, type: [schema.type, 'null'] } : { anyOf: [schema, { type: 'null' }] };

export const INTEGER = { type: 'integer' } as const;
export const NUMBER = { type: 'number' } as const;
export const STRING = { type: 'string' } as const;
export const BOOLEAN = { type: 'boolean' } as const;
export const EPOCH_MS = { type: 'integer', description: 'Epoch milliseconds.' } as const;

/**
 * Fastify's Ajv validates queries, path parameters and headers; bodies are left to their use-case
 * (see above), and responses are serialized as they are.
 */
export function schemaCompilers(): NonNullable<FastifyServerOptions['schemaController']> {
  const ajvFactory = fastifyAjvCompiler();
  return {
    compilersFactory: {
      buildValidator: (externalSchemas, ajvOptions) => {
        const compile = ajvFactory(externalSchemas, ajvOptions);
        const bodyAccepted = (() => true) as unknown as ReturnType<typeof compile>;
        return (route) => (route.httpPart === 'body' ? bodyAccepted : compile(route));
      },
      buildSerializer: () => () => (data: unknown) => JSON.stringify(data),
    },
  };
}

export const SWAGGER_OPTIONS = {
  // Shared schemas (app.addSchema) become #/components/schemas/<their $id>.
  refResolver: { buildLocalReference: (json: { $id?: unknown }, _baseUri: unknown, _fragment: unknown, i: number) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  openapi: {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'Anole Data API',
      version: '0.1.0',
      description:
        'Kameleoon-compatible experimentation Data API with exactly-once ingestion. Errors are {"message", "code"}; see docs/errors.md. ' +
        'Event fields are in docs/events.md.',
    },
    components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key: admin, read or site (docs/security.md).' } } },
  },
} as const;
