// The platform's services, built once from the configuration: the store, every feature's
// domain objects, and the background workers (socket hub, lifecycle scheduler, webhook
// dispatcher, cancel jobs, PostgreSQL fan-out). Routes get them through `Services`;
// `start` and `stop` run the background work for as long as the server does.
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { ROLES } from '../../protocol/src/auth.js';
import { openStore, type Store, type StoreOptions } from './store/database.js';
import { createWriteGate } from './store/write-gate.js';
import { settingOrCreate } from './store/settings.js';
import { CredentialRepository } from './auth/credentials.js';
import { CredentialResolver } from './auth/credential-resolver.js';
import { TokenService } from './auth/tokens.js';
import { TemplateRepository } from './templates/repository.js';
import { FlowSender } from './flows/sender.js';
import { CardChangeBus } from './cards/change-bus.js';
import { CardRepository } from './cards/repository.js';
import { CardContents } from './cards/contents.js';
import { EventContexts } from './analytics/event-contexts.js';
import { ChangeLog, DEFAULT_CHANGE_RETENTION_MS, NOTIFY_CHANNEL, type ChangeNotice } from './cards/change-log.js';
import { CHANNEL_NOTIFY, ChannelRepository, DEFAULT_CHANNEL_DAILY_CARD_LIMIT, type ChannelNotice } from './channels/repository.js';
import { LifecycleScheduler } from './lifecycle/scheduler.js';
import { DEFAULT_HUB_OPTIONS, SocketHub, type HubOptions } from './realtime/hub.js';
import { PgChangeListener } from './realtime/pg-listener.js';
import { FeedReader } from './end-user/feed.js';
import { EndUserActions } from './end-user/actions.js';
import { EndUserEventIntake } from './end-user/event-intake.js';
import { CancelJobs, defaultCancelJobOptions, type CancelJobOptions } from './cancel-jobs/jobs.js';
import { InThreadExecutor } from './cancel-jobs/executor.js';
import { JobWorker } from './job-worker/host.js';
import { EventReader } from './analytics/events-query.js';
import { InsightsReader } from './analytics/insights.js';
import { eventHorizon } from './analytics/horizon.js';
import { WebhookRepository } from './webhooks/subscriptions.js';
import { DEFAULT_WEBHOOK_OPTIONS, WebhookDispatcher, type WebhookOptions } from './webhooks/dispatcher.js';
import { seedSampleTemplates } from './demo/seed.js';
import { IdempotencyKeys } from './idempotency/keys.js';
import { ProfileRepository } from './audiences/profiles.js';
import { SegmentRepository } from './audiences/segments.js';
import { defaultSendJobOptions, InThreadSendExecutor, SendJobs, type SendJobOptions } from './audiences/send-jobs.js';

export interface ServiceConfig {
  store: StoreOptions;
  /** Makes (idempotently) the credential `bootstrap` with every role and this secret. */
  bootstrapKey?: string;
  /** HS256 secret for end-user tokens; generated and kept in the store when absent. */
  jwtSecret?: string;
  /** Seeds the demo's sample templates into a store that has none. */
  demo: boolean;
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
  /** Audience send job paging and leases (tests shorten them). */
  sendJobs?: Partial<SendJobOptions>;
}

/** What the routes work with. */
export interface Services {
  store: Store;
  credentials: CredentialRepository;
  resolver: CredentialResolver;
  tokens: TokenService;
  templates: TemplateRepository;
  flows: FlowSender;
  cards: CardRepository;
  bus: CardChangeBus;
  changeLog: ChangeLog;
  hub: SocketHub;
  feed: FeedReader;
  endUserActions: EndUserActions;
  endUserEvents: EndUserEventIntake;
  analyticsEvents: EventReader;
  insights: InsightsReader;
  webhooks: WebhookRepository;
  cancelJobs: CancelJobs;
  channels: ChannelRepository;
  idempotencyKeys: IdempotencyKeys;
  profiles: ProfileRepository;
  segments: SegmentRepository;
  sendJobs: SendJobs;
}

export interface Platform {
  services: Services;
  /** A credential generated because the store had none: print it once, never again. */
  generatedCredential?: { clientId: string; clientSecret: string };
  /** Starts the background work (sockets' heartbeats, scheduler, deliveries, jobs, fan-out). */
  start(): Promise<void>;
  /** Stops taking sockets: they are closed so clients reconnect elsewhere. */
  closeSockets(): void;
  /** Stops the background work and closes the store. */
  stop(): Promise<void>;
}

/** Pruning of the change log runs this often. */
const PRUNE_EVERY_MS = 3600_000;

const newSecret = () => randomBytes(32).toString('base64url');

export async function buildServices(config: ServiceConfig, log: FastifyBaseLogger): Promise<Platform> {
  const logError = (what: string) => (err: unknown) => log.error({ err }, what);
  // On a SQLite file the SQLite worker writes too (job-worker/thread.ts); the gate
  // lets this thread's statements go first.
  const writeGate = config.store.kind === 'sqlite' ? createWriteGate() : undefined;
  const store = await openStore(config.store, writeGate && { gate: writeGate, side: 'server' }, (message) => log.warn(message));
  const { db } = store;
  const platformSecret = await settingOrCreate(db, 'platform_token_secret', newSecret);
  const jwtSecret = config.jwtSecret ?? (await settingOrCreate(db, 'jwt_secret', newSecret));

  const credentials = new CredentialRepository(db, store.readDb);
  let generatedCredential: Platform['generatedCredential'];
  if (config.bootstrapKey) {
    await credentials.upsertWithSecret('bootstrap', config.bootstrapKey);
  } else if ((await credentials.count()) === 0) {
    const created = await credentials.create([...ROLES], 'admin');
    generatedCredential = { clientId: created.clientId, clientSecret: created.clientSecret };
  }

  const serverId = randomUUID();
  const tokens = new TokenService(platformSecret, jwtSecret);
  const bus = new CardChangeBus();
  // One of each per process: they keep the shared parts of cards and events they have read.
  const contents = new CardContents(store.readDb);
  const eventContexts = new EventContexts(store.readDb);
  const changeLog = new ChangeLog(db, store.kind, serverId, store.readDb, contents, store.now);
  const cards = new CardRepository(db, bus, changeLog, store.insertMany, store.kind, store.readDb, contents, store.now);
  const recovered = await cards.recoverSentEvents();
  if (recovered) log.warn(`Wrote the sent events of ${recovered} cards that the last run wrote just before it stopped.`);
  const channels = new ChannelRepository(db, store.kind, serverId, config.channelDailyCardLimit ?? DEFAULT_CHANNEL_DAILY_CARD_LIMIT);
  const hub = new SocketHub(tokens, changeLog, bus, channels, { ...DEFAULT_HUB_OPTIONS, ...config.realtime });
  // On SQLite this process is the store's only writer (the data directory is held).
  const templates = new TemplateRepository(db, store.kind === 'sqlite');
  const cancelOptions = { ...defaultCancelJobOptions(store.kind), ...config.cancelJobs };
  const sendOptions = { ...defaultSendJobOptions(store.kind), ...config.sendJobs };
  const flows = new FlowSender(templates, cards);
  // Send jobs run on the job worker (job-worker/thread.ts), and on a SQLite file cancel jobs
  // and counts of up to a million rows too. In memory (one connection, which a thread cannot
  // share) everything runs here.
  const jobWorker =
    config.store.kind === 'memory'
      ? undefined
      : new JobWorker({ store: config.store, writeGate, owner: serverId, cancelJobs: cancelOptions, sendJobs: sendOptions }, bus, logError('job worker failed'));
  const sqliteWorker = writeGate && jobWorker;
  const segments = new SegmentRepository(db, store.kind, sqliteWorker && ((filter) => sqliteWorker.countMembers(filter)));
  const cancelExecutor = sqliteWorker?.cancelJobs() ?? new InThreadExecutor(db, cards, serverId, cancelOptions, store.kind);
  const sendExecutor = jobWorker?.sendJobs() ?? new InThreadSendExecutor({ db, kind: store.kind, cards, templates, segments, owner: serverId, options: sendOptions });
  const webhookOptions = { ...DEFAULT_WEBHOOK_OPTIONS, ...config.webhooks };
  const webhooks = new WebhookRepository(db, eventContexts, { allowPrivate: webhookOptions.allowPrivate });

  const services: Services = {
    store,
    credentials,
    resolver: new CredentialResolver(credentials, tokens),
    tokens,
    templates,
    flows,
    cards,
    bus,
    changeLog,
    hub,
    feed: new FeedReader(store.readDb, changeLog, store.kind, contents),
    endUserActions: new EndUserActions(cards),
    endUserEvents: new EndUserEventIntake(db, store.insertMany, contents),
    // Reads of analytics on SQLite's read connection: an export of a million events neither
    // queues behind a write transaction in progress nor fills the writer's page cache with
    // events (bench/export.ts, docs/platform.md).
    analyticsEvents: new EventReader(store.readDb, eventContexts),
    insights: new InsightsReader(db),
    webhooks,
    cancelJobs: new CancelJobs(db, cancelExecutor, serverId, cancelOptions, logError('cancel job failed')),
    channels,
    idempotencyKeys: new IdempotencyKeys(db),
    profiles: new ProfileRepository(db, store.kind, store.insertMany, segments),
    segments,
    sendJobs: new SendJobs(db, flows, segments, sendExecutor, serverId, sendOptions, logError('send job failed')),
  };

  const scheduler = new LifecycleScheduler(cards, bus, logError('lifecycle scheduler failed'));
  const webhookDispatcher = new WebhookDispatcher(
    webhooks,
    eventHorizon(db, store.kind),
    serverId,
    webhookOptions,
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
  if (config.demo) await seedSampleTemplates(db, templates);

  let stopPruning = () => {};
  return {
    services,
    generatedCredential,
    async start() {
      hub.start();
      await listener?.start();
      const stopLogPruning = changeLog.schedulePruning(config.changeRetentionMs ?? DEFAULT_CHANGE_RETENTION_MS, PRUNE_EVERY_MS, logError('change log pruning failed'));
      const keyPruning = setInterval(() => void services.idempotencyKeys.prune().catch(logError('idempotency key pruning failed')), PRUNE_EVERY_MS);
      keyPruning.unref();
      stopPruning = () => {
        stopLogPruning();
        clearInterval(keyPruning);
      };
      scheduler.start();
      await webhookDispatcher.start(store.kind === 'sqlite');
      await services.cancelJobs.start(store.kind === 'sqlite');
      await services.sendJobs.start(store.kind === 'sqlite');
    },
    closeSockets: () => hub.stop(),
    async stop() {
      stopPruning();
      await webhookDispatcher.stop();
      await services.cancelJobs.stop();
      await services.sendJobs.stop();
      await jobWorker?.stop();
      await listener?.stop();
      await scheduler.stop();
      await store.close();
    },
  };
}
