// The demo (CONTRACT §1, `--demo`): its pages, built by Vite into the server package's
// dist/demo, and the two endpoints only a demo has — a key for the page's own calls to the platform API, and
// end-user tokens for the picked test user. Both answer loopback callers only: a real host
// backend keeps its key to itself and mints tokens with its own `auth` credential.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { EndUserTokenRequestSchema, EndUserTokenSchema, type EndUserToken } from '../../../protocol/src/auth.js';
import { settingOrCreate } from '../store/settings.js';
import { Forbidden, NotFound } from '../errors.js';
import type { App, Services } from './types.js';
import { projectRoot, sendFile } from './static.js';

const DEMO_CLIENT_ID = 'demo';
const DEMO_TOKEN_SECONDS = 3600;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const PAGES: Record<string, string> = { '/': 'index.html', '/script-tag.html': 'script-tag.html', '/spa/': 'spa/index.html' };
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };

export function demoRoutes(app: App, services: Services): void {
  const root = join(projectRoot(), 'dist', 'demo');
  const loopbackOnly = async (request: { ip: string }) => {
    if (!LOOPBACK.has(request.ip)) throw new Forbidden('demo_loopback_only', 'The demo endpoints answer callers on this machine only.');
  };

  app.get('/demo/key', { schema: { hide: true }, preHandler: loopbackOnly }, async () => {
    const key = await settingOrCreate(services.store.db, 'demo_key', () => randomBytes(24).toString('base64url'));
    await services.credentials.upsertWithSecret(DEMO_CLIENT_ID, key);
    return { key };
  });

  app.post(
    '/demo/token',
    {
      schema: { hide: true, body: Type.Pick(EndUserTokenRequestSchema, ['userId'], { additionalProperties: false }), response: { 200: EndUserTokenSchema } },
      preHandler: loopbackOnly,
    },
    async (request): Promise<EndUserToken> => {
      const { token, expiresAt } = await services.tokens.issueEndUserToken(request.body.userId, DEMO_TOKEN_SECONDS);
      return { token, expiresAt: new Date(expiresAt).toISOString() };
    },
  );

  for (const [path, file] of Object.entries(PAGES)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => sendFile(join(root, file), 'text/html; charset=utf-8', reply));
  }
  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const { file } = request.params;
    const type = TYPES[file.split('.').pop() ?? ''];
    if (!type || !/^[\w.-]+$/.test(file)) throw new NotFound('not_found', `There is no demo file ${file}.`);
    return sendFile(join(root, 'assets', file), type, reply);
  });
}
