// CORS for the SDK routes only (docs/protocol.md): a host page on any origin may call them
// with an end-user token in Authorization. The platform API is for backends and sends none.
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

export const SDK_PREFIX = '/v1/sdk/';

const SDK_CORS = {
  origin: '*',
  methods: ['GET', 'POST'],
  allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match'],
  exposedHeaders: ['ETag'],
  maxAge: 600,
};

/**
 * Options fixed once, and every route outside the SDK's marked `cors: false` as it is
 * added, so a request costs one check. (A per-request delegator that chose the options by
 * URL cost a send about 70 µs: the plugin merges and normalises them on every request.)
 * Call before any route is added.
 */
export async function installCors(app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(SDK_PREFIX)) route.config = { ...route.config, cors: false } as typeof route.config;
  });
  await app.register(cors, SDK_CORS);
  // The plugin's own preflight route is `*`, marked above: outside the SDK a preflight is
  // refused (404, no CORS headers). The SDK's preflights are answered by the plugin's hook
  // on this route, before its handler; the handler sees only an OPTIONS that is no preflight.
  app.options(`${SDK_PREFIX}*`, { schema: { hide: true } }, (_request, reply) => reply.callNotFound());
}
