// Builds the platform: store, services, plugins, then routes. main.ts only reads the
// configuration and listens; tests build the same app on a free port.
import { sql } from 'kysely';
import Fastify, { type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import { randomBytes, randomUUID } from 'node:crypto';
import { openStore, type StoreOptions } from './db/database.js';
import { settingOrCreate } from './repo/settings.js';
import { CredentialRepository } from './repo/credentials.js';
import { TemplateRepository } from './repo/templates.js';
import { TokenService } from './auth/tokens.js';
import { CredentialResolver, installGuard } from './auth/guard.js';
import { CardChangeBus } from './cards/changes.js';
import { CardRepository } from './cards/repository.js';
import { CardSender } from './cards/send.js';
import { ChangeLog, DEFAULT_CHANGE_RETENTION_MS, NOTIFY_CHANNEL, type ChangeNotice } from './cards/change-log.js';
import { CHANNEL_NOTIFY, ChannelRepository, DEFAULT_CHANNEL_DAILY_CARD_LIMIT, type ChannelNotice } from './channels/repository.js';
import { channelRoutes } from './routes/channels.js';
import { channelPageRoutes } from './routes/channel-page.js';
import { demoRoutes, seedSampleTemplates } from './routes/demo.js';
import { LifecycleScheduler } from './lifecycle/scheduler.js';
import { DEFAULT_HUB_OPTIONS, SocketHub, type HubOptions } from './realtime/hub.js';
import { PgChangeListener } from './realtime/pg-listener.js';
import { installEndUserGuard } from './auth/end-user.js';
import { installCors } from './http/cors.js';
import { FeedReader } from './sdk/feed.js';
import { SdkActions } from './sdk/actions.js';
import { SdkEventIntake } from './sdk/events.js';
import { sdkRoutes } from './routes/sdk.js';
import { sdkSocketRoutes } from './routes/sdk-socket.js';
import { CancelJobs, DEFAULT_CANCEL_JOB_OPTIONS, type CancelJobOptions } from './cancel/jobs.js';
import { InThreadExecutor, WorkerExecutor } from './cancel/executor.js';
import { createWriteGate } from './db/write-gate.js';
import { cancelJobRoutes } from './routes/cancel-jobs.js';
import { EventReader } from './analytics/events-query.js';
import { InsightsReader } from './analytics/insights.js';
import { WebhookRepository } from './analytics/webhooks.js';
import { DEFAULT_WEBHOOK_OPTIONS, WebhookDispatcher, type WebhookOptions } from './analytics/webhook-dispatcher.js';
import { eventHorizon } from './analytics/horizon.js';
import { analyticsRoutes } from './routes/analytics.js';
import { webhookRoutes } from './routes/webhooks.js';
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
  /** Socket timings and limits (tests shorten them). */
  realtime?: Partial<HubOptions>;
  /** How long changes are kept for sockets to resume from; default 7 days. */
  changeRetentionMs?: number;
  /** Webhook polling, backoff and retry window (tests shorten them). */
  webhooks?: Partial<WebhookOptions>;
  /** Cards per channel per UTC day (CHANNEL_DAILY_CARD_LIMIT); default 200. */
  channelDailyCardLimit?: number;
  /** Bulk cancel job paging and leases (tests shorten them). */
  cancelJobs?: Partial<CancelJobOptions>;
}

/** Pruning of the change log runs this often. */
const PRUNE_EVERY_MS = 3600_000;

export interface Platform {
  app: App;
  services: Services;
  /** A credential generated because the store had none: print it once, never again. */
  generatedCredential?: { clientId: string; clientSecret: string };
}

const newSecret = () => randomBytes(32).toString('base64url');

export async function buildPlatform(config: AppConfig): Promise<Platform> {
  // On a SQLite file the SQLite worker writes too (cancel/sqlite-worker.ts); the gate lets this
  // thread's statements go first.
  const writeGate = config.store.kind === 'sqlite' ? createWriteGate() : undefined;
  const store = await openStore(config.store, writeGate);
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
  const serverId = randomUUID();
  const changeLog = new ChangeLog(db, store.kind, serverId, store.insertMany, store.readDb);
  const cards = new CardRepository(db, bus, changeLog, store.insertMany, store.kind, store.readDb);
  const channels = new ChannelRepository(db, store.kind, serverId, config.channelDailyCardLimit ?? DEFAULT_CHANNEL_DAILY_CARD_LIMIT);
  const hub = new SocketHub(tokens, changeLog, bus, channels, { ...DEFAULT_HUB_OPTIONS, ...config.realtime });
  const templates = new TemplateRepository(db);
  const cancelOptions = { ...DEFAULT_CANCEL_JOB_OPTIONS, ...config.cancelJobs };
  const cancelExecutor =
    writeGate
      ? new WorkerExecutor({ store: config.store, writeGate, owner: serverId, options: cancelOptions }, bus, (err) => app.log.error({ err }, 'SQLite worker failed'))
      : new InThreadExecutor(db, cards, serverId, cancelOptions);
  // On a SQLite file the SQLite worker checkpoints the WAL (cancel/sqlite-worker.ts). Left to this
  // connection, a checkpoint would run on this thread after a commit and stop every request
  // for as long as it copies, which during a bulk cancel is tens of MB.
  if (writeGate) await sql.raw('pragma wal_autocheckpoint = 0').execute(db);
  const services: Services = {
    store,
    credentials,
    resolver: new CredentialResolver(credentials, tokens),
    tokens,
    templates,
    cards,
    sender: new CardSender(templates, cards),
    bus,
    changeLog,
    hub,
    channels,
    feed: new FeedReader(store.readDb, changeLog),
    sdkActions: new SdkActions(cards),
    sdkEvents: new SdkEventIntake(db, store.insertMany),
    analyticsEvents: new EventReader(db),
    insights: new InsightsReader(db),
    webhooks: new WebhookRepository(db),
    cancelJobs: new CancelJobs(db, cancelExecutor, serverId, cancelOptions, (err) => app.log.error({ err }, 'cancel job failed')),
  };

  const app = Fastify({
    logger: config.logger ?? false,
    bodyLimit: BODY_LIMIT,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const scheduler = new LifecycleScheduler(cards, bus, (err) => app.log.error({ err }, 'lifecycle scheduler failed'));
  const logError = (what: string) => (err: unknown) => app.log.error({ err }, what);
  const webhookDispatcher = new WebhookDispatcher(
    services.webhooks,
    eventHorizon(db, store.kind),
    serverId,
    { ...DEFAULT_WEBHOOK_OPTIONS, ...config.webhooks },
    logError('webhook delivery failed'),
  );
  // With PostgreSQL, other servers' changes arrive as notices (docs/protocol.md, "Fan-out").
  const listener =
    store.kind === 'postgres' && store.url
      ? new PgChangeListener(store.url, {
          notices: {
            [NOTIFY_CHANNEL]: (notice) => hub.receiveNotice(notice as ChangeNotice),
            [CHANNEL_NOTIFY]: (notice) => void hub.receiveChannelNotice(notice as ChannelNotice).catch(logError('channel notice failed')),
          },
          reconnected: () => hub.resyncAll(),
          error: logError('change listener failed'),
        })
      : undefined;
  let stopPruning = () => {};
  app.addHook('onReady', async () => {
    hub.start();
    await listener?.start();
    stopPruning = changeLog.schedulePruning(config.changeRetentionMs ?? DEFAULT_CHANGE_RETENTION_MS, PRUNE_EVERY_MS, logError('change log pruning failed'));
    scheduler.start();
    webhookDispatcher.start();
    await services.cancelJobs.start();
  });
  app.addHook('preClose', async () => hub.stop());
  app.addHook('onClose', async () => {
    stopPruning();
    await webhookDispatcher.stop();
    await services.cancelJobs.stop();
    await listener?.stop();
    await scheduler.stop();
    await store.close();
  });

  installErrorHandling(app);
  installBodyParsers(app);
  // CORS first: a 401 from the guards must still carry the CORS headers, or a browser
  // cannot read it and takes an expired token for a network failure.
  await installCors(app);
  installGuard(app, services.resolver);
  installEndUserGuard(app, tokens);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
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
  sdkRoutes(app, services);
  sdkSocketRoutes(app, services);
  analyticsRoutes(app, services);
  webhookRoutes(app, services);
  cancelJobRoutes(app, services);
  channelRoutes(app, services);
  channelPageRoutes(app, services);
  staticRoutes(app);
  if (config.demo) {
    demoRoutes(app, services);
    await seedSampleTemplates(services);
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return { app, services, generatedCredential };
}
