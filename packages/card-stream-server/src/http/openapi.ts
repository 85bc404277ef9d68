// The OpenAPI document at /openapi.json, generated from the routes' schemas (each a shape of
// packages/protocol): import it into Insomnia or Postman, or generate a client from it.
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

const TAGS = [
  { name: 'auth', description: 'Access tokens, credentials and end-user tokens (CONTRACT §2)' },
  { name: 'templates', description: 'Card templates and their versions (CONTRACT §5)' },
  { name: 'sending', description: 'Action flows: send a card to users (CONTRACT §5)' },
  { name: 'cards', description: 'Query and action card instances (CONTRACT §4)' },
  { name: 'cancel jobs', description: 'Bulk cancel jobs (CONTRACT §4)' },
  { name: 'audiences', description: 'User profiles, tags and segments (CONTRACT §9)' },
  { name: 'channels', description: 'Channels anyone with the link can watch (CONTRACT §5)' },
  { name: 'analytics', description: 'Analytics events, export and insights (CONTRACT §7)' },
  { name: 'webhooks', description: 'Analytics events delivered to your URL (CONTRACT §7)' },
  { name: 'sdk', description: 'What the browser SDK calls, with an end-user token or none (docs/protocol.md)' },
];

/**
 * Drops `discriminator` from the document. Validation uses it (Ajv then reports the fields of
 * the one variant a `type` names), but OpenAPI only allows it over named `$ref` schemas, and
 * the shapes are inline: without it the `oneOf` still says the same.
 */
function withoutDiscriminators<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutDiscriminators) as T;
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'discriminator').map(([key, v]) => [key, withoutDiscriminators(v)])) as T;
}

export async function installOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    transformObject: (document) => withoutDiscriminators('openapiObject' in document ? document.openapiObject : document.swaggerObject),
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'card-stream platform API',
        version: '1',
        description: 'Send cards to users, query and action them, read analytics. See CONTRACT.md and docs/.',
        license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
      },
      servers: [{ url: 'http://127.0.0.1:8787', description: 'npm start on this machine' }],
      tags: TAGS,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
