import type { FastifyInstance } from 'fastify';
import { issueKey, listKeys, NEW_KEY_BODY, revokeKey, type KeyManagementDeps } from '../../access/manage-keys.ts';
import { parseBody } from '../../admin/registry-admin.ts';
import { errorResponses, INTEGER, jsonBody, noContent, nullable, object, STRING } from '../openapi.ts';

const admin = { access: 'admin' } as const;
const TIME = { type: 'string', format: 'date-time' } as const;
const keyProperties = {
  id: INTEGER,
  role: { type: 'string', enum: ['admin', 'read', 'site'] },
  siteCode: nullable({ ...STRING, description: 'The site a site key is bound to.' }),
  label: STRING,
  origin: { type: 'string', enum: ['configured', 'generated', 'api'], description: 'ANOLE_ADMIN_KEY, the first-start key, or POST /api/keys.' },
  createdAt: TIME,
  lastUsedAt: nullable({ ...TIME, description: 'Recorded at most once a minute per node.' }),
  revokedAt: nullable(TIME),
};

/** POST, GET and DELETE /api/keys: keys with roles, shown once, revocable. Admin keys only. */
export function registerApiKeys(app: FastifyInstance, deps: KeyManagementDeps): void {
  app.post('/api/keys', {
    config: admin,
    schema: {
      summary: 'Create a key (admin, read, or site bound to one site); the key is in this answer only',
      body: jsonBody(NEW_KEY_BODY, { role: 'site', siteCode: 'f17c21u1ag', label: 'CRM back-end' }, 'siteCode is required for a site key and refused for the others.'),
      response: {
        201: object({ ...keyProperties, key: { ...STRING, description: 'The key itself: shown here only, stored only as a keyed hash.' } }, { description: 'The new key.' }),
        ...errorResponses('invalid_body', 'invalid_query', 'unknown_site', 'quota_exceeded', 'body_too_large'),
      },
    },
  }, async (request, reply) => {
    const created = await issueKey(deps, parseBody(NEW_KEY_BODY, request.body));
    return reply.status(201).header('Cache-Control', 'no-store').send(created);
  });

  app.get('/api/keys', {
    config: admin,
    schema: {
      summary: 'Every key, revoked ones included; no secrets',
      response: { 200: object({ keys: { type: 'array', items: object(keyProperties) } }, { description: 'The keys, oldest first.' }), ...errorResponses() },
    },
  }, async () => ({ keys: await listKeys(deps) }));

  app.delete('/api/keys/:id', {
    config: admin,
    schema: {
      summary: 'Revoke a key: refused at once by this node, by every other node within ANOLE_KEY_CACHE_MS',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9]{1,10}$' } } },
      response: { 204: noContent('Revoked (also when it was revoked already).'), ...errorResponses('invalid_query', 'not_found', 'last_admin_key') },
    },
  }, async (request, reply) => {
    await revokeKey(deps, Number((request.params as { id: string }).id));
    return reply.status(204).send();
  });
}
