// Actions the SDK takes on one of its user's cards (docs/protocol.md, "Actions"). The
// client's action id is claimed in the same transaction as the action, so a replay — after
// a lost response, or from the offline outbox — finds the claim and changes nothing.
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { CardAction } from '../../../protocol/src/cards.js';
import type { CardDefinition } from '../../../protocol/src/definition.js';
import type { SdkActionRequest, SdkActionResult, SdkActionType } from '../../../protocol/src/sdk.js';
import { cardEvent, wholeEvent } from '../analytics/platform-events.js';
import type { CardRepository, RecordChanges } from '../cards/repository.js';
import type { CardRow } from '../cards/row.js';
import { snoozeUntil } from '../cards/snooze.js';
import { iso } from '../time.js';
import { checkInputValues } from './inputs.js';
import { checkOffered } from './offered.js';
import { eventTime } from './event-time.js';
import type { EndUser } from '../auth/tokens.js';
import { Conflict, InvalidInput, NotFound } from '../errors.js';

export class EndUserActions {
  constructor(private readonly cards: CardRepository) {}

  async apply(user: EndUser, cardInstanceId: string, request: SdkActionRequest): Promise<SdkActionResult> {
    const { userId } = user;
    // Checked before the transaction: a bad body is a 400 that claims nothing.
    checkActionFields(request);
    const until = request.type === 'snooze' ? snoozeUntil(request) : undefined;
    return this.cards.write(async (tx, record) => {
      const now = Date.now();
      // The events take the time of the click, which may lie a while back (sent from the offline outbox).
      const actedAt = eventTime(request.at, now);
      const claimed = await tx
        .insertInto('sdk_actions')
        .values({
          id: request.id,
          user_id: userId,
          card_instance_id: cardInstanceId,
          type: request.type,
          body: JSON.stringify(request),
          result: '{}',
          created: now,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!claimed) return replayOf(tx, userId, cardInstanceId, request.id);

      const [card] = await this.cards.cardsOf(
        await tx.selectFrom('cards').selectAll().where('card_instance_id', '=', cardInstanceId).where('user_id', '=', userId).execute(),
        tx,
      );
      // Another user's card is answered exactly like a card that does not exist.
      if (!card) throw new NotFound('card_not_found', `You have no card ${cardInstanceId}.`);

      const after = await this.perform(tx, record, card, request, until, actedAt);
      const result: SdkActionResult = { id: request.id, applied: true, card: { cardInstanceId, status: after.status as never } };
      if (after.status === 'snoozed' && after.snoozed_until !== null) result.card.snoozedUntil = iso(after.snoozed_until);
      await tx.updateTable('sdk_actions').set({ result: JSON.stringify(result) }).where('id', '=', request.id).execute();
      return result;
    });
  }

  /** Does what the request asks; returns the card as it is afterwards. */
  private async perform(
    tx: Transaction<Database>,
    record: RecordChanges,
    card: CardRow,
    request: SdkActionRequest,
    until: number | undefined,
    actedAt: number,
  ): Promise<CardRow> {
    const definition = JSON.parse(card.definition) as CardDefinition;
    const offered = checkOffered(definition, request);
    const act = async (action: CardAction, extra: { completionPayload?: unknown; snoozeUntil?: number } = {}) => {
      const filter = { cardInstanceId: card.card_instance_id, userId: card.user_id };
      const { changed } = await this.cards.actIn(tx, record, filter, action, { multiple: false, cap: 1, actionSource: 'user', eventAt: actedAt, ...extra });
      // Nothing changed: the card was already in the action's end state (a harmless repeat).
      return changed[0] ?? card;
    };
    switch (request.type) {
      case 'dismiss':
        return act('dismiss');
      case 'snooze':
        return act('snooze', { snoozeUntil: until });
      case 'complete':
        checkInputValues(definition, request.values ?? {});
        // The payload is the pressed button's, from the definition; one the client sends is not taken.
        return act('complete', { completionPayload: completionPayload(offered.submitPayload, request.values) });
      case 'vote': {
        const properties: Record<string, unknown> = {};
        if (request.reason !== undefined) properties.reason = request.reason;
        if (request.message !== undefined) properties.message = request.message;
        const name = request.direction === 'up' ? 'card-voted-up' : 'card-voted-down';
        // The action id is the event id: the same vote uploaded as an analytics event is a duplicate.
        await this.cards.storeEvents(tx, [wholeEvent(cardEvent(card, name, actedAt, 'user', properties, request.id))], true);
        return card;
      }
      case 'interaction':
        // The claimed sdk_actions row is the record of the press.
        return card;
    }
  }
}

/** The fields each action type takes besides `id` and `type`. */
const ACTION_FIELDS: Record<SdkActionType, readonly (keyof SdkActionRequest)[]> = {
  dismiss: [],
  snooze: ['until', 'interval'],
  complete: ['values', 'payload', 'buttonId'],
  vote: ['direction', 'reason', 'message'],
  interaction: ['buttonId', 'blockId'],
};

/** Cross-field rules the request's schema cannot say, each named in a clear 400. */
function checkActionFields(request: SdkActionRequest): void {
  const allowed = new Set<string>(['id', 'type', 'at', ...ACTION_FIELDS[request.type]]);
  const stray = Object.keys(request).find((key) => !allowed.has(key));
  if (stray) throw new InvalidInput('invalid_action', `A ${request.type} action takes no "${stray}".`, stray);
  switch (request.type) {
    case 'snooze':
      if ((request.until === undefined) === (request.interval === undefined)) {
        throw new InvalidInput('invalid_action', 'A snooze takes either "until" or "interval".');
      }
      break;
    case 'vote':
      if (!request.direction) throw new InvalidInput('invalid_action', 'A vote needs "direction": "up" or "down".', 'direction');
      if (request.reason !== undefined && request.direction !== 'down') {
        throw new InvalidInput('invalid_action', 'Only a vote down takes a "reason".', 'reason');
      }
      if (request.message !== undefined && request.reason !== 'other') {
        throw new InvalidInput('invalid_action', 'Only a vote down with reason "other" takes a "message".', 'message');
      }
      break;
    case 'interaction':
      if (!request.buttonId) throw new InvalidInput('invalid_action', 'An interaction needs the "buttonId" pressed.', 'buttonId');
      break;
  }
}

async function replayOf(tx: Transaction<Database>, userId: string, cardInstanceId: string, id: string): Promise<SdkActionResult> {
  const prior = await tx.selectFrom('sdk_actions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  if (prior.user_id !== userId || prior.card_instance_id !== cardInstanceId) {
    throw new Conflict('action_id_conflict', `The action id ${id} was already used for another card: generate a new id per action.`);
  }
  return { ...(JSON.parse(prior.result) as SdkActionResult), applied: false };
}

/** The button's payload (when an object) with the input values over it. */
function completionPayload(payload: unknown, values: Record<string, unknown> | undefined): unknown {
  if (!values) return payload ?? null;
  const base = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload : {};
  return { ...base, ...values };
}
