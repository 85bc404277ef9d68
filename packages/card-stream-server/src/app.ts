// Builds the platform: the HTTP shell (with its logger), then the services, then the HTTP
// plugins and routes. main.ts only reads the configuration and listens; tests build the
// same app on a free port.
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import { buildServices, type ServiceConfig, type Services } from './services.js';
import { clientErrorHandler, frameworkErrors, installErrorHandling } from './http/errors.js';
import { BODY_LIMIT, installBodyParsers } from './http/body-parsers.js';
import { installCors } from './http/cors.js';
import { installGuard } from './http/platform-guard.js';
import { installEndUserGuard } from './http/end-user-guard.js';
import { installOpenApi } from './http/openapi.js';
import { authRoutes } from './routes/auth.js';
import { templateRoutes } from './routes/templates.js';
import { cardRoutes } from './routes/cards.js';
import { endUserRoutes } from './routes/end-user.js';
import { endUserSocketRoutes } from './routes/end-user-socket.js';
import { analyticsRoutes } from './routes/analytics.js';
import { webhookRoutes } from './routes/webhooks.js';
import { cancelJobRoutes } from './routes/cancel-jobs.js';
import { channelRoutes } from './routes/channels.js';
import { channelPageRoutes } from './routes/channel-page.js';
import { staticRoutes } from './routes/static.js';
import { demoRoutes } from './routes/demo.js';
import { audienceRoutes } from './routes/audiences.js';
import type { App } from './routes/types.js';

export interface AppConfig extends ServiceConfig {
  logger?: FastifyServerOptions['logger'];
  /** A request whose headers and body have not all arrived by then is dropped; default 30 s. */
  requestTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface Platform {
  app: App;
  services: Services;
  /** A credential generated because the store had none: print it once, never again. */
  generatedCredential?: { clientId: string; clientSecret: string };
}

export async function buildPlatform(config: AppConfig): Promise<Platform> {
  const requestTimeout = config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const app: App = Fastify({
    logger: config.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // A body sent a byte at a time would otherwise hold its connection open forever. Node
    // takes the larger of the two timeouts as the request's limit, so the headers' is the smaller.
    requestTimeout,
    http: { connectionsCheckingInterval: Math.min(1000, requestTimeout), headersTimeout: Math.min(10_000, requestTimeout) },
    frameworkErrors,
    clientErrorHandler,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false, discriminator: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const platform = await buildServices(config, app.log);
  const { services } = platform;
  app.addHook('onReady', () => platform.start());
  app.addHook('preClose', async () => platform.closeSockets());
  app.addHook('onClose', () => platform.stop());

  installErrorHandling(app);
  installBodyParsers(app);
  // CORS first: a 401 from the guards must still carry the CORS headers, or a browser
  // cannot read it and takes an expired token for a network failure.
  await installCors(app);
  installGuard(app, services.resolver);
  installEndUserGuard(app, services.tokens);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await installOpenApi(app);

  authRoutes(app, services);
  templateRoutes(app, services);
  cardRoutes(app, services);
  endUserRoutes(app, services);
  endUserSocketRoutes(app, services);
  analyticsRoutes(app, services);
  webhookRoutes(app, services);
  cancelJobRoutes(app, services);
  audienceRoutes(app, services);
  channelRoutes(app, services);
  channelPageRoutes(app, services);
  staticRoutes(app);
  if (config.demo) await demoRoutes(app, services);

  return { app, services, generatedCredential: platform.generatedCredential };
}
