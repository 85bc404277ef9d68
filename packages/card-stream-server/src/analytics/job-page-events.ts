// A send job's page records the events of its cards as one row, or a few (issue 15): as a
// send to listed users does, three of each card (action-flow-started, card-published,
// action-flow-completed; event-spans.ts). The events of one page differ only in their
// names, their card's ids and user: their template, time and values are the page's, and
// their ids are made from their cards' (ids.ts). Stored one row per card they were about
// 300 bytes a card of a million-member send, with an entry in four indexes each; the card
// itself already holds what differs.
//
// A row names its cards in `job_page`: the cards of the job's flow invocation made at the
// row's timestamp whose users lie in the page's range of user ids (after, last], within a
// range of card ids. A page's cards in card id order are cut into rows of at most
// CARDS_A_ROW, each with its own range of ids. A row's `span` is how many events it stands
// for: `perCard` (3) a card, at the `span` seqs ending at its own, card after card in card
// id order. Rows stored before `perCard` stand for one event a card, its card-published.
// The rows are stored only when, inside the page's transaction, exactly the page's cards
// answer to their description (jobPageHolds); otherwise the page stores a row per card, as
// a send to listed users does.
//
// Readers expand a row from the cards (jobPageEvents). A filter by user, card or lifecycle
// cannot find it by those columns (it has none of its own): such a read also looks the
// filter's cards up (jobEventsOf) and finds their events through their page's row.
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { AnalyticsEventsTable, CardsTable, Database } from '../store/schema.js';
import type { CardRow } from '../cards/row.js';
import type { EventRow } from './platform-events.js';
import { derivedId, storedId } from '../ids.js';
import { MAX_SPAN, SEND_SPAN, sendEventNames } from './event-spans.js';

/** The most cards one row of a job page names: their events fill at most MAX_SPAN seqs. */
export const CARDS_A_ROW = Math.floor(MAX_SPAN / SEND_SPAN);

/** Which cards a job page's row stands for the events of. */
interface JobPage {
  /** The send job's flow invocation. */
  invocation: string;
  /** The page's members: users after `after` up to `last` (none: no end), in the store's order. */
  after: string;
  last: string | null;
  /** The least and greatest id of the row's cards. */
  from: string;
  to: string;
  /** How many events of each card the row stands for: SEND_SPAN; absent (1, the card-published alone) on rows stored before. */
  perCard?: number;
}

/** What a job page's row stands for `perCard` events a card with, in `job_page` (insights count its cards by it). */
export const PER_CARD_MARK = `"perCard":${SEND_SPAN}`;

/** A stored row's columns that a job page's events are made of. */
export type JobPageRow = Omit<AnalyticsEventsTable, 'seq'> & { seq: number | string };

/** One of the events a job page's row stands for: the row, made the card's. */
export type JobPageEvent = JobPageRow & { seq: number };

/**
 * The rows that can stand for `events`, a send job page's rows of `cards` (sendEventsRow: one
 * each, in the same order), made by the page that claimed the members in (after, last]: its
 * cards in card id order, CARDS_A_ROW to a row, each row naming its own range of card ids.
 * Undefined when the events are not all alike but for their cards.
 */
export function jobPageRows(cards: readonly CardRow[], events: readonly EventRow[], members: { invocation: string; after: string; last: string | null }): EventRow[] | undefined {
  const first = events[0];
  if (!first?.context || events.length < 2 || events.length !== cards.length) return undefined;
  for (const [i, event] of events.entries()) {
    const card = cards[i] as CardRow;
    const alike =
      event.analytics_event === 'card-published' &&
      event.span === SEND_SPAN &&
      event.context?.key === first.context.key &&
      event.body === first.body &&
      event.timestamp === first.timestamp &&
      event.card_template_id === first.card_template_id &&
      card.created === first.timestamp &&
      card.flow_invocation_id === members.invocation &&
      event.card_instance_id === card.card_instance_id &&
      event.end_user_id === card.user_id &&
      event.lifecycle_id === storedId(card, 'lifecycle') &&
      event.id === derivedId(card.card_instance_id, 'sentEvent');
    if (!alike) return undefined;
  }
  // Card ids are UUIDs: JavaScript orders them as both stores do.
  const ids = cards.map((card) => card.card_instance_id).sort();
  const rows: EventRow[] = [];
  for (let i = 0; i < ids.length; i += CARDS_A_ROW) {
    const chunk = ids.slice(i, i + CARDS_A_ROW);
    const page: JobPage = { ...members, from: chunk[0] as string, to: chunk.at(-1) as string, perCard: SEND_SPAN };
    rows.push({
      id: '',
      analytics_event: 'card-published',
      end_user_id: '',
      timestamp: first.timestamp,
      card_instance_id: null,
      lifecycle_id: null,
      card_template_id: first.card_template_id,
      body: first.body,
      context: first.context,
      span: chunk.length * SEND_SPAN,
      job_page: JSON.stringify(page),
    });
  }
  return rows;
}

/** What a job page's row names in `job_page`. */
const pageOf = (row: { job_page?: string | null }): JobPage => JSON.parse(row.job_page as string) as JobPage;

/** The cards `page` names, made at `timestamp` (its row's), in no order. */
function pageCards<O>(db: Kysely<Database>, page: JobPage, timestamp: number | string): SelectQueryBuilder<Database, 'cards', O> {
  let cards = db
    .selectFrom('cards')
    .where('card_instance_id', '>=', page.from)
    .where('card_instance_id', '<=', page.to)
    .where('flow_invocation_id', '=', page.invocation)
    .where('created', '=', Number(timestamp))
    .where('user_id', '>', page.after);
  if (page.last !== null) cards = cards.where('user_id', '<=', page.last);
  return cards as SelectQueryBuilder<Database, 'cards', O>;
}

/**
 * Whether exactly `count` cards answer to the description of `rows` (jobPageRows, in order)
 * now, inside the page's transaction, from the first one's least card id to the last one's
 * greatest: those it made, and so each row's its own. Anything else (another page of the
 * job made at the same millisecond over the same users, after a restart on a server whose
 * clock is behind) and the page stores its events one per card.
 */
export async function jobPageHolds(db: Kysely<Database>, rows: readonly EventRow[], count: number): Promise<boolean> {
  const whole = { ...pageOf(rows[0] as EventRow), to: pageOf(rows.at(-1) as EventRow).to };
  const found = await pageCards(db, whole, (rows[0] as EventRow).timestamp)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(found.n) === count;
}

type PageCard = Pick<CardsTable, 'card_instance_id' | 'user_id' | 'lifecycle_id'>;

/** The names of the events `page`'s row stands for of each card, oldest first. */
const namesOf = (row: JobPageRow, page: JobPage): readonly string[] => ((page.perCard ?? 1) === 1 ? [row.analytics_event] : sendEventNames(row.analytics_event));

/** `row`'s events of `card`, the first at `seq`. Ids are '' (made from the card's by name, ids.ts). */
const eventsOf = (row: JobPageRow, names: readonly string[], card: PageCard, seq: number): JobPageEvent[] =>
  names.map((name, i) => ({
    ...row,
    analytics_event: name,
    id: '',
    end_user_id: card.user_id,
    card_instance_id: card.card_instance_id,
    lifecycle_id: card.lifecycle_id,
    span: null,
    job_page: null,
    seq: seq + i,
  }));

/** The first seq of the events `row` stands for. */
const firstSeq = (row: JobPageRow): number => Number(row.seq) - Number(row.span) + 1;

/**
 * Up to `max` of the events `row` (a job page's) stands for, after seq `after` and at most
 * `end`, of `names` if given, oldest first.
 */
export async function jobPageEvents(db: Kysely<Database>, row: JobPageRow, range: { after: number; end?: number; max: number; names?: readonly string[] }): Promise<JobPageEvent[]> {
  const page = pageOf(row);
  const names = namesOf(row, page);
  if (range.names && !names.some((name) => range.names?.includes(name))) return [];
  const first = firstSeq(row);
  const from = Math.max(first, range.after + 1);
  const to = Math.min(Number(row.seq), range.end ?? Infinity);
  if (to < from || range.max <= 0) return [];
  // The cards whose events lie in [from, to]. Each has one of the names wanted but perhaps the
  // first (its events before `from` are not served), so `max` + 1 of them hold `max` events.
  const skip = Math.floor((from - first) / names.length);
  const cardsInRange = Math.floor((to - first) / names.length) - skip + 1;
  const cards = await pageCards<PageCard>(db, page, row.timestamp)
    .select(['card_instance_id', 'user_id', 'lifecycle_id'])
    .orderBy('card_instance_id')
    .limit(Math.min(range.max + 1, cardsInRange))
    .offset(skip)
    .execute();
  return cards
    .flatMap((card, i) => eventsOf(row, names, card, first + (skip + i) * names.length))
    .filter((event) => event.seq >= from && event.seq <= to && (!range.names || range.names.includes(event.analytics_event)))
    .slice(0, range.max);
}

/** Whose job page events a read wants: a user's, or one card's. */
export interface JobEventsWanted {
  userId?: string;
  cardId?: string;
  /** Made at or after this time, and before `to`. */
  from?: number;
  to?: number;
}

/** Card times a query looks for rows at, at most (a user's job cards). */
const TIMES_A_QUERY = 500;

/**
 * The events job pages' rows stand for of the cards `wanted` names, oldest first: each card
 * that a job made is looked for among the rows stored at its time (its page's, a few to a
 * millisecond; all of them read at once), and its seqs follow from its place among its row's cards.
 */
export async function jobEventsOf(db: Kysely<Database>, columns: readonly (keyof JobPageRow)[], wanted: JobEventsWanted): Promise<JobPageEvent[]> {
  let query = db.selectFrom('cards').select(['card_instance_id', 'user_id', 'lifecycle_id', 'created', 'flow_invocation_id']).where('sent_by_job', '=', 1);
  if (wanted.userId !== undefined) query = query.where('user_id', '=', wanted.userId);
  if (wanted.cardId !== undefined) query = query.where('card_instance_id', '=', wanted.cardId);
  if (wanted.from !== undefined) query = query.where('created', '>=', wanted.from);
  if (wanted.to !== undefined) query = query.where('created', '<', wanted.to);
  const cards = await query.execute();
  const rowsAt = new Map<number, { row: JobPageRow; page: JobPage }[]>();
  const times = [...new Set(cards.map((card) => Number(card.created)))];
  for (let i = 0; i < times.length; i += TIMES_A_QUERY) {
    const rows = (await db
      .selectFrom('analytics_events')
      .select(columns)
      .where('timestamp', 'in', times.slice(i, i + TIMES_A_QUERY))
      .where('job_page', 'is not', null)
      .execute()) as JobPageRow[];
    for (const row of rows) {
      const at = rowsAt.get(Number(row.timestamp)) ?? [];
      if (at.length === 0) rowsAt.set(Number(row.timestamp), at);
      at.push({ row, page: pageOf(row) });
    }
  }
  const events: JobPageEvent[] = [];
  for (const card of cards) {
    for (const { row, page } of rowsAt.get(Number(card.created)) ?? []) {
      if (page.invocation !== card.flow_invocation_id) continue;
      // The row's cards up to this one: it is among them if it is the last, and its place is their number.
      const upTo = await pageCards(db, page, row.timestamp)
        // max over text: PostgreSQL keeps the ids as uuid (store/uuid-columns.ts), which has no max.
        .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.max(eb.cast<string>('card_instance_id', 'text')).as('last')])
        .where('card_instance_id', '<=', card.card_instance_id)
        .executeTakeFirstOrThrow();
      if (upTo.last !== card.card_instance_id) continue;
      const names = namesOf(row, page);
      events.push(...eventsOf(row, names, card, firstSeq(row) + (Number(upTo.n) - 1) * names.length));
      break;
    }
  }
  return events.sort((a, b) => a.seq - b.seq);
}
