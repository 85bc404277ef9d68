// What an action becomes on the wire: the outbox entry that carries it to the platform
// (docs/protocol.md "Actions"; for a channel, its public interactions route), and the
// channel card in the shape the stream machinery and <cs-card> know.
import type { ChannelCard } from '../../../protocol/src/channels.js';
import type { SdkActionRequest, SdkCard } from '../../../protocol/src/sdk.js';
import type { OutboxEntry } from './outbox.js';

/** An action as the elements ask for it; the client adds the idempotency `id`. */
export type ActionRequest = SdkActionRequest extends infer A ? (A extends unknown ? Omit<A, 'id'> : never) : never;

/** Actions after which the card leaves the stream (shown at once, before the answer). */
export const REMOVING: ReadonlySet<string> = new Set(['dismiss', 'snooze', 'complete']);

export function actionEntry(card: SdkCard, request: ActionRequest, id: string, channel?: string): OutboxEntry {
  const cardId = encodeURIComponent(card.cardInstanceId);
  const entry: OutboxEntry =
    channel && request.type === 'interaction'
      ? {
          id,
          path: `/v1/sdk/channels/${encodeURIComponent(channel)}/cards/${cardId}/interactions`,
          body: { blockId: request.blockId, buttonId: request.buttonId },
        }
      : // `at`: the moment of the click; the platform dates the action's events by it, however
        // long the entry waits in the outbox.
        { id, path: `/v1/sdk/cards/${cardId}/actions`, body: { ...request, id, at: new Date().toISOString() } };
  if (REMOVING.has(request.type)) entry.hides = card.cardInstanceId;
  return entry;
}

/** A channel card in the shape of a stream card: newest first, no menu, no variables. */
export function channelCard(c: ChannelCard): SdkCard {
  return {
    cardInstanceId: c.id,
    streamId: c.channel_id,
    priority: 5,
    activeSince: c.created_at,
    created: c.created_at,
    runtimeVariables: {},
    definition: { status: c.status, blocks: c.blocks, dismissible: false, snoozable: false },
  } as SdkCard;
}
