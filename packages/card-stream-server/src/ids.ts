// Ids for rows the platform makes in bulk (cards, lifecycles, platform events): UUIDv7
// (RFC 9562), whose leading 48 bits are the time in milliseconds. Consecutive ids sort
// next to each other, so each index on such an id grows at its right edge instead of
// touching a random page per row: with millions of cards and events that decides how much
// every write, a bulk cancel above all, has to rewrite.
import { randomFillSync } from 'node:crypto';

// Random bytes are drawn in bulk (as crypto.randomUUID does): one call per id costs more
// than the rest of the id.
const pool = Buffer.alloc(10 * 512);
let used = pool.length;
let lastMs = 0;
/** 12 bits after the time, counting up within one millisecond (RFC 9562 §6.2, method 1). */
let counter = 0;

/** Each byte as two hex digits. */
const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** The id's first 15 characters, which only change with the millisecond (lastMs). */
let timePrefix = '';

function setTime(ms: number): void {
  lastMs = ms;
  const time = ms.toString(16).padStart(12, '0');
  timePrefix = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
}

/**
 * A new UUIDv7; later calls in this process sort after earlier ones. Made from tables and
 * indexes into the pool, with no buffer or string made per id but the id: a send job's page
 * makes thousands.
 */
export function timeOrderedId(): string {
  const now = Date.now();
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const at = used;
  used += 10;
  if (now > lastMs) {
    setTime(now);
    counter = ((pool[at] as number) * 256 + (pool[at + 1] as number)) & 0x3ff; // a random start that leaves room to count up
  } else if (++counter > 0xfff) {
    setTime(lastMs + 1); // more than the counter holds in one millisecond: borrow the next one
    counter = 0;
  }
  const variant = ((pool[at + 2] as number) & 0x3f) | 0x80;
  const hex = (i: number) => BYTE_HEX[pool[at + i] as number] as string;
  return (
    `${timePrefix}${HEX[counter >> 8]}${BYTE_HEX[counter & 0xff]}-${BYTE_HEX[variant]}${hex(3)}-` +
    `${hex(4)}${hex(5)}${hex(6)}${hex(7)}${hex(8)}${hex(9)}`
  );
}

// A card's lifecycle and flow-instance ids are made from its own id: a send makes one of
// each per card, and stored they were two more UUIDs in the card's row, in its events and
// in an index each. Made so, the card stores '' for them (cards/contents.ts fills them back
// in) and the indexes on them hold only ids stored whole (cards from before). Each is the
// card's id with its last 48 random bits XORed with a constant of its kind: a UUIDv7 of the
// card's time, as unique as the card's id, and turned back into it the same way.
//
// A send's flow-invocation id is made the same way from the id of its first card (the only
// card of a one-user send): its events can then take it from their card's id, and the
// events of every such send of a flow share one stored template (platform-events.ts). That
// first card stores '' for it, as for the other two, and is left out of the index on it
// (migration 022): a one-user send writes one index entry fewer. The send's other cards
// store it whole, and a query by it finds both (cards/filter.ts).
//
// The three events a send records of each card (action-flow-started, card-published or
// card-embargoed, action-flow-completed) have their ids made so too, each kind its own: their
// rows then store '' for it (analytics/event-store.ts), and the kind goes by the event's name.
const DERIVED_MASKS = {
  lifecycle: 0x5a17c3e9b64d,
  flowInstance: 0x2e9d86f1c073,
  flowInvocation: 0x71b4e05d9a36,
  sentEvent: 0x73b0e42d915a,
  startedEvent: 0x1c6f9a2e47b3,
  completedEvent: 0x6e3a1d95c2f8,
} as const;

export type DerivedIdKind = keyof typeof DERIVED_MASKS;

// Hex digit by digit, with tables: several of these run for each card a send makes.
const HEX = '0123456789abcdef';
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) DIGIT[HEX.charCodeAt(i)] = i;
/** Each kind's mask as 12 hex digits, for the id's last 12 characters. */
const MASK_DIGITS = Object.fromEntries(
  Object.entries(DERIVED_MASKS).map(([kind, mask]) => [kind, [...mask.toString(16).padStart(12, '0')].map((d) => HEX.indexOf(d))]),
) as Record<DerivedIdKind, number[]>;

/** The hex value of `id`'s character at `at`, or -1. */
const digitAt = (id: string, at: number): number => DIGIT[id.charCodeAt(at)] ?? -1;

/** The `kind` id made from card id `id`, or, given such an id, the card's id; undefined when `id` is not shaped as a lowercase UUID. */
export function derivedId(id: string, kind: DerivedIdKind): string | undefined {
  // What comes before the last 12 characters is kept as it is, whatever it is.
  if (id.length !== 36 || id.charCodeAt(23) !== 45) return undefined;
  const mask = MASK_DIGITS[kind];
  let tail = '';
  for (let i = 0; i < 12; i++) {
    const digit = digitAt(id, 24 + i);
    if (digit < 0) return undefined;
    tail += HEX[digit ^ (mask[i] as number)];
  }
  return id.slice(0, 24) + tail;
}

/** Whether `id` is the `kind` id made from card id `cardId` (as derivedId, without making a string). */
export function isDerived(cardId: string, id: string, kind: DerivedIdKind): boolean {
  if (id.length !== 36 || cardId.length !== 36 || id.charCodeAt(23) !== 45 || !id.startsWith(cardId.slice(0, 24))) return false;
  const mask = MASK_DIGITS[kind];
  for (let i = 0; i < 12; i++) {
    const a = digitAt(id, 24 + i);
    const b = digitAt(cardId, 24 + i);
    if (a < 0 || b < 0 || (a ^ b) !== mask[i]) return false;
  }
  return true;
}

/** A card's ids that may be made from its own (ids.ts), by the column each is stored in. */
const STORED_IN = { lifecycle: 'lifecycle_id', flowInstance: 'flow_instance_id', flowInvocation: 'flow_invocation_id' } as const;
type StoredKind = keyof typeof STORED_IN;

/** What a card stores for its lifecycle, flow-instance or flow-invocation id: '' when it is made from the card's id. */
export function storedId(card: { card_instance_id: string } & Record<(typeof STORED_IN)[StoredKind], string>, kind: StoredKind): string {
  const id = card[STORED_IN[kind]];
  return isDerived(card.card_instance_id, id, kind) ? '' : id;
}

/** The kind of id made from a card's for an event of `analyticsEvent` (a send's three events have one each). */
export function eventIdKind(analyticsEvent: string): 'startedEvent' | 'sentEvent' | 'completedEvent' {
  return analyticsEvent === 'action-flow-started' ? 'startedEvent' : analyticsEvent === 'action-flow-completed' ? 'completedEvent' : 'sentEvent';
}

/** What an event of `analyticsEvent` about card `cardId` stores for its id `id`: '' when the id is made from the card's (eventIdKind). */
export function storedEventId(id: string, cardId: string | null, analyticsEvent: string): string {
  return cardId !== null && isDerived(cardId, id, eventIdKind(analyticsEvent)) ? '' : id;
}

/** A card's lifecycle, flow-instance or flow-invocation id from what it stores. */
export function idOf(card: { card_instance_id: string }, stored: string, kind: DerivedIdKind): string {
  return stored || (derivedId(card.card_instance_id, kind) as string);
}
