// Card changes as they cross from the SQLite worker to the server's bus, by structured
// clone. A change that leaves streams carries only what listeners read (slimChange). An
// active card carries its whole row, and its definition is most of it: a send job's page of
// 5,000 cards would copy the same definition 5,000 times. So an active card whose content is
// shared crosses as its stored row (content_key, no definition), and each content once a
// message; the server puts them back together.
import type { CardContentsTable, CardsTable } from '../store/schema.js';
import { slimChange, type CardChange } from '../cards/change-bus.js';
import { cardWithContent, contentOf, contentOfCard, storedCard, type Content } from '../cards/contents.js';
import type { CardRow } from '../cards/row.js';

/** An active card's change without its content, which the message carries once. */
interface SharedContentChange {
  stored: CardsTable;
  seq: number;
  previousStatus?: string;
}

export interface PackedChanges {
  contents: CardContentsTable[];
  changes: (CardChange | SharedContentChange)[];
}

/** `changes` made small for the crossing. */
export function packChanges(changes: readonly CardChange[]): PackedChanges {
  const contents = new Map<string, Content | null>();
  const packed = changes.map((change): CardChange | SharedContentChange => {
    const slim = slimChange(change);
    if (!('definition' in slim.card) || slim.card.own_payload !== null) return slim;
    const card: CardRow = slim.card;
    let content = contents.get(card.content_key);
    if (content === undefined) {
      // Found again from the card: a row that is not its content's addressed to its user crosses whole.
      const found = contentOfCard(card);
      content = found.row.key === card.content_key ? found : null;
      contents.set(card.content_key, content);
    }
    // With no payload of its own, its payload is its content's addressed to its user, as when read from the store.
    if (!content) return slim;
    return { stored: storedCard(card), seq: slim.seq, ...(slim.previousStatus === undefined ? {} : { previousStatus: slim.previousStatus }) };
  });
  return { contents: [...contents.values()].flatMap((content) => (content ? [content.row] : [])), changes: packed };
}

/** The changes `packChanges` made small, whole again. */
export function unpackChanges({ contents, changes }: PackedChanges): CardChange[] {
  const byKey = new Map(contents.map((row) => [row.key, contentOf(row)]));
  return changes.map((change) => {
    if (!('stored' in change)) return change;
    const content = byKey.get(change.stored.content_key);
    if (!content) throw new Error(`a change from the SQLite worker names card content ${change.stored.content_key}, which its message lacks`);
    return { card: cardWithContent(change.stored, content), seq: change.seq, ...(change.previousStatus === undefined ? {} : { previousStatus: change.previousStatus }) };
  });
}
