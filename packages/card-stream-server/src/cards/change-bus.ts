// Every committed change to a card is announced here, after its transaction commits, so
// delivery (sockets, polling caches) and the scheduler learn of it in one place.
import type { CardRow } from './row.js';

export interface CardChange {
  card: CardRow;
  /** The status before the change; undefined for a card just sent. */
  previousStatus?: string;
  /** The change's number in its user's sequence (change-log.ts). */
  seq: number;
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
