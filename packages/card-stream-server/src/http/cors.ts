// CORS for the SDK routes only (docs/protocol.md): a host page on any origin may call them
// with an end-user token in Authorization. The platform API is for backends and sends none.
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

export const SDK_PREFIX = '/v1/sdk/';

export async function installCors(app: FastifyInstance): Promise<void> {
  await app.register(cors, {
    delegator: (request, callback) => {
      if (!request.url?.startsWith(SDK_PREFIX)) return callback(null, { origin: false });
      callback(null, {
        origin: '*',
        methods: ['GET', 'POST'],
        allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match'],
        exposedHeaders: ['ETag'],
        maxAge: 600,
      });
    },
  });
}
