// Card changes as they cross from the SQLite worker to the server's bus, by structured
// clone. A change that leaves streams carries only what listeners read (slimChange). An
// active card carries its whole row, and a send job's page is 5,000 of them: cloned whole,
// then filled in again on the server's thread, they cost that thread 3 µs a card (3 s a
// million-member send, in batches that held requests up 100-240 ms), though only the cards
// of connected users are ever sent on. So the active cards of a content cross as columns:
// what they all share once, what differs (ids, user, sequence number) as arrays. On the
// server each is a small object over a prototype holding the shared part, its payload made
// only when read (a card sent on to a socket).
import type { CardContentsTable } from '../store/schema.js';
import { slimChange, type CardChange } from '../cards/change-bus.js';
import { contentOf, makeContent, payloadFor, type Content } from '../cards/contents.js';
import type { CardPayload } from '../../../protocol/src/cards.js';
import type { CardRow } from '../cards/row.js';

type Field = keyof CardRow;

/** The active cards of one content (with no payload of their own) in a message, by column. */
interface ContentColumns {
  content: CardContentsTable;
  /** The fields every card has the same value of. */
  shared: Partial<CardRow>;
  /** The others, a value a card. */
  columns: Partial<Record<Field, unknown[]>>;
  seq: number[];
  previousStatus: (string | undefined)[];
}

export interface PackedChanges {
  /** Changes that cross as they are (slim, or with a payload of their own). */
  changes: CardChange[];
  byContent: ContentColumns[];
}

/** The content's part of a card: stored once, not a column. */
const FROM_CONTENT = new Set<Field>(['card_template_name', 'definition', 'runtime_variables', 'payload']);

/** `changes` made small for the crossing. */
export function packChanges(changes: readonly CardChange[]): PackedChanges {
  const whole: CardChange[] = [];
  const groups = new Map<string, { content: Content; changes: CardChange[] } | null>();
  for (const change of changes) {
    const slim = slimChange(change);
    const card = slim.card as Partial<CardRow>;
    let group = card.definition !== undefined && card.own_payload === null ? groups.get(card.content_key as string) : null;
    if (group === undefined) {
      // The content found again from the card; one that does not give its key back (a card not made from it) is left whole.
      const content = contentOfCard(card as CardRow);
      group = content && content.row.key === card.content_key ? { content, changes: [] } : null;
      groups.set(card.content_key as string, group);
    }
    if (group) group.changes.push(slim);
    else whole.push(slim);
  }
  const byContent = [...groups.values()].flatMap((group) => (group ? [toColumns(group.content, group.changes)] : []));
  return { changes: whole, byContent };
}

/** The content a card made from one would name (its parts, its payload but its target); undefined when its payload is not JSON. */
function contentOfCard(card: CardRow): Content | undefined {
  try {
    const { target: _target, ...payload } = JSON.parse(card.payload) as CardPayload;
    return makeContent(card.card_template_name, card.definition, card.runtime_variables, payload);
  } catch {
    return undefined;
  }
}

function toColumns(content: Content, changes: readonly CardChange[]): ContentColumns {
  const first = changes[0]!.card as CardRow;
  const shared: Partial<Record<Field, unknown>> = {};
  const columns: Partial<Record<Field, unknown[]>> = {};
  for (const field of Object.keys(first) as Field[]) {
    if (FROM_CONTENT.has(field)) continue;
    const value = first[field];
    if (changes.every((change) => (change.card as CardRow)[field] === value)) shared[field] = value;
    else columns[field] = changes.map((change) => (change.card as CardRow)[field]);
  }
  return {
    content: content.row,
    shared: shared as Partial<CardRow>,
    columns,
    seq: changes.map((change) => change.seq),
    previousStatus: changes.map((change) => change.previousStatus),
  };
}

/** The changes `packChanges` made small, as the server's bus carries them. */
export function unpackChanges({ changes, byContent }: PackedChanges): CardChange[] {
  const all = [...changes];
  for (const group of byContent) {
    const prototype = cardPrototype(group.shared, contentOf(group.content));
    const columns = Object.entries(group.columns) as [Field, unknown[]][];
    group.seq.forEach((seq, i) => {
      const card = Object.create(prototype) as Record<Field, unknown>;
      for (const [field, values] of columns) card[field] = values[i];
      const change: CardChange = { card: card as CardRow, seq };
      const previousStatus = group.previousStatus[i];
      if (previousStatus !== undefined) change.previousStatus = previousStatus;
      all.push(change);
    });
  }
  return all;
}

/** What the cards of a group share, their content's part included; a card's payload is its content's addressed to its user. */
function cardPrototype(shared: Partial<CardRow>, content: Content): object {
  return Object.create(
    {},
    {
      ...Object.getOwnPropertyDescriptors(shared),
      card_template_name: { value: content.row.card_template_name },
      definition: { value: content.row.definition },
      runtime_variables: { value: content.row.runtime_variables },
      payload: {
        get(this: CardRow) {
          return payloadFor(content, this.user_id);
        },
      },
    },
  );
}
