import type { FastifyInstance } from 'fastify';
import { issueKey, listKeys, NEW_KEY_BODY, revokeKey, type KeyManagementDeps } from '../../access/manage-keys.ts';
import { parseBody } from '../../admin/registry-admin.ts';
import { LIMITS } from '../../core/limits.ts';

const admin = { access: 'admin' } as const;
const nullableText = { type: ['string', 'null'] } as const;
const keyView = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    role: { type: 'string', enum: ['admin', 'read', 'site'] },
    siteCode: nullableText,
    label: { type: 'string' },
    origin: { type: 'string', enum: ['configured', 'generated', 'api'] },
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { ...nullableText, description: 'Recorded at most once a minute per node.' },
    revokedAt: nullableText,
  },
} as const;

/** POST, GET and DELETE /api/keys: keys with roles, shown once, revocable. Admin keys only. */
export function registerApiKeys(app: FastifyInstance, deps: KeyManagementDeps): void {
  app.post('/api/keys', {
    config: admin,
    schema: {
      summary: 'Create a key (admin, read, or site bound to one site); the key is in this answer only',
      body: {
        type: 'object',
        required: ['role', 'label'],
        properties: {
          role: { type: 'string', enum: ['admin', 'read', 'site'] },
          siteCode: { type: 'string', description: 'Required for a site key, refused for the others.' },
          label: { type: 'string', maxLength: LIMITS.keyLabelLength, description: 'Who or what holds the key.' },
        },
      },
      response: { 201: { ...keyView, properties: { ...keyView.properties, key: { type: 'string' } } } },
    },
    // Bodies arrive as text (see app.ts); the use-case parses them with its schema.
    validatorCompiler: () => () => true,
  }, async (request, reply) => {
    const created = await issueKey(deps, parseBody(NEW_KEY_BODY, request.body));
    return reply.status(201).header('Cache-Control', 'no-store').send(created);
  });

  app.get('/api/keys', {
    config: admin,
    schema: { summary: 'Every key, revoked ones included; no secrets', response: { 200: { type: 'object', properties: { keys: { type: 'array', items: keyView } } } } },
  }, async () => ({ keys: await listKeys(deps) }));

  app.delete('/api/keys/:id', {
    config: admin,
    schema: {
      summary: 'Revoke a key: refused at once by this node, by every other node within ANOLE_KEY_CACHE_MS',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9]{1,10}$' } } },
    },
  }, async (request, reply) => {
    await revokeKey(deps, Number((request.params as { id: string }).id));
    return reply.status(204).send();
  });
}
