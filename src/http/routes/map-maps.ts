import type { FastifyInstance } from 'fastify';
import type { MemoryBudget } from '../body-budget.ts';
import { LIMITS } from '../../core/limits.ts';
import { parseKeysParam, readMap, readMaps, type MapReadDeps } from '../../maps/read-maps.ts';
import { writeMaps, type MapWriteDeps } from '../../maps/write-maps.ts';
import { errorResponses, noContent } from '../openapi.ts';
import { FLAG, flagValue, SITE_CODE_PARAM } from '../query-schema.ts';

const MAP = { type: 'object', additionalProperties: true, description: 'The key\'s fields and their JSON values; {} when the key has none.' } as const;
const MAPS = { type: 'object', additionalProperties: MAP, description: 'Key → map; keys without a map are left out.' } as const;
const readErrors = errorResponses('invalid_query', 'unknown_site');

// Lengths are checked by the use-case so that an over-long key gets a message that names the limit.
const KEY_PARAM = { type: 'string', description: `A key, usually a visitor code or a user id (1 to ${LIMITS.mapKeyLength} characters).` } as const;

function json(body: unknown, pretty: string | undefined): string {
  return flagValue(pretty) ? JSON.stringify(body, null, 2) : JSON.stringify(body);
}

/** GET /map/map, GET /map/maps and POST /map/maps: Kameleoon's key → JSON map store. */
export function registerMapRoutes(app: FastifyInstance, deps: MapReadDeps & MapWriteDeps & { now: () => number; budget?: MemoryBudget }): void {
  app.get('/map/map', {
    config: { access: 'visitor-read' },
    schema: {
      summary: 'Read the map of one key (Kameleoon-compatible); {} when the key has none',
      querystring: { type: 'object', required: ['siteCode', 'key'], properties: { siteCode: SITE_CODE_PARAM, key: KEY_PARAM, prettyPrint: FLAG } },
      response: { 200: MAP, ...readErrors },
    },
  }, async (request, reply) => {
    const q = request.query as { siteCode: string; key: string; prettyPrint?: string };
    const body = await readMap(deps, { siteCode: q.siteCode, key: q.key, now: deps.now() });
    return reply.type('application/json').send(json(body, q.prettyPrint));
  });

  app.get('/map/maps', {
    config: { access: 'visitor-read' },
    schema: {
      summary: 'Read the maps of several keys (Kameleoon-compatible); keys without a map are left out',
      querystring: {
        type: 'object',
        required: ['siteCode', 'keys'],
        properties: {
          siteCode: SITE_CODE_PARAM,
          keys: { type: 'string', description: `JSON array of 1 to ${LIMITS.mapKeysPerRead} keys, e.g. ["key1","key2"].` },
          prettyPrint: FLAG,
        },
      },
      response: { 200: MAPS, ...errorResponses('invalid_query', 'unknown_site', 'answer_too_large') },
    },
  }, async (request, reply) => {
    const q = request.query as { siteCode: string; keys: string; prettyPrint?: string };
    // Answers of megabytes, many at once, share the memory budget of request bodies.
    const reserve = (bytes: number) => deps.budget?.reserveFor(reply, bytes) ?? Promise.resolve();
    const body = await readMaps(deps, { siteCode: q.siteCode, keys: parseKeysParam(q.keys), now: deps.now(), reserve });
    return reply.type('application/json').send(json(body, q.prettyPrint));
  });

  app.post('/map/maps', {
    bodyLimit: LIMITS.mapsBodyBytes,
    config: { access: 'ingest' },
    schema: {
      summary: 'Merge maps of several keys (Kameleoon-compatible)',
      description:
        'Body {"<key>": {"<field>": <JSON>}}: fields overwrite, a null field deletes that field, {} deletes the key. ' +
        'Every written key lives ttlHours from this write. Answers 204 once durable.',
      querystring: {
        type: 'object',
        required: ['siteCode'],
        properties: {
          siteCode: SITE_CODE_PARAM,
          ttlHours: { type: 'string', description: `Time to live in hours, 1 to ${LIMITS.mapTtlMaxHours}; default ${LIMITS.mapTtlDefaultHours}.` },
        },
      },
      body: {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: { type: 'object', additionalProperties: true },
              description: '{"<key>": {"<field>": <JSON>}}; a null field deletes that field, {} deletes the key.',
              examples: [{ 'user-42': { loyalty: 'gold', points: 120 }, '245fc': {} }],
            },
          },
        },
      },
      response: { 204: noContent('Every key is merged and durable.'), ...errorResponses('invalid_query', 'invalid_body', 'unknown_site', 'body_too_large', 'map_too_large', 'quota_exceeded', 'unsupported_media_type') },
    },
  }, async (request, reply) => {
    const q = request.query as { siteCode: string; ttlHours?: string };
    await writeMaps(deps, { siteCode: q.siteCode, body: typeof request.body === 'string' ? request.body : '', ttlHours: q.ttlHours, now: deps.now() });
    return reply.status(204).send();
  });
}
