import type { FastifySchemaValidationError } from 'fastify';
import { FLAG } from './query-schema.ts';

/** Patterns of the route schemas, in words a reader can act on. */
const PATTERN_WORDS: Record<string, string> = {
  [FLAG.pattern]: 'must be true or false (1 and 0, in any case, also work)',
  '^[0-9]{1,10}$': 'must be a whole number (digits only)',
  '^0?\\.[0-9]{1,6}$': 'must be a decimal between 0 and 1 such as 0.95',
  '^[^/]*$': 'must not contain "/"',
  '^[0-9]{1,9}$': 'must be a whole number (digits only)',
};

const PARTS: Record<string, string> = { querystring: 'query parameter', params: 'path parameter', headers: 'header' };

function sentence(error: FastifySchemaValidationError, dataVar: string): string {
  const part = PARTS[dataVar] ?? dataVar;
  const params = error.params as Record<string, unknown>;
  const name = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const subject = name ? `${part} ${name}` : part;
  switch (error.keyword) {
    case 'required':
      return `${part} ${String(params.missingProperty)} is required`;
    case 'enum':
      return `${subject} must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'pattern':
      return `${subject} ${PATTERN_WORDS[String(params.pattern)] ?? `must match ${String(params.pattern)}`}`;
    case 'maxLength':
      return `${subject} must be at most ${String(params.limit)} characters`;
    case 'minLength':
      return Number(params.limit) === 1 ? `${subject} must not be empty` : `${subject} must be at least ${String(params.limit)} characters`;
    case 'additionalProperties':
      return `${part} ${String(params.additionalProperty)} is not accepted here`;
    case 'type':
      return `${subject} must be a ${String(params.type)}`;
    default:
      return `${subject} ${error.message ?? 'is invalid'}`;
  }
}

/**
 * Fastify's schemaErrorFormatter: the first validation error in words that say what is allowed
 * (the values of an enum, what a pattern means), instead of Ajv's "must be equal to one of the
 * allowed values". The error handler turns it into `400 invalid_query`.
 */
export function formatValidationError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  return new Error(errors.map((e) => sentence(e, dataVar)).join('; '));
}
