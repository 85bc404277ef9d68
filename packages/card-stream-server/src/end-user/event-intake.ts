// SDK analytics uploads (docs/protocol.md, "Analytics uploads"): stored with the platform's
// events, `endUserId` from the token, duplicates by id dropped. Each event is judged on its
// own: a bad one is listed in the answer and the rest are kept. An event's time is the
// SDK's (the moment it happened, say a click while offline), kept within the token's life.
import type { Kysely } from 'kysely';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Database } from '../store/schema.js';
import type { CardDefinition } from '../../../protocol/src/definition.js';
import {
  SdkEventUploadSchema,
  VOTE_MESSAGE_MAX,
  VOTE_REASONS,
  type RefusedEvent,
  type SdkEventsResult,
  type SdkEventUpload,
} from '../../../protocol/src/sdk.js';
import { platformContext, type EventRow } from '../analytics/platform-events.js';
import { insertEvents } from '../analytics/event-store.js';
import type { InsertMany } from '../store/insert-many.js';
import type { CardRow } from '../cards/row.js';
import type { CardContents } from '../cards/contents.js';
import type { EndUser } from '../auth/tokens.js';
import { iso, parseInstant } from '../time.js';
import { offersVote } from './offered.js';
import { eventTime } from './event-time.js';

const isUpload = TypeCompiler.Compile(SdkEventUploadSchema);

/** Why one event of an upload is refused. */
class Refusal {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

export class EndUserEventIntake {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly insertMany: InsertMany,
    private readonly contents: CardContents,
  ) {}

  async store(user: EndUser, uploads: readonly unknown[]): Promise<SdkEventsResult> {
    const now = Date.now();
    const events = uploads.map((upload) => (isUpload.Check(upload) ? upload : undefined));
    const cards = await this.cardsOf(user.userId, events);
    const seen = new Set<string>();
    const rows: EventRow[] = [];
    const refused: RefusedEvent[] = [];
    let repeated = 0;
    uploads.forEach((upload, index) => {
      const event = events[index];
      try {
        if (!event) throw new Refusal('invalid_event', describeInvalid(upload));
        if (seen.has(event.id)) {
          repeated++; // the same id twice in one upload is one event
          return;
        }
        seen.add(event.id);
        const cardId = cardIdOf(event);
        const card = cardId === undefined ? undefined : cards.get(cardId);
        if (cardId !== undefined && !card) throw new Refusal('not_your_card', 'cardContext.cardInstanceId is not one of your cards.');
        rows.push(eventRow(user.userId, event, checkEvent(event, card, now), card));
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        refused.push({ index, ...(event ? { id: event.id } : {}), code: err.code, message: `events[${index}]: ${err.message}` });
      }
    });
    const accepted = rows.length ? await this.db.transaction().execute((tx) => insertEvents(this.insertMany, tx, rows, true)) : 0;
    return { accepted, duplicates: rows.length - accepted + repeated, refused };
  }

  private async cardsOf(userId: string, events: readonly (SdkEventUpload | undefined)[]): Promise<Map<string, CardRow>> {
    const ids = [...new Set(events.map((e) => e && cardIdOf(e)).filter((id): id is string => id !== undefined))];
    if (ids.length === 0) return new Map();
    const rows = await this.contents.cards(
      await this.db.selectFrom('cards').selectAll().where('card_instance_id', 'in', ids).where('user_id', '=', userId).execute(),
    );
    return new Map(rows.map((row) => [row.card_instance_id, row]));
  }
}

function cardIdOf(event: SdkEventUpload): string | undefined {
  const id = event.cardContext?.cardInstanceId;
  return typeof id === 'string' ? id : undefined;
}

function describeInvalid(upload: unknown): string {
  const error = isUpload.Errors(upload).First();
  return error ? `${error.path || 'the event'} ${error.message.toLowerCase()}.` : 'not an SDK event.';
}

/**
 * Checks what the schema cannot, and returns the event's time: the SDK's, kept within the
 * week an outbox may hold it (event-time.ts), so a day offline keeps its times and a forged
 * one cannot reach 1970 or 9999.
 */
function checkEvent(event: SdkEventUpload, card: CardRow | undefined, now: number): number {
  const at = parseInstant(event.timestamp);
  if (at === undefined) throw new Refusal('invalid_event', 'timestamp is not an ISO 8601 time with Z or an offset.');
  if (event.analyticsEvent === 'card-voted-down') {
    const { reason, message } = event.properties ?? {};
    if (reason !== undefined && !(VOTE_REASONS as readonly unknown[]).includes(reason)) {
      throw new Refusal('invalid_event', `properties.reason must be one of: ${VOTE_REASONS.join(', ')}.`);
    }
    if (message !== undefined && (typeof message !== 'string' || message.length > VOTE_MESSAGE_MAX)) {
      throw new Refusal('invalid_event', `properties.message must be text of at most ${VOTE_MESSAGE_MAX} characters.`);
    }
  }
  if ((event.analyticsEvent === 'card-voted-up' || event.analyticsEvent === 'card-voted-down') && card) {
    const definition = JSON.parse(card.definition) as CardDefinition;
    if (!offersVote(definition, event.analyticsEvent === 'card-voted-up' ? 'up' : 'down')) {
      throw new Refusal('vote_not_offered', 'this card does not take that vote.');
    }
  }
  return eventTime(event.timestamp, now);
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
