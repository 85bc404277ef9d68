// Platform analytics events (CONTRACT §7, seed 003): built from the card they are about,
// stored in the same transaction as the change they record.
import { timeOrderedId } from '../ids.js';
import type { AnalyticsEventsTable } from '../store/schema.js';
import type { CardRow } from '../cards/row.js';
import type { CardPayload } from '../../../protocol/src/cards.js';
import type { PlatformEventName } from '../../../protocol/src/analytics.js';
import { iso } from '../time.js';

export type { PlatformEventName };

/** internal: the platform's own processing; customer: an API request; user: the SDK. */
export type ActionSource = 'internal' | 'customer' | 'user';

export type EventRow = Omit<AnalyticsEventsTable, 'seq'>;

/** What an event reads of its card: a bulk cancel reads back only these columns. */
export type EventCard = Pick<
  CardRow,
  | 'card_instance_id' | 'lifecycle_id' | 'flow_instance_id' | 'flow_invocation_id' | 'card_template_id' | 'card_template_name'
  | 'card_template_version' | 'event_source' | 'stream_id' | 'priority' | 'payload' | 'status' | 'user_id' | 'created'
>;

export function platformEvent(
  card: EventCard,
  analyticsEvent: PlatformEventName,
  at: number,
  actionSource: ActionSource,
  properties: Record<string, unknown> = {},
): EventRow {
  return cardEvent(card, analyticsEvent, at, actionSource, properties);
}

/** An event about `card` with every context filled from it; `id` defaults to a new time-ordered UUID. */
export function cardEvent(
  card: EventCard,
  analyticsEvent: string,
  at: number,
  actionSource: ActionSource,
  properties: Record<string, unknown>,
  id: string = timeOrderedId(),
): EventRow {
  const body = {
    id,
    endUserId: card.user_id,
    analyticsEvent,
    timestamp: iso(at),
    properties,
    hostContext: {},
    eventContext: { actionSource },
    sdkContext: {},
    streamContext: {},
    cardContext: {
      cardInstanceId: card.card_instance_id,
      cardInstanceStatus: card.status,
      cardTemplateId: card.card_template_id,
      cardTemplateName: card.card_template_name,
      cardTemplateVersion: card.card_template_version,
      cardPresentation: 'individual',
      cardPriority: card.priority,
      publishedAt: iso(card.created),
    },
    platformContext: platformContext(card),
  };
  return {
    id: body.id,
    analytics_event: analyticsEvent,
    end_user_id: card.user_id,
    timestamp: at,
    card_instance_id: card.card_instance_id,
    lifecycle_id: card.lifecycle_id,
    card_template_id: card.card_template_id,
    body: JSON.stringify(body),
  };
}

/** platformContext of rows already seen: a send makes three events of each card. */
const contexts = new WeakMap<EventCard, Record<string, unknown>>();

/** What the platform knows of the flow that sent `card` (seed 003, platformContext). */
export function platformContext(card: EventCard): Record<string, unknown> {
  let context = contexts.get(card);
  if (!context) contexts.set(card, (context = readPlatformContext(card)));
  return context;
}

function readPlatformContext(card: EventCard): Record<string, unknown> {
  const payload = JSON.parse(card.payload) as CardPayload;
  return {
    lifecycleId: card.lifecycle_id,
    targetStreamIds: [card.stream_id],
    targetPlatforms: ['Web'],
    triggerEventSource: card.event_source,
    eventDetail: payload.detail,
    flowConfigId: card.card_template_id,
    flowInvocationId: card.flow_invocation_id,
    flowInstanceId: card.flow_instance_id,
    flowVersion: card.card_template_version,
    metadata: payload.metadata,
  };
}
