// Analytics events as the platform stores and serves them (CONTRACT §7, seed 003): the
// event, the events API and export queries, and insights.
import { Type, type Static } from '@sinclair/typebox';
import { DigitsSchema, ListSchema, PageSchema, StringEnum } from './common.js';
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
  'segment-entered',
  'segment-exited',
] as const;
export type PlatformEventName = (typeof PLATFORM_EVENT_NAMES)[number];

/** Every name an analytics event may carry: the platform's and the SDK's. */
export const ANALYTICS_EVENT_NAMES = [...PLATFORM_EVENT_NAMES, ...SDK_EVENT_NAMES] as const;
export type AnalyticsEventName = (typeof ANALYTICS_EVENT_NAMES)[number];
export const AnalyticsEventNameSchema = StringEnum(ANALYTICS_EVENT_NAMES, { description: 'an event name, e.g. card-displayed' });

export const ContextSchema = Type.Record(Type.String(), Type.Unknown());

/** One analytics event; every context is present (`{}` where it does not apply). */
export const AnalyticsEventSchema = Type.Object(
  {
    id: Type.String(),
    endUserId: Type.String(),
    analyticsEvent: AnalyticsEventNameSchema,
    timestamp: Type.String(),
    properties: ContextSchema,
    hostContext: ContextSchema,
    eventContext: ContextSchema,
    sdkContext: ContextSchema,
    streamContext: ContextSchema,
    cardContext: ContextSchema,
    platformContext: ContextSchema,
  },
  { description: 'An analytics event (CONTRACT §7, seed 003)' },
);
export type AnalyticsEvent = Static<typeof AnalyticsEventSchema>;

const Text = (description: string) => Type.Optional(Type.String({ maxLength: 256, description }));
/** What selects events, in the events API and the export alike. */
export const EventFilterQuerySchema = Type.Object(
  {
    analyticsEvent: Type.Optional(AnalyticsEventNameSchema),
    endUserId: Text('the end user'),
    cardInstanceId: Text('the card'),
    lifecycleId: Text('the card lifecycle'),
    from: Text('ISO 8601 time, inclusive'),
    to: Text('ISO 8601 time, exclusive'),
  },
  { additionalProperties: false },
);
export type EventFilterQuery = Static<typeof EventFilterQuerySchema>;

export const EventsQuerySchema = Type.Object(
  {
    ...EventFilterQuerySchema.properties,
    limit: Type.Optional(DigitsSchema('1 to 1000, default 100')),
    cursor: Type.Optional(Type.String({ maxLength: 64, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

/** `GET /v1/analytics/events` → 200. */
export const AnalyticsEventPageSchema = PageSchema(AnalyticsEventSchema);
export type AnalyticsEventPage = Static<typeof AnalyticsEventPageSchema>;

export const InsightsQuerySchema = Type.Object(
  {
    cardTemplateId: Text('one template; all templates with events when absent'),
    from: EventFilterQuerySchema.properties.from,
    to: EventFilterQuerySchema.properties.to,
  },
  { additionalProperties: false },
);

/** One row of `GET /v1/analytics/insights`: a card template. */
export const TemplateInsightsSchema = Type.Object({
  cardTemplateId: Type.String(),
  sent: Type.Integer({ description: 'cards with card-published or card-embargoed' }),
  displayed: Type.Integer({ description: 'cards with card-displayed' }),
  completed: Type.Integer(),
  dismissed: Type.Integer(),
  snoozed: Type.Integer(),
  votedUp: Type.Integer(),
  votedDown: Type.Integer(),
  displayRate: Type.Number({ description: 'displayed / sent, 0 when nothing was sent' }),
  completionRate: Type.Number(),
  dismissRate: Type.Number(),
});
export type TemplateInsights = Static<typeof TemplateInsightsSchema>;
export const InsightsListSchema = ListSchema(TemplateInsightsSchema);
