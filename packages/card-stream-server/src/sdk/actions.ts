// Actions the SDK takes on one of its user's cards (docs/protocol.md, "Actions"). The
// client's action id is claimed in the same transaction as the action, so a replay — after
// a lost response, or from the offline outbox — finds the claim and changes nothing.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { CardAction } from '../../../protocol/src/cards.js';
import type { CardDefinition } from '../../../protocol/src/definition.js';
import type { SdkActionRequest, SdkActionResult } from '../../../protocol/src/sdk.js';
import { conflict, notFound } from '../http/errors.js';
import { cardEvent } from '../analytics/platform-events.js';
import type { CardRepository, RecordChanges } from '../cards/repository.js';
import type { CardRow } from '../cards/row.js';
import { snoozeUntil } from '../cards/snooze.js';
import { iso } from '../time.js';
import { checkInputValues } from './inputs.js';

export class SdkActions {
  constructor(private readonly cards: CardRepository) {}

  async apply(userId: string, cardInstanceId: string, request: SdkActionRequest): Promise<SdkActionResult> {
    // Checked before the transaction: a bad body is a 400 that claims nothing.
    const until = request.type === 'snooze' ? snoozeUntil(request) : undefined;
    return this.cards.write(async (tx, record) => {
      const now = Date.now();
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

      const card = await tx
        .selectFrom('cards')
        .selectAll()
        .where('card_instance_id', '=', cardInstanceId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      // Another user's card is answered exactly like a card that does not exist.
      if (!card) throw notFound('card_not_found', `You have no card ${cardInstanceId}.`);

      const after = await this.perform(tx, record, card, request, until, now);
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
    now: number,
  ): Promise<CardRow> {
    const act = async (action: CardAction, extra: { completionPayload?: unknown; snoozeUntil?: number } = {}) => {
      const filter = { cardInstanceId: card.card_instance_id, userId: card.user_id };
      const { changed } = await this.cards.actIn(tx, record, filter, action, { multiple: false, cap: 1, actionSource: 'user', ...extra });
      // Nothing changed: the card was already in the action's end state (a harmless repeat).
      return changed[0] ?? card;
    };
    switch (request.type) {
      case 'dismiss':
        return act('dismiss');
      case 'snooze':
        return act('snooze', { snoozeUntil: until });
      case 'complete': {
        const definition = JSON.parse(card.definition) as CardDefinition;
        if (request.values) checkInputValues(definition, request.values);
        return act('complete', { completionPayload: completionPayload(request.payload, request.values) });
      }
      case 'vote': {
        const properties: Record<string, unknown> = {};
        if (request.reason !== undefined) properties.reason = request.reason;
        if (request.message !== undefined) properties.message = request.message;
        const name = request.direction === 'up' ? 'card-voted-up' : 'card-voted-down';
        // The action id is the event id: the same vote uploaded as an analytics event is a duplicate.
        await this.cards.storeEvents(tx, [cardEvent(card, name, now, 'user', properties, request.id)], true);
        return card;
      }
      case 'interaction':
        // The claimed sdk_actions row is the record of the press.
        return card;
    }
  }
}

async function replayOf(tx: Transaction<Database>, userId: string, cardInstanceId: string, id: string): Promise<SdkActionResult> {
  const prior = await tx.selectFrom('sdk_actions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  if (prior.user_id !== userId || prior.card_instance_id !== cardInstanceId) {
    throw conflict('action_id_conflict', `The action id ${id} was already used for another card: generate a new id per action.`);
  }
  return { ...(JSON.parse(prior.result) as SdkActionResult), applied: false };
}

/** The button's payload (when an object) with the input values over it. */
function completionPayload(payload: unknown, values: Record<string, unknown> | undefined): unknown {
  if (!values) return payload ?? null;
  const base = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload : {};
  return { ...base, ...values };
}
