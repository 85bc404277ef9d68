// The demo (CONTRACT §1, `--demo`): its pages, built by Vite into the server package's
// dist/demo, and what only a demo has: end-user tokens for the picked test user, and the
// page's calls to the platform API, made for it by the server (the page never holds a key).
// Both answer only a page of this machine: the caller's address is loopback, the Host is a
// loopback name (a DNS-rebinding page reaches the port under its own name) and the Origin,
// when there is one, is the server's own. A real host backend mints tokens with its own
// `auth` credential and keeps its keys to itself.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest, HTTPMethods } from 'fastify';
import { EndUserTokenRequestSchema, EndUserTokenSchema, type EndUserToken } from '../../../protocol/src/auth.js';
import { settingOrCreate } from '../store/settings.js';
import { Forbidden, NotFound } from '../errors.js';
import type { App, Services } from './types.js';
import { projectRoot, sendFile } from './static.js';
import { strictPagePolicy } from '../http/page-policy.js';

const DEMO_CLIENT_ID = 'demo';
const DEMO_TOKEN_SECONDS = 3600;
const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const PAGES: Record<string, string> = { '/': 'index.html', '/script-tag.html': 'script-tag.html', '/spa/': 'spa/index.html'};
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };

/** The pages load only their own scripts and styles, talk only to this server, and are never framed. */
const PAGE_HEADERS = {
  'content-security-policy': strictPagePolicy("'none'", ["base-uri 'none'", "object-src 'none'"]),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The platform API calls the demo page makes (and nothing else: no credentials, no webhooks). */
const DEMO_API: [HTTPMethods, RegExp][] = [
  ['GET', /^\/v1\/card-templates(\/[\w-]+)?$/],
  ['POST', /^\/v1\/card-templates(\/[\w-]+\/publish)?$/],
  ['POST', /^\/v1\/action-flows\/[\w-]+\/(start|test)$/],
  ['GET', /^\/v1\/cards(\/count)?$/],
  ['PUT', /^\/v1\/cards\/(dismiss|complete|snooze|cancel)$/],
  ['GET', /^\/v1\/analytics\/(events|insights)$/],
  ['POST', /^\/v1\/cancel-jobs(\/preview)?$/],
  ['GET', /^\/v1\/cancel-status\/[\w-]+$/],
  ['GET', /^\/v1\/users$/],
  ['PUT', /^\/v1\/users\/[\w.@:-]+$/],
  ['GET', /^\/v1\/segments(\/[\w-]+\/count)?$/],
  ['POST', /^\/v1\/segments$/],
  ['GET', /^\/v1\/send-jobs\/[\w-]+$/],
];

/** Refuses a caller that is not a page of this machine served by this server. */
function checkLocalPage(request: FastifyRequest): void {
  const sameOrigin = request.headers.origin === undefined || request.headers.origin === `${request.protocol}://${request.host}`;
  if (!LOOPBACK_ADDRESSES.has(request.ip) || !LOOPBACK_NAMES.has(request.hostname) || !sameOrigin) {
    throw new Forbidden('demo_local_only', 'The demo answers only its own pages, opened on this machine (http://127.0.0.1 or http://localhost).');
  }
}

export async function demoRoutes(app: App, services: Services): Promise<void> {
  const root = join(projectRoot(), 'dist', 'demo');
  // The demo's own credential: its secret stays in this process and the store.
  const demoSecret = await settingOrCreate(services.store.db, 'demo_key', () => randomBytes(32).toString('base64url'));
  await services.credentials.upsertWithSecret(DEMO_CLIENT_ID, demoSecret, ['events', 'workbench']);
  const localPage = async (request: FastifyRequest) => checkLocalPage(request);

  app.post(
    '/demo/token',
    {
      schema: { hide: true, body: Type.Pick(EndUserTokenRequestSchema, ['userId'], { additionalProperties: false }), response: { 200: EndUserTokenSchema } },
      preHandler: localPage,
    },
    async (request): Promise<EndUserToken> => {
      const { token, expiresAt } = await services.tokens.issueEndUserToken(request.body.userId, DEMO_TOKEN_SECONDS);
      return { token, expiresAt: new Date(expiresAt).toISOString() };
    },
  );

  app.route({
    method: ['GET', 'POST', 'PUT'],
    url: '/demo/api/*',
    schema: { hide: true },
    preHandler: localPage,
    handler: async (request, reply) => {
      const url = request.url.slice('/demo/api'.length);
      const path = url.split('?')[0] as string;
      if (!DEMO_API.some(([method, pattern]) => method === request.method && pattern.test(path))) {
        throw new NotFound('not_in_demo', `The demo does not call ${request.method} ${path}.`);
      }
      const answer = await app.inject({
        method: request.method as HTTPMethods,
        url,
        headers: { authorization: `Bearer ${demoSecret}`, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(request.body === undefined ? {} : { payload: JSON.stringify(request.body) }),
      });
      return reply.code(answer.statusCode).header('content-type', answer.headers['content-type'] ?? 'application/json').send(answer.rawPayload);
    },
  });

  for (const [path, file] of Object.entries(PAGES)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => sendFile(join(root, file), 'text/html; charset=utf-8', reply.headers(PAGE_HEADERS)));
  }
  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const { file } = request.params;
    const type = TYPES[file.split('.').pop() ?? ''];
    if (!type || !/^[\w.-]+$/.test(file)) throw new NotFound('not_found', `There is no demo file ${file}.`);
    return sendFile(join(root, 'assets', file), type, reply.header('x-content-type-options', 'nosniff'));
  });
}
