// Analytics events as the platform stores and serves them (CONTRACT §7, seed 003).
import { SDK_EVENT_NAMES } from './sdk.js';

/** Events the platform records itself. */
export const PLATFORM_EVENT_NAMES = [
  'card-published',
  'card-embargoed',
  'card-snoozed',
  'card-unsnoozed',
  'card-completed',
  'card-dismissed',
  'card-cancelled',
  'card-expired',
  'action-flow-started',
  'action-flow-completed',
] as const;

/** Every name an analytics event may carry: the platform's and the SDK's. */
export const ANALYTICS_EVENT_NAMES = [...PLATFORM_EVENT_NAMES, ...SDK_EVENT_NAMES] as const;
export type AnalyticsEventName = (typeof ANALYTICS_EVENT_NAMES)[number];

type Context = Record<string, unknown>;

/** One analytics event; every context is present (`{}` where it does not apply). */
export interface AnalyticsEvent {
  id: string;
  endUserId: string;
  analyticsEvent: AnalyticsEventName;
  timestamp: string;
  properties: Context;
  hostContext: Context;
  eventContext: Context;
  sdkContext: Context;
  streamContext: Context;
  cardContext: Context;
  platformContext: Context;
}

/** `GET /v1/analytics/events` → 200. */
export interface AnalyticsEventPage {
  data: AnalyticsEvent[];
  /** Pass back as `cursor` for the next page; null when there is none. */
  nextCursor: string | null;
}

/** The body of every webhook delivery (at most 100 events, oldest first). */
export interface WebhookDelivery {
  events: AnalyticsEvent[];
}

/** `GET /v1/analytics/insights` → 200: one row per card template. */
export interface TemplateInsights {
  cardTemplateId: string;
  sent: number;
  displayed: number;
  completed: number;
  dismissed: number;
  snoozed: number;
  votedUp: number;
  votedDown: number;
  displayRate: number;
  completionRate: number;
  dismissRate: number;
}
