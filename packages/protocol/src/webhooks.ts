// Webhooks (CONTRACT §7): a subscription, its delivery status, and the body of a delivery.
import { Type, type Static } from '@sinclair/typebox';
import { ListSchema, StringEnum } from './common.js';
import { ANALYTICS_EVENT_NAMES, AnalyticsEventSchema } from './analytics.js';

/** A subscription to every event name. */
export const ALL_EVENTS = '*';
/** Events in one delivery, at most. */
export const MAX_DELIVERY_EVENTS = 100;

const EVENT_NAMES = [ALL_EVENTS, ...ANALYTICS_EVENT_NAMES] as const;

export const WebhookInputSchema = Type.Object(
  {
    url: Type.String({ maxLength: 2048, description: 'http:// or https:// URL that receives POSTs' }),
    events: Type.Array(StringEnum(EVENT_NAMES), { minItems: 1, maxItems: EVENT_NAMES.length, description: 'analytics event names, or ["*"] for all' }),
    secret: Type.String({ minLength: 8, maxLength: 256, description: 'signs every delivery (X-Signature); never shown again' }),
  },
  { additionalProperties: false },
);
export type WebhookInput = Static<typeof WebhookInputSchema>;

export const WebhookSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  created: Type.String(),
});
export type Webhook = Static<typeof WebhookSchema>;

/** What GET /v1/webhooks adds to a webhook: how its deliveries are going. */
export const WebhookStatusSchema = Type.Object({
  ...WebhookSchema.properties,
  failingSince: Type.Optional(Type.String({ description: 'while the current batch is failing: since when' })),
  lastError: Type.Optional(Type.String()),
  failedBatches: Type.Integer({ description: 'batches given up on after 24 hours of retries' }),
});
export type WebhookStatus = Static<typeof WebhookStatusSchema>;
export const WebhookStatusListSchema = ListSchema(WebhookStatusSchema);

/** The body of every delivery (at most 100 events, oldest first). */
export const WebhookDeliverySchema = Type.Object({ events: Type.Array(AnalyticsEventSchema, { maxItems: MAX_DELIVERY_EVENTS }) });
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>;
