// The demo (CONTRACT §1, `--demo`): its pages, built by Vite into the server package's dist/demo, and the two
// endpoints only a demo has — a key for the page's own calls to the platform API, and
// end-user tokens for the picked test user. Both answer loopback callers only: a real host
// backend keeps its key to itself and mints tokens with its own `auth` credential.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { ApiError } from '../http/errors.js';
import { settingOrCreate } from '../repo/settings.js';
import { SAMPLE_TEMPLATES } from '../demo/samples.js';
import type { App, Services } from './types.js';
import { projectRoot, sendFile } from './static.js';
import { checkTemplate } from './templates.js';

const DEMO_CLIENT_ID = 'demo';
const DEMO_TOKEN_SECONDS = 3600;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const PAGES: Record<string, string> = { '/': 'index.html', '/script-tag.html': 'script-tag.html', '/spa/': 'spa/index.html' };
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };

/** Publishes the sample templates on the first demo start of a store that has none. The
 * setting is a claim, so of several servers starting at once only one seeds. */
export async function seedSampleTemplates({ templates, store }: Services): Promise<void> {
  const claim = randomUUID();
  if ((await settingOrCreate(store.db, 'demo_samples_seeded', () => claim)) !== claim) return;
  if ((await templates.list()).length > 0) return;
  for (const input of SAMPLE_TEMPLATES) {
    const created = await templates.create(checkTemplate(input));
    await templates.publish(created.id);
  }
}

export function demoRoutes(app: App, services: Services): void {
  const root = join(projectRoot(), 'dist', 'demo');
  const loopbackOnly = async (request: { ip: string }) => {
    if (!LOOPBACK.has(request.ip)) throw new ApiError(403, 'demo_loopback_only', 'The demo endpoints answer callers on this machine only.');
  };

  app.get('/demo/key', { schema: { hide: true }, preHandler: loopbackOnly }, async () => {
    const key = await settingOrCreate(services.store.db, 'demo_key', () => randomBytes(24).toString('base64url'));
    await services.credentials.upsertWithSecret(DEMO_CLIENT_ID, key);
    return { key };
  });

  app.post(
    '/demo/token',
    {
      schema: { hide: true, body: Type.Object({ userId: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }) },
      preHandler: loopbackOnly,
    },
    async (request) => {
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
    if (!type || !/^[\w.-]+$/.test(file)) throw new ApiError(404, 'not_found', `There is no demo file ${file}.`);
    return sendFile(join(root, 'assets', file), type, reply);
  });
}
