// Reading stored analytics events (CONTRACT §7): one filter for the events API, the export
// and nothing else, always in seq order, paged by keyset (seq > cursor) so a deep page
// costs what the first one does.
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { AnalyticsEventsTable, Database } from '../store/schema.js';
import type { EventContexts } from './event-contexts.js';
import { derivedId } from '../ids.js';
import { parseInstant } from '../time.js';
import type { EventFilterQuery } from '../../../protocol/src/analytics.js';
import { InvalidInput } from '../errors.js';

/** The query's filter with its times read: `from` inclusive, `to` exclusive, in milliseconds. */
export type EventFilter = Omit<EventFilterQuery, 'from' | 'to'> & { from?: number; to?: number };

/** Checks the times and builds the filter; a bad time is a 400 naming the attribute. */
export function eventFilterFrom(query: EventFilterQuery): EventFilter {
  const { from, to, ...attributes } = query;
  const filter: EventFilter = { ...attributes };
  const fromMs = timeAttribute('from', from);
  const toMs = timeAttribute('to', to);
  if (fromMs !== undefined) filter.from = fromMs;
  if (toMs !== undefined) filter.to = toMs;
  return filter;
}

/** A time query attribute in milliseconds; a bad one is a 400 naming it. */
export function timeAttribute(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const at = parseInstant(text);
  if (at === undefined) throw new InvalidInput('invalid_time', `${name} must be an ISO 8601 time with Z or an offset; it was "${text}".`, name);
  return at;
}

// The cursor is the last seq a page returned, as base64url text: opaque to clients, and
// stable across servers and restarts because seq is the store's own order.
export const encodeCursor = (seq: number): string => Buffer.from(String(seq)).toString('base64url');

export function decodeCursor(cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,24}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!/^(0|[1-9][0-9]{0,14})$/.test(text)) {
    throw new InvalidInput('invalid_cursor', 'cursor is not one this API returned; pass nextCursor from the previous page.');
  }
  return Number(text);
}

/**
 * The events that `analytics_events_name` leaves out: the three every send makes of every
 * card. An entry for each cost a send three more index pages to write (each name its own
 * page) and a million-member send a million entries; they are a third of all events, so a
 * query for one of them finds enough of them walking the events in seq order. Fixed: the
 * index was made with exactly these (migration 015_event_name_index).
 */
export const SEND_EVENTS = ['action-flow-started', 'card-published', 'action-flow-completed'] as const;
const isSendEvent = (name: string): boolean => (SEND_EVENTS as readonly string[]).includes(name);

/**
 * `analytics_event` is `name`, or one of `names`; for names the partial index holds, with its
 * own condition spelled out so that both stores' planners see they may use it.
 */
export function eventNameIs(eb: ExpressionBuilder<Database, 'analytics_events'>, names: readonly string[]) {
  const named = names.length === 1 ? eb('analytics_event', '=', names[0] as string) : eb('analytics_event', 'in', names);
  return names.some(isSendEvent) ? named : eb.and([named, eb('analytics_event', 'not in', SEND_EVENTS)]);
}

function conditions(eb: ExpressionBuilder<Database, 'analytics_events'>, filter: EventFilter, afterSeq: number, maxSeq?: number) {
  const all = [eb('seq', '>', afterSeq)];
  if (maxSeq !== undefined) all.push(eb('seq', '<=', maxSeq));
  if (filter.analyticsEvent !== undefined) all.push(eventNameIs(eb, [filter.analyticsEvent]));
  if (filter.endUserId !== undefined) all.push(eb('end_user_id', '=', filter.endUserId));
  if (filter.cardInstanceId !== undefined) all.push(eb('card_instance_id', '=', filter.cardInstanceId));
  if (filter.lifecycleId !== undefined) {
    // Stored whole (the partial index holds those), or '' on the events of the card it is made from (ids.ts).
    const stored = eb.and([eb('lifecycle_id', '=', filter.lifecycleId), eb('lifecycle_id', '<>', '')]);
    const cardId = derivedId(filter.lifecycleId, 'lifecycle');
    all.push(cardId === undefined ? stored : eb.or([stored, eb.and([eb('card_instance_id', '=', cardId), eb('lifecycle_id', '=', '')])]));
  }
  if (filter.from !== undefined) all.push(eb('timestamp', '>=', filter.from));
  if (filter.to !== undefined) all.push(eb('timestamp', '<', filter.to));
  return eb.and(all);
}

export interface StoredEvent {
  seq: number;
  /** The event's JSON as it was made, unparsed: it goes out exactly so. */
  body: string;
}

/** The columns `storedEvents` makes whole events of. */
export const STORED_EVENT_COLUMNS = ['seq', 'body', 'context_key', 'id', 'analytics_event', 'end_user_id', 'timestamp', 'card_instance_id', 'lifecycle_id'] as const;

/** Stored events read with STORED_EVENT_COLUMNS, whole (analytics/event-contexts.ts). */
export async function storedEvents(
  contexts: EventContexts,
  rows: readonly (Omit<Pick<AnalyticsEventsTable, (typeof STORED_EVENT_COLUMNS)[number]>, 'seq'> & { seq: number })[],
): Promise<StoredEvent[]> {
  return (await contexts.bodies(rows)).map((row) => ({ seq: Number(row.seq), body: row.body }));
}

export class EventReader {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly contexts: EventContexts,
  ) {}

  /** Up to `limit` matching events after `afterSeq` (and at most `maxSeq`), oldest first. */
  async page(filter: EventFilter, afterSeq: number, limit: number, maxSeq?: number): Promise<StoredEvent[]> {
    const rows = await this.db
      .selectFrom('analytics_events')
      .select(STORED_EVENT_COLUMNS)
      .where((eb) => conditions(eb, filter, afterSeq, maxSeq))
      .orderBy('seq')
      .limit(limit)
      .execute();
    return storedEvents(this.contexts, rows);
  }

  maxSeq(): Promise<number> {
    return newestSeq(this.db);
  }
}

/** The newest seq stored now (0 when there is none). */
export async function newestSeq(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('analytics_events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}
