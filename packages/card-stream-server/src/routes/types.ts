import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Store } from '../db/database.js';
import type { CredentialRepository } from '../repo/credentials.js';
import type { TemplateRepository } from '../repo/templates.js';
import type { CredentialResolver } from '../auth/guard.js';
import type { TokenService } from '../auth/tokens.js';
import type { CardRepository } from '../cards/repository.js';
import type { CardSender } from '../cards/send.js';
import type { CardChangeBus } from '../cards/changes.js';
import type { ChangeLog } from '../cards/change-log.js';
import type { SocketHub } from '../realtime/hub.js';
import type { FeedReader } from '../sdk/feed.js';
import type { SdkActions } from '../sdk/actions.js';
import type { SdkEventIntake } from '../sdk/events.js';
import type { EventReader } from '../analytics/events-query.js';
import type { InsightsReader } from '../analytics/insights.js';
import type { WebhookRepository } from '../analytics/webhooks.js';
import type { CancelJobs } from '../cancel/jobs.js';
import type { ChannelRepository } from '../channels/repository.js';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What the routes work with; built once in app.ts. */
export interface Services {
  store: Store;
  credentials: CredentialRepository;
  resolver: CredentialResolver;
  tokens: TokenService;
  templates: TemplateRepository;
  cards: CardRepository;
  sender: CardSender;
  bus: CardChangeBus;
  changeLog: ChangeLog;
  hub: SocketHub;
  feed: FeedReader;
  sdkActions: SdkActions;
  sdkEvents: SdkEventIntake;
  analyticsEvents: EventReader;
  insights: InsightsReader;
  webhooks: WebhookRepository;
  cancelJobs: CancelJobs;
  channels: ChannelRepository;
}
