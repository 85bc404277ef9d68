// Platform analytics events (CONTRACT §7, seed 003): built from the card they are about,
// stored in the same transaction as the change they record.
import type { AnalyticsEventsTable } from '../store/schema.js';
import type { CardRow } from '../cards/row.js';
import type { CardPayload } from '../../../protocol/src/cards.js';
import type { PlatformEventName } from '../../../protocol/src/analytics.js';
import { eventTemplate, fill, hole, templateValues, type EventTemplate } from './event-contexts.js';
import { derivedId, isDerived, storedId, timeOrderedId } from '../ids.js';
import { SEND_SPAN } from './event-spans.js';

export type { PlatformEventName };

/** internal: the platform's own processing; customer: an API request; user: the SDK. */
export type ActionSource = 'internal' | 'customer' | 'user';

/**
 * An event to store: a whole `body`, or (with `context`) a template shared with other events
 * and the values it leaves open; with `span`, the row stands for that many events
 * (analytics/event-spans.ts), with `job_page` those of a send job page's cards
 * (analytics/job-page-events.ts).
 */
export type EventRow = Omit<AnalyticsEventsTable, 'seq' | 'context_key' | 'span' | 'job_page'> & { context?: EventTemplate; span?: number; job_page?: string };

export function platformEvent(
  card: CardRow,
  analyticsEvent: PlatformEventName,
  at: number,
  actionSource: ActionSource,
  properties: Record<string, unknown> = {},
): EventRow {
  return cardEvent(card, analyticsEvent, at, actionSource, properties);
}

/**
 * The template of the events a send records of `card` at `at`. Cards made alike (of one
 * flow, in one page of a send job) share it: it is worked out for the first and given to
 * `sentEventWith` for the rest.
 */
export function sentEventTemplate(card: CardRow, at: number): EventTemplate {
  return cardEventTemplate(card, at, 'customer');
}

/** The event a send records of `card` as it makes it, from its template (sentEventTemplate): card-published, or card-embargoed; its id is made from the card's (ids.ts). */
export function sentEventWith(card: CardRow, at: number, context: EventTemplate): EventRow {
  const name = card.status === 'active' ? 'card-published' : 'card-embargoed';
  return eventWith(card, context, name, at, {}, derivedId(card.card_instance_id, 'sentEvent'));
}

/**
 * The three events a send records of each card it makes, around its sent event, as one row:
 * they share everything but their names and ids, which are made from the card's
 * (analytics/event-spans.ts). `context` is the template of its events (sentEventTemplate),
 * shared by cards made alike.
 */
export function sendEventsRow(card: CardRow, at: number, context: EventTemplate = sentEventTemplate(card, at)): EventRow {
  // Set on the new row rather than copied into another: a send job makes a million of them.
  const row = sentEventWith(card, at, context);
  row.span = SEND_SPAN;
  return row;
}

/** An event about `card` with every context filled from it; `id` defaults to a new time-ordered UUID. */
export function cardEvent(
  card: CardRow,
  analyticsEvent: string,
  at: number,
  actionSource: ActionSource,
  properties: Record<string, unknown>,
  id: string = timeOrderedId(),
): EventRow {
  return eventWith(card, cardEventTemplate(card, at, actionSource), analyticsEvent, at, properties, id);
}

/** An event about `card` made from `context`, the template of its events at `at`. */
function eventWith(card: CardRow, context: EventTemplate, analyticsEvent: string, at: number, properties: Record<string, unknown>, id: string = timeOrderedId()): EventRow {
  return {
    id,
    analytics_event: analyticsEvent,
    end_user_id: card.user_id,
    timestamp: at,
    card_instance_id: card.card_instance_id,
    lifecycle_id: storedId(card, 'lifecycle'),
    card_template_id: card.card_template_id,
    body: templateValues(context, { properties, flowInstanceId: card.flow_instance_id, publishedAtMs: card.created }),
    context,
  };
}

/** `event` with its whole JSON in its body: an event whose id a client chose, which must be unique (event-store.ts). */
export function wholeEvent({ context, ...event }: EventRow): EventRow {
  return context ? { ...event, body: fill(context, event) } : event;
}

/** Recent templates by what they are made of: the cards of one page of a send share one. */
const templates = new Map<string, EventTemplate>();
const KEEP_TEMPLATES = 100;

/**
 * The template of `card`'s events: their JSON but for their name, ids, user, time and
 * properties. The events of one change share it (a send's three: one template to make and
 * store, not three).
 */
function cardEventTemplate(card: CardRow, at: number, actionSource: ActionSource): EventTemplate {
  const holes = templateHoles(card, at);
  // Everything the template is made of but the holes. A payload of the card's own (cards
  // stored before contents were shared) stands for its content.
  const made = [
    actionSource, card.status, card.card_template_id, card.card_template_version, card.priority, holes.publishedAt ? 'at' : 'ms',
    card.stream_id, card.event_source, holes.flowInvocation ? 'made' : card.flow_invocation_id, card.content_key, card.own_payload ?? '',
    holes.flowInstance ? 'made' : 'kept',
  ].join('\0');
  let template = templates.get(made);
  if (!template) {
    if (templates.size >= KEEP_TEMPLATES) templates.delete(templates.keys().next().value as string);
    templates.set(made, (template = eventTemplate(cardEventBody(card, actionSource, holes))));
  }
  return template;
}

/** Which of a card event's values its template leaves as holes filled from the event's columns. */
interface TemplateHoles {
  /** The card was published at the event's time (else its time is one of the event's values). */
  publishedAt: boolean;
  /** The flow-instance and flow-invocation ids are made from the card's id (ids.ts). */
  flowInstance: boolean;
  flowInvocation: boolean;
}

function templateHoles(card: CardRow, at: number): TemplateHoles {
  return {
    publishedAt: card.created === at,
    flowInstance: storedId(card, 'flowInstance') === '',
    flowInvocation: isDerived(card.card_instance_id, card.flow_invocation_id, 'flowInvocation'),
  };
}

/** The JSON of a card event (seed 003), with its own values left as holes. */
function cardEventBody(card: CardRow, actionSource: ActionSource, holes: TemplateHoles) {
  return {
    id: hole('id'),
    endUserId: hole('endUserId'),
    analyticsEvent: hole('analyticsEvent'),
    timestamp: hole('timestamp'),
    properties: hole('properties'),
    hostContext: {},
    eventContext: { actionSource },
    sdkContext: {},
    streamContext: {},
    cardContext: {
      cardInstanceId: hole('cardInstanceId'),
      cardInstanceStatus: card.status,
      cardTemplateId: card.card_template_id,
      cardTemplateName: card.card_template_name,
      cardTemplateVersion: card.card_template_version,
      cardPresentation: 'individual',
      cardPriority: card.priority,
      // The event's own time, or the card's kept in its values: in the template, every card
      // published in another millisecond (a bulk cancel of cards sent one by one) made one.
      publishedAt: hole(holes.publishedAt ? 'publishedAtTimestamp' : 'publishedAtMs'),
    },
    platformContext: {
      ...platformContext(card),
      lifecycleId: hole('lifecycleId'),
      ...(holes.flowInvocation ? { flowInvocationId: hole('flowInvocationIdOfCard') } : {}),
      // Made from the card's id, or kept in the event's values (cards stored before ids.ts made them).
      flowInstanceId: hole(holes.flowInstance ? 'flowInstanceIdOfCard' : 'flowInstanceId'),
    },
  };
}

/** platformContext of rows already seen: a send makes three events of each card. */
const contexts = new WeakMap<CardRow, Record<string, unknown>>();

/** What the platform knows of the flow that sent `card` (seed 003, platformContext). */
export function platformContext(card: CardRow): Record<string, unknown> {
  let context = contexts.get(card);
  if (!context) contexts.set(card, (context = readPlatformContext(card)));
  return context;
}

function readPlatformContext(card: CardRow): Record<string, unknown> {
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
