// Every committed change to a card is announced here, after its transaction commits, so
// delivery (sockets, polling caches) and the scheduler learn of it in one place.
import type { CardRow } from './row.js';

/** What every listener reads of a card that is not active (that leaves streams). */
export type LeavingCard = Pick<CardRow, 'card_instance_id' | 'user_id' | 'stream_id' | 'status' | 'next_due'>;

export interface CardChange {
  /** The whole row while the card is active (sockets send it); otherwise at least LeavingCard. */
  card: CardRow | LeavingCard;
  /** The status before the change; undefined for a card just sent. */
  previousStatus?: string;
  /** The change's number in its user's sequence (change-log.ts). */
  seq: number;
}

/**
 * `change` as small as its listeners allow: a card that is not active carries only what
 * they read. Changes cross from the SQLite worker to the server by structured clone, a
 * million at a time in a bulk cancel: whole rows made the server's garbage collector stall
 * every request (issue 16).
 */
export function slimChange({ card, previousStatus, seq }: CardChange): CardChange {
  if (card.status === 'active') return { card, seq, ...(previousStatus === undefined ? {} : { previousStatus }) };
  const { card_instance_id, user_id, stream_id, status, next_due } = card;
  return { card: { card_instance_id, user_id, stream_id, status, next_due }, seq, ...(previousStatus === undefined ? {} : { previousStatus }) };
}

export type CardChangeListener = (changes: readonly CardChange[]) => void;

export class CardChangeBus {
  private readonly listeners = new Set<CardChangeListener>();

  subscribe(listener: CardChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(changes: readonly CardChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.listeners) listener(changes);
  }
}
