// SDK analytics uploads (docs/protocol.md, "Analytics uploads"): stored with the
// platform's events, `endUserId` from the token, duplicates by id dropped.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { VOTE_MESSAGE_MAX, VOTE_REASONS, type SdkEventsResult, type SdkEventUpload } from '../../../protocol/src/sdk.js';
import { platformContext, type EventRow } from '../analytics/platform-events.js';
import { insertEvents } from '../analytics/event-store.js';
import type { InsertMany } from '../store/insert-many.js';
import type { CardRow } from '../cards/row.js';
import { iso, parseInstant } from '../time.js';
import { InvalidInput } from '../errors.js';

export class EndUserEventIntake {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly insertMany: InsertMany,
  ) {}

  async store(userId: string, events: readonly SdkEventUpload[]): Promise<SdkEventsResult> {
    const times = events.map((event, index) => checkEvent(event, index));
    const cards = await this.cardsOf(userId, events);
    const seen = new Set<string>();
    const rows: EventRow[] = [];
    events.forEach((event, index) => {
      if (seen.has(event.id)) return; // the same id twice in one batch is one event
      seen.add(event.id);
      const cardId = cardIdOf(event);
      const card = cardId === undefined ? undefined : cards.get(cardId);
      if (cardId !== undefined && !card) {
        throw new InvalidInput('invalid_event', `events[${index}].cardContext.cardInstanceId is not one of your cards.`);
      }
      rows.push(eventRow(userId, event, times[index] as number, card));
    });
    const accepted = await this.db.transaction().execute((tx) => insertEvents(this.insertMany, tx, rows, true));
    return { accepted, duplicates: events.length - accepted };
  }

  private async cardsOf(userId: string, events: readonly SdkEventUpload[]): Promise<Map<string, CardRow>> {
    const ids = [...new Set(events.map(cardIdOf).filter((id): id is string => id !== undefined))];
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('cards')
      .selectAll()
      .where('card_instance_id', 'in', ids)
      .where('user_id', '=', userId)
      .execute();
    return new Map(rows.map((row) => [row.card_instance_id, row]));
  }
}

function cardIdOf(event: SdkEventUpload): string | undefined {
  const id = event.cardContext?.cardInstanceId;
  return typeof id === 'string' ? id : undefined;
}

/** Checks what the schema cannot; returns the event's time. */
function checkEvent(event: SdkEventUpload, index: number): number {
  const at = parseInstant(event.timestamp);
  if (at === undefined) throw new InvalidInput('invalid_event', `events[${index}].timestamp is not an ISO 8601 time with Z or an offset.`);
  if (event.analyticsEvent === 'card-voted-down') {
    const { reason, message } = event.properties ?? {};
    if (reason !== undefined && !(VOTE_REASONS as readonly unknown[]).includes(reason)) {
      throw new InvalidInput('invalid_event', `events[${index}].properties.reason must be one of: ${VOTE_REASONS.join(', ')}.`);
    }
    if (message !== undefined && (typeof message !== 'string' || message.length > VOTE_MESSAGE_MAX)) {
      throw new InvalidInput('invalid_event', `events[${index}].properties.message must be text of at most ${VOTE_MESSAGE_MAX} characters.`);
    }
  }
  return at;
}

function eventRow(userId: string, event: SdkEventUpload, at: number, card: CardRow | undefined): EventRow {
  const body = {
    id: event.id,
    endUserId: userId,
    analyticsEvent: event.analyticsEvent,
    timestamp: iso(at),
    properties: event.properties ?? {},
    hostContext: event.hostContext ?? {},
    eventContext: { ...event.eventContext, actionSource: 'user' },
    sdkContext: event.sdkContext ?? {},
    streamContext: event.streamContext ?? {},
    cardContext: event.cardContext ?? {},
    platformContext: card ? platformContext(card) : {},
  };
  return {
    id: event.id,
    analytics_event: event.analyticsEvent,
    end_user_id: userId,
    timestamp: at,
    card_instance_id: card?.card_instance_id ?? null,
    lifecycle_id: card?.lifecycle_id ?? null,
    card_template_id: card?.card_template_id ?? null,
    body: JSON.stringify(body),
  };
}
