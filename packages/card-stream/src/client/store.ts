// Display order of a stream (CONTRACT §6): priority (1 first), then the time each card last
// became active (newest first), then cardInstanceId. Pure functions: the client decides
// what goes in, this only decides the order and that one id appears once.
import type { SdkCard } from '../../../protocol/src/sdk.js';

const activeTime = (card: SdkCard): number => (card.activeSince ? Date.parse(card.activeSince) : 0) || 0;

export function compareCards(a: SdkCard, b: SdkCard): number {
  return (
    a.priority - b.priority ||
    activeTime(b) - activeTime(a) ||
    (a.cardInstanceId < b.cardInstanceId ? -1 : a.cardInstanceId > b.cardInstanceId ? 1 : 0)
  );
}

/**
 * Cards keyed by id: a card sent twice (feed, socket, cache) is kept once, the latest copy.
 * The sorted order is kept until the cards change: an element asks for the list, the total
 * and the unseen count on every update, and a stream may hold thousands of cards.
 */
export class CardStore {
  readonly #byId = new Map<string, SdkCard>();
  #sorted?: SdkCard[] | undefined;

  /** Replaces everything (a feed answer). */
  reset(cards: readonly SdkCard[]): void {
    this.#byId.clear();
    for (const card of cards) this.#byId.set(card.cardInstanceId, card);
    this.#sorted = undefined;
  }

  upsert(card: SdkCard): void {
    this.#byId.set(card.cardInstanceId, card);
    this.#sorted = undefined;
  }

  remove(id: string): boolean {
    this.#sorted = undefined;
    return this.#byId.delete(id);
  }

  /** Sorted copy; `keep` filters (hidden or still waiting cards). */
  list(keep: (card: SdkCard) => boolean = () => true): SdkCard[] {
    return (this.#sorted ??= [...this.#byId.values()].sort(compareCards)).filter(keep);
  }
}
