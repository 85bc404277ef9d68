// Builds the platform: store, services, plugins, then routes. main.ts only reads the
// configuration and listens; tests build the same app on a free port.
import Fastify, { type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomBytes } from 'node:crypto';
import { openStore, type StoreOptions } from './db/database.js';
import { settingOrCreate } from './repo/settings.js';
import { CredentialRepository } from './repo/credentials.js';
import { TemplateRepository } from './repo/templates.js';
import { TokenService } from './auth/tokens.js';
import { CredentialResolver, installGuard } from './auth/guard.js';
import { CardChangeBus } from './cards/changes.js';
import { CardRepository } from './cards/repository.js';
import { CardSender } from './cards/send.js';
import { LifecycleScheduler } from './lifecycle/scheduler.js';
import { installErrorHandling } from './http/errors.js';
import { BODY_LIMIT, installBodyParsers } from './http/body-parsers.js';
import { authRoutes } from './routes/auth.js';
import { templateRoutes } from './routes/templates.js';
import { cardRoutes } from './routes/cards.js';
import { staticRoutes } from './routes/static.js';
import type { App, Services } from './routes/types.js';
import { ROLES } from './auth/roles.js';

export interface AppConfig {
  store: StoreOptions;
  /** Makes (idempotently) the credential `bootstrap` with every role and this secret. */
  bootstrapKey?: string;
  /** HS256 secret for end-user tokens; generated and kept in the store when absent. */
  jwtSecret?: string;
  demo: boolean;
  logger?: FastifyServerOptions['logger'];
}

export interface Platform {
  app: App;
  services: Services;
  /** A credential generated because the store had none: print it once, never again. */
  generatedCredential?: { clientId: string; clientSecret: string };
}

const newSecret = () => randomBytes(32).toString('base64url');

export async function buildPlatform(config: AppConfig): Promise<Platform> {
  const store = await openStore(config.store);
  const { db } = store;
  const platformSecret = await settingOrCreate(db, 'platform_token_secret', newSecret);
  const jwtSecret = config.jwtSecret ?? (await settingOrCreate(db, 'jwt_secret', newSecret));

  const credentials = new CredentialRepository(db);
  let generatedCredential: Platform['generatedCredential'];
  if (config.bootstrapKey) {
    await credentials.upsertWithSecret('bootstrap', config.bootstrapKey);
  } else if ((await credentials.count()) === 0) {
    const created = await credentials.create([...ROLES], 'admin');
    generatedCredential = { clientId: created.clientId, clientSecret: created.clientSecret };
  }

  const tokens = new TokenService(platformSecret, jwtSecret);
  const bus = new CardChangeBus();
  const cards = new CardRepository(db, bus);
  const templates = new TemplateRepository(db);
  const services: Services = {
    store,
    credentials,
    resolver: new CredentialResolver(credentials, tokens),
    tokens,
    templates,
    cards,
    sender: new CardSender(templates, cards),
    bus,
  };

  const app = Fastify({
    logger: config.logger ?? false,
    bodyLimit: BODY_LIMIT,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const scheduler = new LifecycleScheduler(cards, bus, (err) => app.log.error({ err }, 'lifecycle scheduler failed'));
  app.addHook('onReady', async () => scheduler.start());
  app.addHook('onClose', async () => {
    await scheduler.stop();
    await store.close();
  });

  installErrorHandling(app);
  installBodyParsers(app);
  installGuard(app, services.resolver);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'card-stream platform API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  authRoutes(app, services);
  templateRoutes(app, services);
  cardRoutes(app, services);
  staticRoutes(app, { demo: config.demo });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return { app, services, generatedCredential };
}
